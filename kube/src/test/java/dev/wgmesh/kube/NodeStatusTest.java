package dev.wgmesh.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A node's status as its agent lists it: new peers get a moment to find a path before they are listed pending. */
class NodeStatusTest {
  static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  final WireGuardKey self = KeyPair.generate().publicKey();
  final WireGuardKey old = KeyPair.generate().publicKey();
  final WireGuardKey fresh = KeyPair.generate().publicKey();
  final WireGuardKey unknown = KeyPair.generate().publicKey();

  static PeerConfig peer(String name, WireGuardKey key, String ip) {
    return new PeerConfig(name, key, List.of(IpPrefix.parse(ip + "/32")), Optional.empty(), 25);
  }

  WireGuardNodeConfigStatus status(Instant now) {
    List<PeerConfig> peers = List.of(peer("old", old, "10.88.0.2"), peer("fresh", fresh, "10.88.0.3"), peer("unknown", unknown, "10.88.0.4"));
    // none has a handshake: all three pending
    DeviceState device = new DeviceState("wgmesh0", Optional.empty(), Optional.empty(), 51820, 0, List.of(
        new PeerState(old, Optional.of(new InetSocketAddress("198.51.100.2", 51820)), List.of(), Optional.empty(), 0, 0, 25, false),
        new PeerState(fresh, Optional.empty(), List.of(), Optional.empty(), 0, 0, 25, false)));
    PeerArrivals arrivals = new PeerArrivals();
    arrivals.update(List.of(old), NOW.minus(Duration.ofMinutes(5)));
    arrivals.update(List.of(old, fresh), NOW.minusSeconds(3));
    return NodeStatus.build(1L, null, self, peers, Optional.of(device), Optional.empty(), Map.of(),
        arrivals.settling(NodeSettings.PENDING_GRACE, now), a -> false, now, NodeStatus.Listing.NOT_ON_BEST_PATH);
  }

  static List<String> listed(WireGuardNodeConfigStatus s) {
    return s.getPeers().stream().map(WireGuardNodeConfigStatus.PeerStatus::getName).toList();
  }

  @Test
  void aPeerAddedMomentsAgoIsNeitherCountedNorListedPendingUntilItsGraceEnds() {
    WireGuardNodeConfigStatus now = status(NOW);
    assertEquals(2, now.getPending(), "fresh is not counted yet");
    assertEquals(Map.of("pending", 2), now.getPaths());
    assertEquals(List.of("old", "unknown"), listed(now), "fresh (3 s) not listed; a peer whose arrival is not known is");
    assertNull(now.getPeersOmitted());

    WireGuardNodeConfigStatus later = status(NOW.plus(NodeSettings.PENDING_GRACE));
    assertEquals(List.of("fresh", "old", "unknown"), listed(later), "still pending after the grace: listed");
    assertEquals(3, later.getPending());
  }

  @Test
  void arrivalsAreWhenAPeerFirstAppearedAndForgetPeersThatLeft() {
    PeerArrivals arrivals = new PeerArrivals();
    Duration grace = Duration.ofSeconds(20);
    arrivals.update(List.of(old), NOW);
    arrivals.update(List.of(old, fresh), NOW.plusSeconds(30));
    assertEquals(List.of(false, true), settling(arrivals, grace, NOW.plusSeconds(31)));
    arrivals.update(List.of(fresh), NOW.plusSeconds(40));
    arrivals.update(List.of(fresh, old), NOW.plusSeconds(45));
    assertEquals(List.of(true, true), settling(arrivals, grace, NOW.plusSeconds(46)), "a peer that left and came back arrives again");
    assertEquals(List.of(false, false), settling(arrivals, grace, NOW.plusSeconds(70)));
  }

  List<Boolean> settling(PeerArrivals arrivals, Duration grace, Instant now) {
    var p = arrivals.settling(grace, now);
    return List.of(p.test(old), p.test(fresh));
  }
}
