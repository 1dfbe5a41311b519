package dev.wgmesh.registry.dns;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A peer the registry publishes: its key, the endpoint it was last seen at, its AllowedIPs, and
 * the host candidates the node reported (its own addresses with its WireGuard port).
 */
public record ServedPeer(WireGuardKey key, InetSocketAddress endpoint, List<IpPrefix> allowedIps, List<InetSocketAddress> candidates) {
  public ServedPeer {
    allowedIps = List.copyOf(allowedIps);
    candidates = List.copyOf(candidates);
  }

  public ServedPeer(WireGuardKey key, InetSocketAddress endpoint, List<IpPrefix> allowedIps) {
    this(key, endpoint, allowedIps, List.of());
  }

  public ServedPeer withCandidates(List<InetSocketAddress> reported) {
    return new ServedPeer(key, endpoint, allowedIps, reported);
  }
}
