package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * For exposure LoadBalancer only (a workflow precondition deletes it otherwise): a Service of type
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

  @Override
  protected Service build(WireGuardMesh mesh) {
    String meshName = mesh.getMetadata().getName();
    Integer port = mesh.getSpec().getRegistry().getPort();
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(RegistryNames.service(meshName))
        .withNamespace(namespace)
        .withLabels(RegistryNames.labels(meshName))
        .endMetadata()
        .withNewSpec()
        .withType("LoadBalancer")
        .withExternalTrafficPolicy("Local")
        .withSelector(RegistryNames.selector(meshName))
        .addNewPort()
        .withName("wireguard")
        .withProtocol("UDP")
        .withPort(port == null ? 51820 : port)
        .withTargetPort(new IntOrString("wireguard"))
        .endPort()
        .endSpec()
        .build();
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
