package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.discovery.RegistryTarget;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where and how the discovery loop talks to the mesh's registries, from a node configuration's
 * registry peers and discovery settings. A change of any of these restarts discovery.
 *
 * @param registries every registry of the mesh, in the mesh's order (at least one)
 * @param ownAddress this node's tunnel address of the registries' family (the relay's source)
 * @param listenPort the interface's port, when the configuration fixes it
 */
public record RegistryAccess(List<RegistryTarget> registries, boolean relay, Optional<InetAddress> ownAddress, OptionalInt listenPort) {
  public RegistryAccess {
    registries = List.copyOf(registries);
    if (registries.isEmpty()) {
      throw new IllegalArgumentException("no registry");
    }
  }
}
