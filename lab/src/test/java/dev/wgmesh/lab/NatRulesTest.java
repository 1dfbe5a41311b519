package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Plain unit tests (no root needed) of the rule text and address formats. */
class NatRulesTest {

  @Test
  void everyKindDropsUnsolicitedWanInputAndForwarding() throws Exception {
    for (NatKind kind : NatKind.values()) {
      String rules = Lab.natRules(kind, "wan0", "lan0", InetAddress.getByName("203.0.113.11"), InetAddress.getByName("10.201.0.2"));
      assertTrue(rules.contains("-A INPUT -i wan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -i wan0 -j DROP"), rules);
      assertTrue(rules.contains("-A FORWARD -i wan0 -j DROP"), rules);
      assertEquals(kind == NatKind.SYMMETRIC, rules.contains("MASQUERADE --random-fully"), rules);
      assertEquals(kind == NatKind.CONE, rules.contains("-A PREROUTING -i wan0 -d 203.0.113.11 -p udp -j DNAT --to-destination 10.201.0.2"), rules);
    }
    assertFalse(Lab.natRules(NatKind.PORT_RESTRICTED, "w", "l", InetAddress.getByName("203.0.113.11"), InetAddress.getByName("10.201.0.2")).contains("DNAT"));
  }

  @Test
  void siteRulesDropHairpinsAndUdpBlockRulesPassOneEndpoint() throws Exception {
    InetAddress pub = InetAddress.getByName("203.0.113.11");
    String site = Lab.natRules(NatKind.PORT_RESTRICTED, "wan0", "br0", pub, null, true);
    assertTrue(site.contains("-A INPUT -i br0 -d 203.0.113.11 -j DROP\n"), site);
    assertFalse(Lab.natRules(NatKind.PORT_RESTRICTED, "wan0", "br0", pub, null).contains("-i br0"));
    String udp = Lab.udpBlockRules("up0", new InetSocketAddress(InetAddress.getByName("198.51.100.11"), 51820));
    assertTrue(udp.contains("-A OUTPUT -o up0 -p udp -d 198.51.100.11 --dport 51820 -j ACCEPT\n-A OUTPUT -o up0 -p udp -j DROP"), udp);
    assertTrue(udp.contains("-A INPUT -i up0 -p udp -s 198.51.100.11 --sport 51820 -j ACCEPT\n-A INPUT -i up0 -p udp -j DROP"), udp);
  }

  @Test
  void endpointsFormatAndParseWithBracketsForIpv6() throws Exception {
    InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8:100::11"), 51820);
    assertEquals("[2001:db8:100:0:0:0:0:11]:51820", UdpTool.format(v6));
    assertEquals(v6, UdpTool.parse("[2001:db8:100::11]:51820"));
    assertEquals(new InetSocketAddress(InetAddress.getByName("198.51.100.11"), 7000), UdpTool.parse("198.51.100.11:7000"));
  }
}
