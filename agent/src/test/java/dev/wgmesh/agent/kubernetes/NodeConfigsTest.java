package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.net.InetSocketAddress;
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

    DiscoveryTarget d = t.discovery().orElseThrow();
    assertEquals("10.88.0.254", d.registryAddress().getHostAddress());
    assertEquals(53, d.dnsPort());
    assertEquals("wgmesh.internal", d.zone());
    assertEquals(51821, d.relayPort());
    assertTrue(d.relay());
    assertEquals("10.88.0.1", d.ownAddress().orElseThrow().getHostAddress());
  }

  @Test
  void relayOffAndMissingPortsUseDefaults() {
    WireGuardNodeConfigSpec s = spec(registryKey);
    s.getDiscovery().setRelay("Off");
    s.getRegistryPeer().setDnsPort(null);
    s.getRegistryPeer().setRelayPort(null);
    DiscoveryTarget d = NodeConfigs.translate(s, self).discovery().orElseThrow();
    assertFalse(d.relay());
    assertEquals(53, d.dnsPort());
    assertEquals(51821, d.relayPort());
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
