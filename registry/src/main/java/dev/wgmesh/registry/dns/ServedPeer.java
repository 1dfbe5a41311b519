package dev.wgmesh.registry.dns;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;

/** A peer the registry publishes: its key, the endpoint it was last seen at, its AllowedIPs. */
public record ServedPeer(WireGuardKey key, InetSocketAddress endpoint, List<IpPrefix> allowedIps) {
  public ServedPeer {
    allowedIps = List.copyOf(allowedIps);
  }
}
