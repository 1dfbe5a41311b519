package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.operator.registry.RegistryServiceDependent;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Service;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Optional;

/**
 * A registry's public endpoint when the mesh does not state one: the load balancer's address
 * (exposure LoadBalancer), or the ExternalIP of the node the registry is pinned to (HostNetwork).
 * An explicit endpoint always wins; without any, nodes get no endpoint for that registry and wait.
 */
final class RegistryEndpoint {
  private RegistryEndpoint() {}

  /** @param service the registry's Service, null when there is none */
  static Optional<String> discovered(WireGuardMeshSpec.RegistrySpec registry, Collection<Node> nodes, Service service) {
    if (registry.getEndpoint() != null) {
      return Optional.empty();
    }
    if (!registry.hostNetwork()) {
      return RegistryServiceDependent.publicEndpoint(service);
    }
    if (registry.getNodeName() == null) {
      return Optional.empty();
    }
    int port = registry.portOrDefault();
    return nodes.stream()
        .filter(n -> registry.getNodeName().equals(n.getMetadata().getName()))
        .filter(n -> n.getStatus() != null && n.getStatus().getAddresses() != null)
        .flatMap(n -> n.getStatus().getAddresses().stream())
        .filter(a -> "ExternalIP".equals(a.getType()))
        .map(NodeAddress::getAddress)
        .flatMap(a -> endpoint(a, port).stream())
        .findFirst();
  }

  private static Optional<String> endpoint(String address, int port) {
    try {
      return Optional.of(Endpoints.format(new InetSocketAddress(IpPrefix.parseAddress(address), port)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
