package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Per registry with exposure LoadBalancer only (otherwise it is deleted): a Service of type
 * LoadBalancer with externalTrafficPolicy Local, so the load balancer keeps the nodes' source
 * addresses, exposing the WireGuard UDP port and nothing else. DNS-SD and the relay are served
 * inside the tunnel, never through the Service.
 */
public final class RegistryServiceDependent extends HashedDependent<Service> {
  private final String namespace;

  public RegistryServiceDependent(String namespace) {
    super(Service.class);
    this.namespace = namespace;
  }

  /** Only for a registry with exposure LoadBalancer: a HostNetwork registry's Service, if any, is deleted. */
  @Override
  protected Optional<Service> build(WireGuardMesh mesh, WireGuardMeshSpec.RegistrySpec registry) {
    if (registry.hostNetwork()) {
      return Optional.empty();
    }
    String meshName = mesh.getMetadata().getName();
    return Optional.of(new ServiceBuilder()
        .withNewMetadata()
        .withName(RegistryNames.object(meshName, registry.getName()))
        .withNamespace(namespace)
        .withLabels(RegistryNames.labels(meshName, registry.getName()))
        .endMetadata()
        .withNewSpec()
        .withType("LoadBalancer")
        .withExternalTrafficPolicy("Local")
        .withSelector(RegistryNames.selector(meshName, registry.getName()))
        .addNewPort()
        .withName("wireguard")
        .withProtocol("UDP")
        .withPort(registry.portOrDefault())
        .withTargetPort(new IntOrString("wireguard"))
        .endPort()
        .endSpec()
        .build());
  }

  /** host:port of the load balancer, once the cloud has given it an address. */
  public static Optional<String> publicEndpoint(Service service) {
    if (service == null || service.getStatus() == null || service.getStatus().getLoadBalancer() == null
        || service.getStatus().getLoadBalancer().getIngress() == null || service.getSpec().getPorts().isEmpty()) {
      return Optional.empty();
    }
    int port = service.getSpec().getPorts().get(0).getPort();
    for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
      if (ingress.getIp() != null && !ingress.getIp().isBlank()) {
        try {
          return Optional.of(Endpoints.format(new InetSocketAddress(IpPrefix.parseAddress(ingress.getIp()), port)));
        } catch (IllegalArgumentException e) {
          continue; // not an address: try the next ingress
        }
      }
      if (ingress.getHostname() != null && !ingress.getHostname().isBlank()) {
        return Optional.of(ingress.getHostname() + ":" + port);
      }
    }
    return Optional.empty();
  }
}
