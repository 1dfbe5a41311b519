package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.operator.registry.RegistryNames;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryEndpointTest {
  static WireGuardMeshSpec.RegistrySpec mesh(String exposure, String nodeName, String endpoint) {
    WireGuardMeshSpec.RegistrySpec registry = new WireGuardMeshSpec.RegistrySpec();
    registry.setExposure(exposure);
    registry.setNodeName(nodeName);
    registry.setEndpoint(endpoint);
    return registry;
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
    WireGuardMeshSpec.RegistrySpec lb = mesh("LoadBalancer", null, null);
    assertEquals(Optional.of("198.51.100.7:51820"), RegistryEndpoint.discovered(lb, List.of(), service("198.51.100.7", null)));
    assertEquals(Optional.of("lb.example.com:51820"), RegistryEndpoint.discovered(lb, List.of(), service(null, "lb.example.com")));
    assertEquals(Optional.empty(), RegistryEndpoint.discovered(lb, List.of(), null));
  }

  @Test
  void interfaceNamesFitLinux() {
    assertEquals("wgreg-m", RegistryNames.interfaceName("m", null), "the single registry keeps its interface");
    String long1 = RegistryNames.interfaceName("a-mesh-with-a-long-name", null);
    String long2 = RegistryNames.interfaceName("a-mesh-with-a-long-name-2", null);
    assertTrue(long1.length() <= 15, long1);
    assertTrue(!long1.equals(long2));

    assertEquals("wgr-prod.eu", RegistryNames.interfaceName("prod", "eu"));
    assertTrue(!RegistryNames.interfaceName("a-b", null).equals(RegistryNames.interfaceName("a", "b")));
    assertTrue(!RegistryNames.interfaceName("a-b", "c").equals(RegistryNames.interfaceName("a", "b-c")));
    String named1 = RegistryNames.interfaceName("a-mesh-with-a-long-name", "eu-west-1");
    String named2 = RegistryNames.interfaceName("a-mesh-with-a-long-name", "eu-west-2");
    assertTrue(named1.length() <= 15 && named2.length() <= 15, named1);
    assertTrue(!named1.equals(named2) && !named1.equals(long1));
  }
}
