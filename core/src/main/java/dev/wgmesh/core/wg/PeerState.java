package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One peer as the WireGuard device reports it.
 *
 * @param lastHandshake empty when the peer never completed a handshake
 * @param persistentKeepalive seconds; 0 when off
 * @param hasPresharedKey whether the peer has a preshared key. The key itself is a secret and is
 *     never read into this model; only whether one is set, since removing and re-adding the peer
 *     would drop it.
 */
public record PeerState(
    WireGuardKey publicKey,
    Optional<InetSocketAddress> endpoint,
    List<IpPrefix> allowedIps,
    Optional<Instant> lastHandshake,
    long rxBytes,
    long txBytes,
    int persistentKeepalive,
    boolean hasPresharedKey) {

  public PeerState {
    allowedIps = List.copyOf(allowedIps);
  }
}
