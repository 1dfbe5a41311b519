package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lab's further shapes (NAT site, double NAT, UDP-blocked host, IPv6 host), checked with real packets. */
@LabTest
class NatShapesLabTest {
  private static final Duration PROBE = Duration.ofSeconds(3);
  private static final Duration NO_ANSWER = Duration.ofMillis(1500);

  @Test
  void siteHostsTalkOnTheirLanAndTheRouterDoesNotHairpin() {
    try (Lab lab = Lab.create("site")) {
      Host d = lab.publicHost("d");
      NatSite site = lab.natSite("s", NatKind.PORT_RESTRICTED);
      Host a = site.host("a");
      Host b = site.host("b");
      assertEquals(a.natRouter(), b.natRouter());
      assertNotEquals(a.address(), b.address());
      assertEquals(site.publicAddress(), a.publicAddress());

      // One LAN: each reaches the other's LAN address, directly (no router hop: TTL unchanged).
      a.execOk("ping", "-c1", "-W3", b.address().getHostAddress());
      assertTrue(b.execOk("ping", "-c1", "-W3", a.address().getHostAddress()).stdout().contains("ttl=64"));
      ManagedProcess bEcho = b.startUdpEcho(46000);
      InetSocketAddress bLan = b.endpoint(46000);
      assertEquals(a.endpoint(46001), a.udpProbe(46001, PROBE, bLan).get(bLan), "b sees a's LAN address, no NAT in between");

      // Both leave through the one public address.
      d.startUdpEcho(7000);
      InetSocketAddress viaB = b.udpProbe(46000, PROBE, d.endpoint(7000)).get(d.endpoint(7000));
      assertEquals(new InetSocketAddress(site.publicAddress(), 46000), viaB, "b's mapping: the site's address, port kept");
      InetSocketAddress viaA = a.udpProbe(46002, PROBE, d.endpoint(7000)).get(d.endpoint(7000));
      assertNotNull(viaA);
      assertEquals(site.publicAddress(), viaA.getAddress());

      // No hairpin: a sends to b's public mapping (which exists: b just used it) and gets nothing back,
      // b never sees it, and the router does not answer either (no ICMP, no echo).
      InetSocketAddress bPublic = new InetSocketAddress(site.publicAddress(), 46000);
      int before = (int) bEcho.log().lines().count();
      assertTrue(a.udpProbe(46003, NO_ANSWER, bPublic).isEmpty(), "no answer through the site's public address");
      assertFalse(bEcho.log().lines().skip(before).anyMatch(l -> l.startsWith("recv ")), "b got a hairpinned packet:\n" + bEcho.log());
      assertFalse(a.exec("ping", "-c1", "-W1", site.publicAddress().getHostAddress()).ok(), "the router drops LAN packets to its public address");
    }
  }

  @Test
  void coneSitesAreRefused() {
    try (Lab lab = Lab.create("sitecone")) {
      assertThrows(IllegalArgumentException.class, () -> lab.natSite("s", NatKind.CONE));
    }
  }

  @Test
  void doubleNatHostIsSeenWithTheCarrierGradeNatsAddress() {
    try (Lab lab = Lab.create("cgn")) {
      Host d = lab.publicHost("d");
      Host e = lab.publicHost("e");
      Host h = lab.doubleNatHost("h", NatKind.PORT_RESTRICTED);
      NatRouter home = h.natRouter();
      NatRouter cgn = h.outerNatRouter().orElseThrow();
      assertEquals(NatKind.PORT_RESTRICTED, home.kind());
      assertEquals(NatKind.PORT_RESTRICTED, cgn.kind());
      assertTrue(home.publicAddress().getHostAddress().startsWith("100.64."), home.publicAddress().toString());
      assertTrue(cgn.publicAddress().getHostAddress().startsWith("203.0.113."), cgn.publicAddress().toString());
      assertEquals(cgn.publicAddress(), h.publicAddress());
      d.startUdpEcho(7000);
      e.startUdpEcho(7000);

      Map<InetSocketAddress, InetSocketAddress> seen = h.udpProbe(47000, PROBE, d.endpoint(7000), e.endpoint(7000));

      // Endpoint-independent, port-preserving mapping through both NATs.
      InetSocketAddress mapped = new InetSocketAddress(cgn.publicAddress(), 47000);
      assertEquals(mapped, seen.get(d.endpoint(7000)));
      assertEquals(mapped, seen.get(e.endpoint(7000)));
      assertTrue(home.conntrack().contains("sport=47000"), home.conntrack());
      assertTrue(cgn.conntrack().contains("src=" + home.publicAddress().getHostAddress()), "the CGN translates the home router's address:\n"
          + cgn.conntrack());

      // Port-restricted filtering at the CGN: an unsolicited datagram from a public host gets nowhere.
      ManagedProcess hEcho = h.startUdpEcho(47001);
      InetSocketAddress target = new InetSocketAddress(cgn.publicAddress(), 47001);
      assertTrue(d.udpProbe(7001, NO_ANSWER, target).isEmpty());
      assertFalse(hEcho.log().contains("recv"), hEcho.log());
    }
  }

