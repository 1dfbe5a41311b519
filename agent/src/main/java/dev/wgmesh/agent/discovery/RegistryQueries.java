package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/** What the agent asks one registry through the tunnel; {@link RegistryClient} asks over DNS. */
public interface RegistryQueries {
  /** A peer's endpoint and host candidates as this registry observes them. */
  Lookup lookup(WireGuardKey key);

  /** Tells this registry the node's host candidates: empty when it took them, else why not. */
  Optional<String> report(WireGuardKey self, List<InetSocketAddress> candidates);
}
