package dev.wgmesh.core.wg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.IpPrefix;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LinkAndRoutePlanTest {
  static List<IpPrefix> p(String... cidrs) {
    return List.of(cidrs).stream().map(IpPrefix::parse).toList();
  }

  static PeerConfig peer(String... allowed) {
    return new PeerConfig("p", KeyPair.generate().publicKey(), p(allowed), Optional.empty(), 0);
  }

  static InterfaceConfig config(List<String> addresses, PeerConfig... peers) {
    return new InterfaceConfig(p(addresses.toArray(String[]::new)), OptionalInt.empty(), OptionalInt.of(1420), List.of(peers));
  }

  @Test
  void routesGoToOtherNodesPodCidrsNotToTunnelAddressesInsideTheInterfaceSubnet() {
    InterfaceConfig c = config(List.of("10.88.0.1/24", "fd00:88::1/64"),
        peer("10.88.0.254/32"),
        peer("10.88.0.2/32", "fd00:88::2/128", "10.244.2.0/24", "fd00:244:2::/64"),
        peer("10.88.0.3/32", "10.244.3.0/24", "192.168.10.0/24"));
    assertEquals(List.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.3.0/24"), IpPrefix.parse("192.168.10.0/24"),
        IpPrefix.parse("fd00:244:2::/64")), List.copyOf(RoutePlan.desired(c)));
  }

  @Test
  void tunnelAddressOutsideTheInterfaceSubnetGetsARoute() {
    InterfaceConfig c = config(List.of("10.88.0.1/32"), peer("10.88.0.2/32"));
    assertEquals(Set.of(IpPrefix.parse("10.88.0.2/32")), RoutePlan.desired(c));
  }

  @Test
  void defaultRouteIsNeverInstalled() {
    assertTrue(RoutePlan.desired(config(List.of("10.88.0.1/24"), peer("0.0.0.0/0", "::/0"))).isEmpty());
  }

  @Test
  void diffReplacesMissingAndDeletesStaleRoutes() {
    RoutePlan.Change change = RoutePlan.plan(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.9.0/24")),
        config(List.of("10.88.0.1/24"), peer("10.88.0.2/32", "10.244.2.0/24"), peer("10.88.0.3/32", "10.244.3.0/24")));
    assertEquals(p("10.244.3.0/24"), change.replace());
    assertEquals(p("10.244.9.0/24"), change.delete());
    assertTrue(RoutePlan.plan(RoutePlan.desired(config(List.of("10.88.0.1/24"), peer("10.244.2.0/24"))),
        config(List.of("10.88.0.1/24"), peer("10.244.2.0/24"))).isEmpty());
  }

  @Test
  void linkPlanRemovesStaleAddressesSetsMtuAndBringsUp() {
    LinkState current = new LinkState(false, 1500, p("10.88.0.9/24", "fe80::1/64"));
    LinkPlan.Change change = LinkPlan.plan(current, config(List.of("10.88.0.1/24", "fd00:88::1/64")));
    assertEquals(p("10.88.0.9/24"), change.removeAddresses(), "link-local addresses are the kernel's");
    assertEquals(p("10.88.0.1/24", "fd00:88::1/64"), change.addAddresses());
    assertEquals(OptionalInt.of(1420), change.mtu());
    assertTrue(change.bringUp());
    LinkPlan.Change none = LinkPlan.plan(new LinkState(true, 1420, p("10.88.0.1/24")), config(List.of("10.88.0.1/24")));
    assertTrue(none.isEmpty());
  }

  @Test
  void prefixLengthChangeIsAnAddressChange() {
    LinkPlan.Change change = LinkPlan.plan(new LinkState(true, 1420, p("10.88.0.1/24")), config(List.of("10.88.0.1/16")));
    assertEquals(p("10.88.0.1/24"), change.removeAddresses());
    assertEquals(p("10.88.0.1/16"), change.addAddresses());
    assertFalse(change.bringUp());
  }

  @Test
  void ipOutputIsParsed() {
    LinkState s = IpLinkManager.parse(
        "7: wgmesh0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/none",
        "7: wgmesh0    inet 10.88.0.1/24 scope global wgmesh0\\       valid_lft forever preferred_lft forever\n"
            + "7: wgmesh0    inet6 fd00:88::1/64 scope global \\       valid_lft forever preferred_lft forever\n");
    assertEquals(new LinkState(true, 1420, p("10.88.0.1/24", "fd00:88::1/64")), s);
    LinkState down = IpLinkManager.parse("7: wg1: <POINTOPOINT,NOARP> mtu 1500 qdisc noop state DOWN", "");
    assertEquals(new LinkState(false, 1500, List.of()), down);
    assertEquals(p("10.244.2.0/24", "10.1.2.3/32", "fd00:244:2::/64"), IpLinkManager.parseRoutes(
        "10.244.2.0/24 scope link \n10.1.2.3 scope link\nfd00:244:2::/64 metric 1024 pref medium\ndefault via 1.2.3.4\n"));
  }

  @Test
  void parsedConfigsExplainWhatIsWrong() {
    String key = KeyPair.generate().publicKey().toBase64();
    PeerConfig ok = PeerConfig.parse("n2", key, List.of("10.88.0.2/32"), "vpn.example.com:51820", null);
    assertTrue(ok.endpoint().get().isUnresolved());
    assertEquals(0, ok.persistentKeepalive());
    IllegalArgumentException badKey = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PeerConfig.parse("n3", "nope", List.of(), null, 25));
    assertTrue(badKey.getMessage().startsWith("peer n3: public key"), badKey.getMessage());
    IllegalArgumentException badCidr = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PeerConfig.parse("n4", key, List.of("10.0.0.0/33"), null, 25));
    assertTrue(badCidr.getMessage().startsWith("peer n4: allowed IP"), badCidr.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> InterfaceConfig.parse(List.of("10.88.0.1/24"), 70000, null, List.of()));
  }
}
