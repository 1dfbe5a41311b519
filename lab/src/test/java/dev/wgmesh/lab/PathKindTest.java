package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain unit tests (no root needed) of how StandaloneMesh names the path a WireGuard endpoint stands for. */
class PathKindTest {
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

  private static WgInterface.Peer peer(String endpoint, long handshakeAgo) {
    return new WgInterface.Peer("key", endpoint, List.of(), handshakeAgo < 0 ? 0 : NOW.getEpochSecond() - handshakeAgo, 0, 0, 25);
  }

  @Test
  void endpointsAreClassified() throws Exception {
    NatRouter router = new NatRouter(null, "s-nat", "ns", NatKind.PORT_RESTRICTED, InetAddress.getByName("203.0.113.11"),
        InetAddress.getByName("10.201.0.1"), "w", "br");
    Host behindNat = new Host(null, "b", "ns", InetAddress.getByName("10.201.0.3"), null, "l", router, null);
    assertEquals(PathKind.RELAYED, StandaloneMesh.classify(peer("127.0.0.1:40000", -1), behindNat, NOW));
    assertEquals(PathKind.PENDING, StandaloneMesh.classify(peer(null, -1), behindNat, NOW));
    assertEquals(PathKind.PENDING, StandaloneMesh.classify(peer("203.0.113.11:51820", -1), behindNat, NOW));
    assertEquals(PathKind.PENDING, StandaloneMesh.classify(peer("203.0.113.11:51820", 181), behindNat, NOW));
    assertEquals(PathKind.DIRECT, StandaloneMesh.classify(peer("203.0.113.11:51820", 3), behindNat, NOW));
    assertEquals(PathKind.LAN, StandaloneMesh.classify(peer("10.201.0.3:51820", 3), behindNat, NOW));
    assertEquals(PathKind.IPV6, StandaloneMesh.classify(peer("[2001:db8:200:1::2]:51820", 3), behindNat, NOW));
    Host publicHost = new Host(null, "p", "ns", InetAddress.getByName("198.51.100.11"), null, "w", null, null);
    assertEquals(PathKind.DIRECT, StandaloneMesh.classify(peer("198.51.100.11:51820", 3), publicHost, NOW));
  }
}
