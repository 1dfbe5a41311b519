package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which peers the registry publishes: only those seen by a recent handshake. */
class PeerSelectionTest {
  final Instant now = Instant.parse("2026-11-24T12:00:00Z");
  final PeerState fresh = peer("192.0.2.1:1000", now.minusSeconds(30));
  final PeerState old = peer("192.0.2.2:1000", now.minusSeconds(181));
  final PeerState neverHandshaked = peer("192.0.2.3:1000", null);
  final PeerState noEndpoint = peer(null, now.minusSeconds(5));
  final DeviceState device = new DeviceState("wg0", Optional.empty(), Optional.of(KeyPair.generate().publicKey()), 51820, 0,
      List.of(fresh, old, neverHandshaked, noEndpoint));

  static PeerState peer(String endpoint, Instant handshake) {
    WireGuardKey key = KeyPair.generate().publicKey();
    Optional<InetSocketAddress> ep = Optional.ofNullable(endpoint).map(Endpoints::parse);
    return new PeerState(key, ep, List.of(IpPrefix.parse("10.0.0.1/32")), Optional.ofNullable(handshake), 0, 0, 25, false);
  }

  @Test
  void onlyPeersWithARecentHandshakeAndAnEndpointAreServed() {
    PeerSelection.Result r = new PeerSelection(Optional.of(Duration.ofSeconds(180))).select(device, now, Optional.empty());
    assertEquals(List.of(fresh.publicKey()), r.served().stream().map(ServedPeer::key).toList());
    assertEquals(2, r.withheldStale(), "too old, or never handshaked");
    assertEquals(1, r.withheldNoEndpoint());
  }

  @Test
  void serveStaleServesEveryPeerWithAnEndpoint() {
    PeerSelection.Result r = new PeerSelection(Optional.empty()).select(device, now, Optional.empty());
    assertEquals(3, r.served().size());
    assertEquals(1, r.withheldNoEndpoint());
  }

  @Test
  void theRegistrysOwnRecordComesFirstWithSelf() {
    ServedPeer self = new ServedPeer(device.publicKey().get(), Endpoints.parse("203.0.113.5:51820"), List.of(IpPrefix.parse("10.0.0.254/32")));
    PeerSelection.Result r = new PeerSelection(Optional.of(Duration.ofSeconds(180))).select(device, now, Optional.of(self));
    assertEquals(List.of(self, new ServedPeer(fresh.publicKey(), fresh.endpoint().get(), fresh.allowedIps())), r.served());
  }
}
