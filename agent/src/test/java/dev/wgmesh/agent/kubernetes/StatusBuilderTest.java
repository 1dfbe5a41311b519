package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.NodeStatus;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusBuilderTest {
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00.750Z");
  final KeyPair self = KeyPair.generate();
  final WireGuardKey registry = KeyPair.generate().publicKey();
  final WireGuardKey a = KeyPair.generate().publicKey();
  final WireGuardKey b = KeyPair.generate().publicKey();
  final WireGuardKey c = KeyPair.generate().publicKey();
  final WireGuardKey d = KeyPair.generate().publicKey();
  final InetSocketAddress relaySocket = new InetSocketAddress("127.0.0.1", 45000);

  static PeerConfig peer(String name, WireGuardKey key) {
    return new PeerConfig(name, key, List.of(IpPrefix.parse("10.88.0.9/32")), Optional.empty(), 25);
  }

  static PeerState state(WireGuardKey key, InetSocketAddress endpoint, Instant handshake) {
    return new PeerState(key, Optional.ofNullable(endpoint), List.of(), Optional.ofNullable(handshake), 0, 0, 25, false);
  }

  List<PeerConfig> peers() {
    return List.of(peer("registry", registry), peer("n-direct", a), peer("n-relayed", b), peer("n-stale", c), peer("n-absent", d));
  }

  DeviceState device() {
    return new DeviceState("wgmesh0", Optional.of(self.privateKey()), Optional.of(self.publicKey()), 51820, 0, List.of(
        state(registry, new InetSocketAddress("203.0.113.5", 51820), NOW),
        state(a, new InetSocketAddress("198.51.100.20", 40000), NOW.minusSeconds(30)),
        state(b, relaySocket, NOW.minusSeconds(10)),
        state(c, new InetSocketAddress("198.51.100.21", 40000), NOW.minusSeconds(600))));
  }

  @Test
  void countsEveryPeerListsOnlyThoseNotOnTheirBestPathTheRegistryLeftOut() {
    WireGuardNodeConfigStatus s = StatusBuilder.build(7L, null, self.publicKey(), peers(), Optional.of(device()), Optional.empty(),
        Map.of(), relaySocket::equals, NOW);
    assertEquals(7L, s.getAppliedGeneration());
    assertEquals(self.publicKey().toBase64(), s.getPublicKey());
    assertNull(s.getLastError());
    List<WireGuardNodeConfigStatus.PeerStatus> p = s.getPeers();
    assertEquals(List.of("n-absent", "n-relayed", "n-stale"), p.stream().map(WireGuardNodeConfigStatus.PeerStatus::getName).toList(),
        "by name; n-direct is on its best path: counted, not listed");
    assertEquals(List.of("pending", "relayed", "pending"), p.stream().map(WireGuardNodeConfigStatus.PeerStatus::getMode).toList());
    assertTrue(p.stream().allMatch(x -> x.getEndpoint() == null && x.getLastHandshake() == null), "per-peer detail is at the agent");
    assertEquals(Map.of("direct", 1, "relayed", 1, "pending", 2), s.getPaths());
    assertNull(s.getPeersOmitted());
    assertEquals(1, s.getDirect());
    assertEquals(1, s.getRelayed());
    assertEquals(2, s.getPending());
  }

  @Test
  void atMostFiftyPeersAreListedTheRestCounted() {
    List<PeerConfig> many = java.util.stream.IntStream.range(0, 70).mapToObj(i -> peer(String.format("n%02d", i), KeyPair.generate().publicKey()))
        .toList();
    WireGuardNodeConfigStatus s = StatusBuilder.build(7L, null, self.publicKey(), many, Optional.of(device()), Optional.empty(),
        Map.of(), relaySocket::equals, NOW);
    assertEquals(NodeStatus.LISTED_LIMIT, s.getPeers().size());
    assertEquals("n00", s.getPeers().get(0).getName());
    assertEquals("n49", s.getPeers().get(49).getName());
    assertEquals(20, s.getPeersOmitted());
    assertEquals(Map.of("pending", 70), s.getPaths());
  }

  @Test
  void countsComeFromTheDiscoveryLoopWhenItRuns() {
    Map<PeerPathStateMachine.Mode, Integer> counts = Map.of(PeerPathStateMachine.Mode.DIRECT, 3, PeerPathStateMachine.Mode.RELAYED, 1,
        PeerPathStateMachine.Mode.DISCOVERING, 0);
    WireGuardNodeConfigStatus s = StatusBuilder.build(7L, "x", self.publicKey(), peers(), Optional.of(device()), Optional.of(counts),
        Map.of(), relaySocket::equals, NOW);
    assertEquals(3, s.getDirect());
    assertEquals(1, s.getRelayed());
    assertEquals(0, s.getPending());
    assertEquals("x", s.getLastError());
  }

  @Test
  void eachPeersKindOfPathComesFromDiscoveryElseItIsTheMode() {
    WireGuardNodeConfigStatus s = StatusBuilder.build(7L, null, self.publicKey(), peers(), Optional.of(device()), Optional.empty(),
        Map.of(a, PathKind.LAN, c, PathKind.RELAYED), relaySocket::equals, NOW);
    List<WireGuardNodeConfigStatus.PeerStatus> p = s.getPeers();
    assertEquals(List.of("n-absent", "n-relayed", "n-stale"), p.stream().map(WireGuardNodeConfigStatus.PeerStatus::getName).toList(),
        "n-direct is on a LAN path: its best");
    assertEquals(List.of("pending", "relayed", "relayed"), p.stream().map(WireGuardNodeConfigStatus.PeerStatus::getPath).toList());
    assertEquals("pending", p.get(2).getMode(), "discovery's path, the handshake's mode");
    assertEquals(Map.of("lan", 1, "relayed", 2, "pending", 1), s.getPaths());
  }

  @Test
  void unreadableDeviceReportsEveryPeerPending() {
    WireGuardNodeConfigStatus s = StatusBuilder.build(7L, null, self.publicKey(), peers(), Optional.empty(), Optional.empty(),
        Map.of(), e -> false, NOW);
    assertEquals(4, s.getPending());
    assertEquals(0, s.getDirect());
  }

  @Test
  void handshakeTimesAndCountersAreNotInWhatIsWritten() {
    InetSocketAddress endpoint = new InetSocketAddress("198.51.100.20", 40000);
    DeviceState earlier = new DeviceState("wgmesh0", Optional.empty(), Optional.empty(), 51820, 0, List.of(
        state(a, endpoint, NOW.minusSeconds(125)), state(b, relaySocket, NOW.minusSeconds(100))));
    DeviceState later = new DeviceState("wgmesh0", Optional.empty(), Optional.empty(), 51820, 0, List.of(
        new PeerState(a, Optional.of(endpoint), List.of(), Optional.of(NOW.minusSeconds(5)), 9000, 9000, 25, false),
        new PeerState(b, Optional.of(relaySocket), List.of(), Optional.of(NOW.minusSeconds(3)), 7000, 7000, 25, false)));
    List<PeerConfig> two = List.of(peer("n", a), peer("r", b));
    String s1 = written(StatusBuilder.build(1L, null, self.publicKey(), two, Optional.of(earlier), Optional.empty(), Map.of(), relaySocket::equals, NOW));
    String s2 = written(StatusBuilder.build(1L, null, self.publicKey(), two, Optional.of(later), Optional.empty(), Map.of(), relaySocket::equals, NOW));
    assertEquals(s1, s2);
    String s3 = written(StatusBuilder.build(1L, null, self.publicKey(), two, Optional.of(later), Optional.empty(), Map.of(b, PathKind.DIRECT),
        relaySocket::equals, NOW));
    assertNotEquals(s2, s3, "a path change is written");
  }

  private static String written(WireGuardNodeConfigStatus s) {
    return new io.fabric8.kubernetes.client.utils.KubernetesSerialization().asJson(s.reportedFields());
  }

  @Test
  void registriesAreReportedByTunnelAddressOnceSomethingWasAskedOfThem() throws Exception {
    java.util.function.Function<String, dev.wgmesh.agent.discovery.RegistryTarget> target = ip -> {
      try {
        return new dev.wgmesh.agent.discovery.RegistryTarget(null, java.net.InetAddress.getByName(ip), 53, 51821, "wgmesh.internal");
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    };
    Map<String, Boolean> reachable = StatusBuilder.reachable(List.of(
        new dev.wgmesh.agent.Agent.RegistryReach(target.apply("10.88.255.254"), dev.wgmesh.agent.discovery.RegistryHealth.State.UNREACHABLE),
        new dev.wgmesh.agent.Agent.RegistryReach(target.apply("10.88.255.253"), dev.wgmesh.agent.discovery.RegistryHealth.State.REACHABLE),
        new dev.wgmesh.agent.Agent.RegistryReach(target.apply("fd00:88::fe"), dev.wgmesh.agent.discovery.RegistryHealth.State.REACHABLE),
        new dev.wgmesh.agent.Agent.RegistryReach(target.apply("10.88.255.252"), dev.wgmesh.agent.discovery.RegistryHealth.State.UNKNOWN)));
    assertEquals(Map.of("10.88.255.254", false, "10.88.255.253", true, "fd00:88::fe", true), reachable,
        "the configuration's address text; nothing for a registry not asked yet");
  }
}
