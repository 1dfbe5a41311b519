package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.discovery.RegistryTarget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.config.PeerConfig;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class NodeConfigsTest {
  final WireGuardKey self = KeyPair.generate().publicKey();
  final String registryKey = KeyPair.generate().publicKey().toBase64();
  final String n2 = KeyPair.generate().publicKey().toBase64();
  final String home = KeyPair.generate().publicKey().toBase64();

  /** A node configuration as the operator renders one. */
  static WireGuardNodeConfigSpec spec(String registryKey, WireGuardNodeConfigSpec.Peer... peers) {
    WireGuardNodeConfigSpec s = new WireGuardNodeConfigSpec();
    s.setMesh("prod");
    s.setNodeName("n1");
    s.getInterfaceSpec().setAddresses(List.of("10.88.0.1/24"));
    s.getInterfaceSpec().setListenPort(51820);
    s.getInterfaceSpec().setMtu(1420);
    WireGuardNodeConfigSpec.RegistryPeer r = new WireGuardNodeConfigSpec.RegistryPeer();
    r.setPublicKey(registryKey);
    r.setEndpoint("203.0.113.5:51820");
    r.setAddress("10.88.0.254");
    r.setZone("wgmesh.internal");
    r.setDnsPort(53);
    r.setRelayPort(51821);
    r.setPersistentKeepalive(25);
    s.setRegistryPeer(r);
    s.setPeers(List.of(peers));
    return s;
  }

  @Test
  void registryPeerFirstWithEndpointAndKeepaliveOtherPeersWithoutEndpoints() {
    NodeConfigs.Translated t = NodeConfigs.translate(spec(registryKey,
        new WireGuardNodeConfigSpec.Peer("n2", n2, List.of("10.88.0.2/32", "10.244.2.0/24"), null, 25),
        new WireGuardNodeConfigSpec.Peer("home", home, List.of("10.88.0.3/32", "192.168.10.0/24"), "198.51.100.9:51820", 25)), self);
    assertEquals(List.of(), t.problems());
    List<PeerConfig> peers = t.config().peers();
    assertEquals(List.of("registry", "n2", "home"), peers.stream().map(PeerConfig::name).toList());
    assertEquals(Optional.of(new InetSocketAddress("203.0.113.5", 51820)), peers.get(0).endpoint());
    assertEquals(List.of(IpPrefix.parse("10.88.0.254/32")), peers.get(0).allowedIps());
    assertEquals(25, peers.get(0).persistentKeepalive());
    assertEquals(Optional.empty(), peers.get(1).endpoint(), "discovered, not configured");
    assertEquals(Optional.of(new InetSocketAddress("198.51.100.9", 51820)), peers.get(2).endpoint(), "a static endpoint");
    assertEquals(List.of(IpPrefix.parse("10.88.0.1/24")), t.config().addresses());
    assertEquals(OptionalInt.of(51820), t.config().listenPort());
    assertEquals(OptionalInt.of(1420), t.config().mtu());

    RegistryAccess d = t.discovery().orElseThrow();
    RegistryTarget r = d.registries().get(0);
    assertEquals(1, d.registries().size());
    assertEquals("10.88.0.254", r.address().getHostAddress());
    assertEquals(53, r.dnsPort());
    assertEquals("wgmesh.internal", r.zone());
    assertEquals(51821, r.relayPort());
    assertTrue(d.relay());
    assertEquals("10.88.0.1", d.ownAddress().orElseThrow().getHostAddress());
  }

  @Test
  void relayOffAndMissingPortsUseDefaults() {
    WireGuardNodeConfigSpec s = spec(registryKey);
    s.getDiscovery().setRelay("Off");
    s.getRegistryPeer().setDnsPort(null);
    s.getRegistryPeer().setRelayPort(null);
    RegistryAccess d = NodeConfigs.translate(s, self).discovery().orElseThrow();
    assertFalse(d.relay());
    assertEquals(53, d.registries().get(0).dnsPort());
    assertEquals(51821, d.registries().get(0).relayPort());
  }

  @Test
  void relayDisabledTurnsRelayOffAsDoesOffFromOlderAgents() {
    for (String off : List.of("Disabled", "disabled", "Off", "OFF")) {
      WireGuardNodeConfigSpec s = spec(registryKey);
      s.getDiscovery().setRelay(off);
      assertFalse(NodeConfigs.translate(s, self).discovery().orElseThrow().relay(), off);
    }
    for (String on : Arrays.asList("Auto", "auto", null)) {
      WireGuardNodeConfigSpec s = spec(registryKey);
      s.getDiscovery().setRelay(on);
      assertTrue(NodeConfigs.translate(s, self).discovery().orElseThrow().relay(), String.valueOf(on));
    }
    WireGuardNodeConfigSpec none = spec(registryKey);
    none.setDiscovery(null);
    assertTrue(NodeConfigs.translate(none, self).discovery().orElseThrow().relay());
  }

  // withPeerSets: the node config merged with the mesh's peer sets.

  final String n3 = KeyPair.generate().publicKey().toBase64();
  final String n4 = KeyPair.generate().publicKey().toBase64();

  static WireGuardNodeConfigSpec.Peer member(String name, String key, String... allowed) {
    return new WireGuardNodeConfigSpec.Peer(name, key, List.of(allowed), null, 25);
  }

  static List<String> names(WireGuardNodeConfigSpec s) {
    return s.getPeers().stream().map(WireGuardNodeConfigSpec.Peer::getName).toList();
  }

  @Test
  void peerSetsAddEveryMemberButTheNodeItselfWithoutAProblem() {
    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(spec(registryKey), List.of(
        Fixtures.peerSet("prod-peers-0", "prod", member("n1", self.toBase64(), "10.88.0.1/32"), member("n2", n2, "10.88.0.2/32")),
        Fixtures.peerSet("prod-peers-1", "prod", member("n3", n3, "10.88.0.3/32"))), self);
    assertEquals(List.of("n2", "n3"), names(merged));
    NodeConfigs.Translated t = NodeConfigs.translate(merged, self);
    assertEquals(List.of(), t.problems(), "leaving itself out is no problem");
    assertEquals(List.of("registry", "n2", "n3"), t.config().peers().stream().map(PeerConfig::name).toList());

    // Also when its own key comes with surrounding blanks (the same key to the parser).
    WireGuardNodeConfigSpec blanks = NodeConfigs.withPeerSets(spec(registryKey), List.of(
        Fixtures.peerSet("prod-peers-0", "prod", member("n1", " " + self.toBase64() + "\n", "10.88.0.1/32"))), self);
    assertEquals(List.of(), names(blanks));
  }

  @Test
  void configsOwnPeersComeFirstThenTheSetsOrderedByName() {
    WireGuardNodeConfigSpec config = spec(registryKey, member("home", home, "10.88.0.9/32", "192.168.10.0/24"));
    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(config, List.of(
        Fixtures.peerSet("prod-peers-2", "prod", member("n4", n4, "10.88.0.4/32")),
        Fixtures.peerSet("prod-peers-0", "prod", member("n2", n2, "10.88.0.2/32")),
        Fixtures.peerSet("prod-peers-1", "prod", member("n1", self.toBase64(), "10.88.0.1/32"), member("n3", n3, "10.88.0.3/32"))),
        self);
    assertEquals(List.of("home", "n2", "n3", "n4"), names(merged));
    assertEquals(List.of("10.88.0.9/32", "192.168.10.0/24"), merged.getPeers().get(0).getAllowedIPs());
    // Everything but the peers is the config's.
    assertEquals(config.getMesh(), merged.getMesh());
    assertEquals(config.getNodeName(), merged.getNodeName());
    assertEquals(config.getInterfaceSpec(), merged.getInterfaceSpec());
    assertEquals(config.getRegistryPeer(), merged.getRegistryPeer());
    assertEquals(config.getDiscovery(), merged.getDiscovery());
  }

  @Test
  void aNameAlreadyTakenIsLeftOutTheFirstWins() {
    // n2 moves from set 1 to set 0 (the operator rewrites the sets one by one); "home" is also the
    // name of one of the config's own peers.
    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(spec(registryKey, member("home", home, "10.88.0.9/32")), List.of(
        Fixtures.peerSet("prod-peers-1", "prod", member("n2", n2, "10.88.0.2/32"), member("n3", n3, "10.88.0.3/32")),
        Fixtures.peerSet("prod-peers-0", "prod", member("n2", n2, "10.88.0.2/32", "10.244.2.0/24"),
            member("home", n4, "10.88.0.4/32"))), self);
    assertEquals(List.of("home", "n2", "n3"), names(merged));
    assertEquals(home, merged.getPeers().get(0).getPublicKey(), "the config's own peer wins");
    assertEquals(List.of("10.88.0.2/32", "10.244.2.0/24"), merged.getPeers().get(1).getAllowedIPs(), "the first set by name wins");
    assertEquals(List.of(), NodeConfigs.translate(merged, self).problems(), "a transient duplicate is no problem");
  }

  @Test
  void setsOfAnotherMeshAreIgnored() {
    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(spec(registryKey), List.of(
        Fixtures.peerSet("prod-peers-0", "prod", member("n2", n2, "10.88.0.2/32")),
        Fixtures.peerSet("staging-peers-0", "staging", member("s2", n3, "10.99.0.2/32")),
        Fixtures.peerSet("prod-peers-1", "staging", member("s3", n4, "10.99.0.3/32"))), self);
    assertEquals(List.of("n2"), names(merged));
  }

  @Test
  void noSetsLeaveTheConfigsOwnPeersAndSetsWithoutPeersAreHarmless() {
    WireGuardNodeConfigSpec config = spec(registryKey, member("home", home, "10.88.0.9/32"));
    assertEquals(List.of("home"), names(NodeConfigs.withPeerSets(config, List.of(), self)));
    WireGuardPeerSet empty = Fixtures.peerSet("prod-peers-0", "prod");
    empty.getSpec().setPeers(null);
    WireGuardPeerSet noSpec = Fixtures.peerSet("prod-peers-1", "prod");
    noSpec.setSpec(null);
    config.setPeers(null);
    assertEquals(List.of(), names(NodeConfigs.withPeerSets(config, List.of(empty, noSpec), self)));
  }

  @Test
  void badKeysGoThroughForTranslateToReport() {
    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(spec(registryKey), List.of(Fixtures.peerSet("prod-peers-0", "prod",
        member("bad", "not-a-key", "10.88.0.5/32"), member("nokey", null, "10.88.0.6/32"), member("n2", n2, "10.88.0.2/32"))), self);
    assertEquals(List.of("bad", "nokey", "n2"), names(merged));
    NodeConfigs.Translated t = NodeConfigs.translate(merged, self);
    assertEquals(List.of("registry", "n2"), t.config().peers().stream().map(PeerConfig::name).toList());
    assertEquals(2, t.problems().size(), t.problems().toString());
    assertTrue(t.problems().get(0).startsWith("peer bad"), t.problems().get(0));
  }

  @Test
  void theInputsAreNotChanged() {
    WireGuardNodeConfigSpec config = spec(registryKey, member("home", home, "10.88.0.9/32"));
    List<WireGuardPeerSet> sets = List.of(
        Fixtures.peerSet("prod-peers-1", "prod", member("n1", self.toBase64(), "10.88.0.1/32"), member("n3", n3, "10.88.0.3/32")),
        Fixtures.peerSet("prod-peers-0", "prod", member("n2", n2, "10.88.0.2/32"), member("n3", n3, "10.88.0.3/32")));
    String configBefore = Serialization.asJson(config);
    String setsBefore = Serialization.asJson(sets);
    List<WireGuardPeerSet> setList = new ArrayList<>(sets);

    WireGuardNodeConfigSpec merged = NodeConfigs.withPeerSets(config, setList, self);
    assertEquals(List.of("home", "n2", "n3"), names(merged));
    assertEquals(configBefore, Serialization.asJson(config));
    assertEquals(setsBefore, Serialization.asJson(sets));
    assertEquals(sets, setList, "the list keeps its order");
    assertNotSame(config, merged);
    assertNotSame(config.getPeers(), merged.getPeers());
    assertNotSame(config.getInterfaceSpec(), merged.getInterfaceSpec());

    // Changing the result leaves the config alone too.
    merged.getInterfaceSpec().getAddresses().clear();
    merged.getPeers().clear();
    assertEquals(configBefore, Serialization.asJson(config));
  }

  @Test
  void noRegistryYetMeansNoDiscovery() {
    WireGuardNodeConfigSpec s = spec(registryKey, new WireGuardNodeConfigSpec.Peer("n2", n2, List.of("10.88.0.2/32"), null, 25));
    s.setRegistryPeer(null); // the operator has no registry key yet
    NodeConfigs.Translated t = NodeConfigs.translate(s, self);
    assertEquals(Optional.empty(), t.discovery());
    assertEquals(List.of("n2"), t.config().peers().stream().map(PeerConfig::name).toList());
    assertEquals(List.of(), t.problems());
  }

  @Test
  void badPeersAreLeftOutAndReportedTheRestIsApplied() {
    NodeConfigs.Translated t = NodeConfigs.translate(spec(registryKey,
        new WireGuardNodeConfigSpec.Peer("bad", "not-a-key", List.of("10.88.0.5/32"), null, 25),
        new WireGuardNodeConfigSpec.Peer("me", self.toBase64(), List.of("10.88.0.1/32"), null, 25),
        new WireGuardNodeConfigSpec.Peer("twin", registryKey, List.of("10.88.0.6/32"), null, 25),
        new WireGuardNodeConfigSpec.Peer("n2", n2, List.of("10.88.0.2/32"), null, 25)), self);
    assertEquals(List.of("registry", "n2"), t.config().peers().stream().map(PeerConfig::name).toList());
    assertEquals(3, t.problems().size(), t.problems().toString());
    assertTrue(t.problems().get(0).startsWith("peer bad: public key"), t.problems().get(0));
    assertTrue(t.problems().get(1).contains("own public key"));
    assertTrue(t.problems().get(2).contains("used by another peer"));
  }

  @Test
  void badRegistryPeerIsReportedAndDiscoveryIsOff() {
    NodeConfigs.Translated t = NodeConfigs.translate(spec("garbage"), self);
    assertEquals(Optional.empty(), t.discovery());
    assertTrue(t.problems().get(0).startsWith("registry peer"), t.problems().toString());
  }

  @Test
  void badInterfaceRejectsTheWholeConfiguration() {
    WireGuardNodeConfigSpec s = spec(registryKey);
    s.getInterfaceSpec().setAddresses(List.of("10.88.0.300/24"));
    assertThrows(IllegalArgumentException.class, () -> NodeConfigs.translate(s, self));
    s.getInterfaceSpec().setAddresses(List.of());
    assertThrows(IllegalArgumentException.class, () -> NodeConfigs.translate(s, self), "no address: not applied");
  }
}
