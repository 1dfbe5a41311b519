package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.operator.registry.RegistryDeploymentDependent;
import dev.wgmesh.operator.registry.RegistryServiceDependent;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Service;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Optional;

/**
 * The registry's public endpoint when the mesh does not state one: the load balancer's address
 * (exposure LoadBalancer), or the ExternalIP of the node the registry is pinned to (HostNetwork).
 * An explicit {@code spec.registry.endpoint} always wins; without any, nodes get no registry
 * endpoint and wait.
 */
final class RegistryEndpoint {
  private RegistryEndpoint() {}

  static Optional<String> discovered(WireGuardMesh mesh, Collection<Node> nodes, Service service) {
    WireGuardMeshSpec.RegistrySpec registry = mesh.getSpec().getRegistry();
    if (registry == null || registry.getEndpoint() != null) {
      return Optional.empty();
    }
    if (!RegistryDeploymentDependent.hostNetwork(mesh)) {
      return RegistryServiceDependent.publicEndpoint(service);
    }
    if (registry.getNodeName() == null) {
      return Optional.empty();
    }
    int port = registry.getPort() == null ? 51820 : registry.getPort();
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
