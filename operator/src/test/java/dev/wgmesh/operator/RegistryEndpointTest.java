package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.operator.registry.RegistryNames;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryEndpointTest {
  static WireGuardMesh mesh(String exposure, String nodeName, String endpoint) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("m").build());
    mesh.getSpec().getRegistry().setExposure(exposure);
    mesh.getSpec().getRegistry().setNodeName(nodeName);
    mesh.getSpec().getRegistry().setEndpoint(endpoint);
    return mesh;
  }

  static final Node EDGE = new NodeBuilder().withNewMetadata().withName("edge").endMetadata().withNewStatus()
      .addNewAddress().withType("InternalIP").withAddress("10.0.0.9").endAddress()
      .addNewAddress().withType("ExternalIP").withAddress("2001:db8::9").endAddress().endStatus().build();

  static Service service(String ip, String hostname) {
    return new ServiceBuilder().withNewSpec().addNewPort().withPort(51820).endPort().endSpec()
        .withNewStatus().withNewLoadBalancer().addNewIngress().withIp(ip).withHostname(hostname).endIngress().endLoadBalancer().endStatus()
        .build();
  }

  @Test
  void anExplicitEndpointWins() {
    assertEquals(Optional.empty(), RegistryEndpoint.discovered(mesh("HostNetwork", "edge", "203.0.113.5:51820"), List.of(EDGE), null));
  }

  @Test
  void hostNetworkUsesThePinnedNodesExternalAddress() {
    assertEquals(Optional.of("[2001:db8::9]:51820"), RegistryEndpoint.discovered(mesh("HostNetwork", "edge", null), List.of(EDGE), null));
    assertEquals(Optional.empty(), RegistryEndpoint.discovered(mesh("HostNetwork", null, null), List.of(EDGE), null), "not pinned");
    assertEquals(Optional.empty(), RegistryEndpoint.discovered(mesh("HostNetwork", "gone", null), List.of(EDGE), null));
  }

  @Test
  void loadBalancerUsesItsIngress() {
    WireGuardMesh lb = mesh("LoadBalancer", null, null);
    assertEquals(Optional.of("198.51.100.7:51820"), RegistryEndpoint.discovered(lb, List.of(), service("198.51.100.7", null)));
    assertEquals(Optional.of("lb.example.com:51820"), RegistryEndpoint.discovered(lb, List.of(), service(null, "lb.example.com")));
    assertEquals(Optional.empty(), RegistryEndpoint.discovered(lb, List.of(), null));
  }

  @Test
  void interfaceNamesFitLinux() {
    assertEquals("wgreg-m", RegistryNames.interfaceName("m"));
    String long1 = RegistryNames.interfaceName("a-mesh-with-a-long-name");
    String long2 = RegistryNames.interfaceName("a-mesh-with-a-long-name-2");
    assertTrue(long1.length() <= 15, long1);
    assertTrue(!long1.equals(long2));
  }
}
