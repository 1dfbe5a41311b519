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
 */
public record PeerState(
    WireGuardKey publicKey,
    Optional<InetSocketAddress> endpoint,
    List<IpPrefix> allowedIps,
    Optional<Instant> lastHandshake,
    long rxBytes,
    long txBytes,
    int persistentKeepalive) {

  public PeerState {
    allowedIps = List.copyOf(allowedIps);
  }
}
