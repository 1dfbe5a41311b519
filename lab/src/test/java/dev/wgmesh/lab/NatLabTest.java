package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@LabTest
class NatLabTest {
  private static final Duration PROBE = Duration.ofSeconds(3);
  private static final Duration NO_ANSWER = Duration.ofMillis(1500);

  @Test
  void publicHostsPingEachOtherOverTheBridgeOnIpv4AndIpv6() {
    try (Lab lab = Lab.create("ping")) {
      Host d = lab.publicHost("d");
      Host e = lab.publicHost("e");
      assertEquals("198.51.100.11", d.address().getHostAddress());
      assertTrue(e.address6().isPresent());
      d.execOk("ping", "-c1", "-W3", e.address().getHostAddress());
      e.execOk("ping", "-c1", "-W3", d.address().getHostAddress());
      d.execOk("ping", "-6", "-c1", "-W3", e.address6().get().getHostAddress());
      // Nothing outside the lab is reachable: there is no route out of the internet namespace.
      assertFalse(d.exec("ping", "-c1", "-W1", "192.0.2.1").ok());
    }
  }

  @Test
  void natHostIsSeenWithItsRoutersPublicAddress() {
    try (Lab lab = Lab.create("nat")) {
      Host reg = lab.publicHost("reg");
      Host a = lab.natHost("a", NatKind.PORT_RESTRICTED);
      a.execOk("ping", "-c1", "-W3", reg.address().getHostAddress());
      reg.startUdpEcho(7000);

      InetSocketAddress seen = a.udpProbe(40000, PROBE, reg.endpoint(7000)).get(reg.endpoint(7000));

      assertNotNull(seen, "the echo on the public host answered");
      assertEquals(a.natRouter().publicAddress(), seen.getAddress());
      assertEquals(40000, seen.getPort(), "MASQUERADE preserves the source port");
      assertTrue(a.natRouter().conntrack().contains("sport=40000"), a.natRouter().conntrack());
    }
  }

  @Test
  void coneKeepsTheSourcePortForEveryDestinationAndAcceptsUnsolicitedUdp() {
    try (Lab lab = Lab.create("cone")) {
      Host r1 = lab.publicHost("r1");
      Host r2 = lab.publicHost("r2");
      Host d = lab.publicHost("d");
      Host b = lab.natHost("b", NatKind.CONE);
      r1.startUdpEcho(7000);
      r2.startUdpEcho(7000);

      Map<InetSocketAddress, InetSocketAddress> seen = b.udpProbe(41000, PROBE, r1.endpoint(7000), r2.endpoint(7000));

      InetSocketAddress mapped = new InetSocketAddress(b.natRouter().publicAddress(), 41000);
      assertEquals(mapped, seen.get(r1.endpoint(7000)));
      assertEquals(mapped, seen.get(r2.endpoint(7000)));

      // Full cone: a host b never talked to reaches b's echo through the public address.
      ManagedProcess echo = b.startUdpEcho(42000);
      InetSocketAddress bPublic = new InetSocketAddress(b.natRouter().publicAddress(), 42000);
      InetSocketAddress dSeen = d.udpProbe(45000, PROBE, bPublic).get(bPublic);
      assertEquals(d.endpoint(45000), dSeen, "b sees d's real address");
      assertTrue(echo.log().contains("recv " + d.address().getHostAddress() + ":45000"), echo.log());
    }
  }

  @Test
  void symmetricPicksANewPortForEveryDestination() {
    try (Lab lab = Lab.create("sym")) {
      Host r1 = lab.publicHost("r1");
      Host r2 = lab.publicHost("r2");
      Host c = lab.natHost("c", NatKind.SYMMETRIC);
      r1.startUdpEcho(7000);
      r2.startUdpEcho(7000);

      Map<InetSocketAddress, InetSocketAddress> seen = c.udpProbe(43000, PROBE, r1.endpoint(7000), r2.endpoint(7000));

      InetSocketAddress via1 = seen.get(r1.endpoint(7000));
      InetSocketAddress via2 = seen.get(r2.endpoint(7000));
      assertNotNull(via1);
      assertNotNull(via2);
      assertEquals(c.natRouter().publicAddress(), via1.getAddress());
      assertEquals(c.natRouter().publicAddress(), via2.getAddress());
      assertNotEquals(via1.getPort(), via2.getPort(), "one mapping per destination");

      // Forgetting the mappings gives the same socket a new one towards the same destination.
      c.natRouter().flushConntrack();
      assertFalse(c.natRouter().conntrack().contains("sport=43000"), c.natRouter().conntrack());
      InetSocketAddress again = c.udpProbe(43000, PROBE, r1.endpoint(7000)).get(r1.endpoint(7000));
      assertNotNull(again);
      assertNotEquals(via1.getPort(), again.getPort());
    }
  }

  @Test
  void portRestrictedDropsUnsolicitedPacketsWithoutAnsweringOrStealingThePort() {
    try (Lab lab = Lab.create("prnat")) {
      Host a = lab.natHost("a", NatKind.PORT_RESTRICTED);
      Host d = lab.publicHost("d");
      Host e = lab.publicHost("e");
      NatRouter router = a.natRouter();
      String pub = router.publicAddress().getHostAddress();
      ManagedProcess aEcho = a.startUdpEcho(44000);
      d.startUdpEcho(7000);
      ManagedProcess capture = lab.internetCapture("router", "host", pub);

      // Unsolicited: d sends to the router's public address, at the port a's socket uses.
      InetSocketAddress target = new InetSocketAddress(router.publicAddress(), 44000);
      assertTrue(d.udpProbe(7001, NO_ANSWER, target).isEmpty(), "no answer to an unsolicited packet");
      assertFalse(aEcho.log().contains("recv"), "the packet did not reach the LAN host");
      assertFalse(router.conntrack().contains("src=" + d.address().getHostAddress()),
          "the dropped packet left no conntrack entry: " + router.conntrack());

      // a's own packet to d keeps port 44000: the unsolicited packet did not steal the mapping.
      InetSocketAddress seen = a.udpProbe(44000, PROBE, d.endpoint(7000)).get(d.endpoint(7000));
      assertEquals(new InetSocketAddress(router.publicAddress(), 44000), seen);
      // d's answer came back through the hole; e, whom a never contacted, still cannot get in.
      assertTrue(e.udpProbe(7002, NO_ANSWER, target).isEmpty());
      assertFalse(aEcho.log().contains("recv " + e.address().getHostAddress()), aEcho.log());

      ManagedProcess.sleep(300);
      Pattern fromRouter = Pattern.compile("IP " + Pattern.quote(pub) + "[. ]");
      List<String> lines = capture.log().lines().filter(l -> l.contains(" IP ")).toList();
      assertTrue(lines.stream().anyMatch(l -> l.contains(d.address().getHostAddress() + ".7001 > " + pub + ".44000")),
          "the capture saw d's unsolicited packets:\n" + capture.log());
      List<String> answers = lines.stream().filter(l -> fromRouter.matcher(l).find()).toList();
      assertEquals(1, answers.stream().map(l -> l.replaceAll("^\\S+ ", "")).distinct().count(),
          "the router sent only a's packet to d (no ICMP, nothing to 7001/7002):\n" + String.join("\n", answers));
      assertTrue(answers.get(0).contains(pub + ".44000 > " + d.address().getHostAddress() + ".7000"), answers.get(0));
    }
  }
}
