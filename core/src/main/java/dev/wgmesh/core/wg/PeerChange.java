package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A change to one peer. Empty optionals leave that setting as it is, so a change that only sets
 * an endpoint never disturbs AllowedIPs or keepalive (and vice versa).
 *
 * @param remove remove the peer; every other field is ignored
 * @param updateOnly do not create the peer if it does not exist
 * @param allowedIps when present, replaces the peer's AllowedIPs
 */
public record PeerChange(
    WireGuardKey publicKey,
    boolean remove,
    boolean updateOnly,
    Optional<InetSocketAddress> endpoint,
    Optional<List<IpPrefix>> allowedIps,
    OptionalInt persistentKeepalive) {

  public static PeerChange removePeer(WireGuardKey key) {
    return new PeerChange(key, true, false, Optional.empty(), Optional.empty(), OptionalInt.empty());
  }

  public static PeerChange setEndpoint(WireGuardKey key, InetSocketAddress endpoint) {
    return new PeerChange(key, false, true, Optional.of(endpoint), Optional.empty(), OptionalInt.empty());
  }

  public static PeerChange upsert(
      WireGuardKey key, Optional<InetSocketAddress> endpoint, List<IpPrefix> allowedIps, int keepalive) {
    return new PeerChange(key, false, false, endpoint, Optional.of(allowedIps), OptionalInt.of(keepalive));
  }
}