  @Test
  void udpBlockedHostReachesOnlyTheAllowedEndpoint() {
    try (Lab lab = Lab.create("udpblk")) {
      Host reg = lab.publicHost("reg");
      Host d = lab.publicHost("d");
      InetSocketAddress allowed = reg.endpoint(7000);
      Host f = lab.udpBlockedHost("f", allowed);
      assertTrue(f.address6().isEmpty());
      assertFalse(f.isBehindNat());
      reg.startUdpEcho(7000);
      reg.startUdpEcho(7001);
      d.startUdpEcho(7000);

      // Other traffic passes: the block is about UDP.
      f.execOk("ping", "-c1", "-W3", d.address().getHostAddress());

      Map<InetSocketAddress, InetSocketAddress> seen = f.udpProbe(48000, PROBE, allowed);
      assertEquals(f.endpoint(48000), seen.get(allowed), "the allowed endpoint answers");
      assertTrue(f.udpProbe(48000, NO_ANSWER, reg.endpoint(7001)).isEmpty(), "another port of the allowed address");
      assertTrue(f.udpProbe(48000, NO_ANSWER, d.endpoint(7000)).isEmpty(), "another host");

      // Nothing unsolicited gets in, neither from another host nor from another port of the allowed one.
      ManagedProcess fEcho = f.startUdpEcho(48001);
      assertTrue(d.udpProbe(7002, NO_ANSWER, f.endpoint(48001)).isEmpty());
      assertTrue(reg.udpProbe(7003, NO_ANSWER, f.endpoint(48001)).isEmpty());
      assertFalse(fEcho.log().contains("recv"), fEcho.log());
    }
  }

  @Test
  void anUnpluggedHostIsGoneUntilPluggedInAgainWithItsAddressesAndRoutes() {
    try (Lab lab = Lab.create("unplug")) {
      Host reg = lab.publicHost("reg");
      Host reg2 = lab.publicHost("reg2");
      Host a = lab.natHost("a", NatKind.PORT_RESTRICTED);
      Host f = lab.udpBlockedHost("f", java.util.List.of(reg.endpoint(7000), reg2.endpoint(7000)));
      reg.startUdpEcho(7000);
      reg2.startUdpEcho(7000);
      assertEquals(2, f.udpProbe(48000, PROBE, reg.endpoint(7000), reg2.endpoint(7000)).size(), "both allowed endpoints answer");

      String regIp = reg.address().getHostAddress();
      a.execOk("ping", "-c1", "-W3", regIp);
      reg.unplug();
      assertFalse(a.exec("ping", "-c1", "-W1", regIp).ok(), "an unplugged host answers nothing");
      assertTrue(a.udpProbe(48001, NO_ANSWER, reg.endpoint(7000)).isEmpty(), "nor its UDP echo, which still runs");
      assertFalse(reg.exec("ping", "-c1", "-W1", Lab.PUBLIC_GATEWAY).ok(), "nothing leaves it");
      a.execOk("ping", "-c1", "-W3", reg2.address().getHostAddress());
      assertThrows(IllegalStateException.class, a::unplug, "a host behind NAT has no cable of its own");

      reg.plugIn();
      a.execOk("ping", "-c1", "-W3", regIp);
      assertEquals(1, a.udpProbe(48002, PROBE, reg.endpoint(7000)).size(), "its echo answers again");
    }
  }

  @Test
  void ipv6HostsReachEachOtherOverIpv6WhileTheirIpv4MappingIsSymmetric() {
    try (Lab lab = Lab.create("ipv6")) {
      Host r1 = lab.publicHost("r1");
      Host r2 = lab.publicHost("r2");
      Host v = lab.ipv6Host("v");
      Host w = lab.ipv6Host("w");
      InetAddress v6 = v.address6().orElseThrow();
      InetAddress w6 = w.address6().orElseThrow();
      assertTrue(v6.getHostAddress().startsWith("2001:db8:200:"), v6.toString());
      assertEquals(NatKind.SYMMETRIC, v.natRouter().kind());

      v.execOk("ping", "-6", "-c1", "-W3", w6.getHostAddress());
      r1.execOk("ping", "-6", "-c1", "-W3", v6.getHostAddress());

      // Unsolicited IPv6 UDP reaches the host from the other IPv6 host and from a public host, unchanged: no NAT, no firewall.
      ManagedProcess vEcho = v.startUdpEcho(49000);
      InetSocketAddress vTarget = v.endpoint6(49000);
      assertEquals(w.endpoint6(49001), w.udpProbe(49001, PROBE, vTarget).get(vTarget));
      assertEquals(r2.endpoint6(49002), r2.udpProbe(49002, PROBE, vTarget).get(vTarget));
      assertTrue(vEcho.log().contains("recv [" + w6.getHostAddress()), vEcho.log());

      // IPv4: symmetric, one public port per destination.
      r1.startUdpEcho(7000);
      r2.startUdpEcho(7000);
      Map<InetSocketAddress, InetSocketAddress> seen = v.udpProbe(49003, PROBE, r1.endpoint(7000), r2.endpoint(7000));
      InetSocketAddress via1 = seen.get(r1.endpoint(7000));
      InetSocketAddress via2 = seen.get(r2.endpoint(7000));
      assertNotNull(via1);
      assertNotNull(via2);
      assertEquals(v.natRouter().publicAddress(), via1.getAddress());
      assertEquals(v.natRouter().publicAddress(), via2.getAddress());
      assertNotEquals(via1.getPort(), via2.getPort(), "one mapping per destination");
    }
  }
}
