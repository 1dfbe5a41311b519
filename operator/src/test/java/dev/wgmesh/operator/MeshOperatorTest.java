package dev.wgmesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.registry.RegistryKeySecretDependent;
import dev.wgmesh.operator.registry.RegistryNames;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The operator against the strict test API server, as its ServiceAccount: what a cluster would see. */
class MeshOperatorTest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final String MESH = "m";
  static final String REGISTRY_ENDPOINT = "203.0.113.5:51820";
  static final String REGISTRY_ADDRESS = "10.88.0.254";

  /** Creates the mesh and n nodes n1..n with pod CIDR 10.244.i.0/24 and their agents' peers. */
  static void meshWithNodes(MockCluster cluster, int n) {
    cluster.createMesh(MESH, "10.88.0.0/24", REGISTRY_ENDPOINT);
    for (int i = 1; i <= n; i++) {
      addNode(cluster, i);
    }
  }

  /** A mesh on 10.88.0.0/24 with one registry of default settings, not created yet. */
  static WireGuardMesh meshWithOneRegistry(String name) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName(name).build());
    mesh.getSpec().setNetwork("10.88.0.0/24");
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    return mesh;
  }

  static void addNode(MockCluster cluster, int i) {
    Node node = cluster.createNode("n" + i, "10.244." + i + ".0/24");
    cluster.createNodePeer(MESH, node);
  }

  /** Waits until every named node has its config and every config lists exactly the other named nodes. */
  static void awaitMeshOf(MockCluster cluster, String... nodes) {
    awaitMeshOf(cluster, Set.of(), nodes);
  }

  /** The same with external peers, which are in every config but have none. */
  static void awaitMeshOf(MockCluster cluster, Set<String> externals, String... nodes) {
    Set<String> members = new HashSet<>(Set.of(nodes));
    members.addAll(externals);
    await().atMost(TIMEOUT).untilAsserted(() -> {
      for (String node : nodes) {
        WireGuardNodeConfig config = cluster.config(node);
        assertNotNull(config, "config of " + node);
        Set<String> others = members.stream().filter(m -> !m.equals(node)).collect(Collectors.toSet());
        assertEquals(others, peerNames(cluster.effectivePeers(node)), "peers in the config and peer sets of " + node);
        assertFalse(config.getSpec().getRegistryPeers().isEmpty(), "registry peer in the config of " + node);
      }
      WireGuardNodeConfig registry = cluster.config(MESH + "-registry");
      assertNotNull(registry);
      assertEquals(members, peerNames(registry.getSpec()), "peers in the registry's config");
    });
  }

  static Set<String> peerNames(WireGuardNodeConfigSpec spec) {
    return peerNames(spec.getPeers());
  }

  static Set<String> peerNames(List<WireGuardNodeConfigSpec.Peer> peers) {
    return peers.stream().map(WireGuardNodeConfigSpec.Peer::getName).collect(Collectors.toSet());
  }

  static Map<String, String> addresses(MockCluster cluster) {
    Map<String, String> addresses = new TreeMap<>();
    for (WireGuardPeer p : cluster.client.resources(WireGuardPeer.class).list().getItems()) {
      addresses.put(p.getMetadata().getName(), p.getStatus() == null ? null : p.getStatus().getAddress());
    }
    return addresses;
  }

  static Map<String, String> resourceVersions(MockCluster cluster) {
    Map<String, String> versions = new TreeMap<>();
    cluster.client.resources(WireGuardNodeConfig.class).list().getItems()
        .forEach(c -> versions.put("config/" + c.getMetadata().getName(), c.getMetadata().getResourceVersion()));
    cluster.client.resources(WireGuardPeerSet.class).list().getItems()
        .forEach(s -> versions.put("peerset/" + s.getMetadata().getName(), s.getMetadata().getResourceVersion()));
    cluster.client.resources(WireGuardPeer.class).list().getItems()
        .forEach(p -> versions.put("peer/" + p.getMetadata().getName(), p.getMetadata().getResourceVersion()));
    cluster.client.resources(WireGuardMesh.class).list().getItems()
        .forEach(m -> versions.put("mesh/" + m.getMetadata().getName(), m.getMetadata().getResourceVersion()));
    cluster.client.secrets().inNamespace(MockCluster.NAMESPACE).list().getItems()
        .forEach(s -> versions.put("secret/" + s.getMetadata().getName(), s.getMetadata().getResourceVersion()));
    cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).list().getItems()
        .forEach(d -> versions.put("deployment/" + d.getMetadata().getName(), d.getMetadata().getResourceVersion()));
    return versions;
  }

  static long reconciles(OperatorMetrics metrics) {
    var timer = metrics.meterRegistry().find("wgmesh_operator_reconcile").tag("result", "success").timer();
    return timer == null ? 0 : timer.count();
  }

  /** Writes among the recorded requests, other than those the test itself makes to Nodes. */
  static List<String> operatorWrites(List<RecordedRequest> requests) {
    return requests.stream()
        .filter(r -> Set.of("POST", "PUT", "PATCH", "DELETE").contains(r.getMethod()))
        .filter(r -> !r.getPath().startsWith("/api/v1/nodes"))
        .map(r -> r.getMethod() + " " + r.getPath())
        .toList();
  }

  static List<Event> events(MockCluster cluster, String reason) {
    return cluster.client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).toList();
  }

  static Condition condition(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  /** Writes a node config's status as its agent (or the registry) would report it. */
  static void report(MockCluster cluster, String config, String statusJson) {
    cluster.client.resources(WireGuardNodeConfig.class).withName(config).subresource("status").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"status\":" + statusJson + "}");
  }

  @Test
  void peerStatusesShowTheEndpointTheRegistrySeesAndHowTheNodeReachesItsPeers() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 2);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2");
      report(cluster, MESH + "-registry", "{\"appliedGeneration\":1,\"direct\":2,\"relayed\":0,\"pending\":0,"
          + "\"peers\":[{\"name\":\"n1\",\"mode\":\"direct\",\"endpoint\":\"198.51.100.7:41000\"},"
          + "{\"name\":\"n2\",\"mode\":\"direct\",\"endpoint\":\"203.0.113.9:51820\"}]}");
      report(cluster, "n1", "{\"appliedGeneration\":1,\"direct\":0,\"relayed\":1,\"pending\":0}");
      report(cluster, "n2", "{\"appliedGeneration\":1,\"direct\":1,\"relayed\":0,\"pending\":0}");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertEquals("198.51.100.7:41000", cluster.peer("n1").getStatus().getEndpoint());
        assertEquals("relayed", cluster.peer("n1").getStatus().getMode());
        assertEquals("203.0.113.9:51820", cluster.peer("n2").getStatus().getEndpoint());
        assertEquals("direct", cluster.peer("n2").getStatus().getMode());
      });
      // A NAT mapping changes: the registry reports it, the peer's status follows; the plan's fields stay.
      report(cluster, MESH + "-registry", "{\"peers\":[{\"name\":\"n1\",\"mode\":\"direct\",\"endpoint\":\"198.51.100.7:42000\"},"
          + "{\"name\":\"n2\",\"mode\":\"direct\",\"endpoint\":\"203.0.113.9:51820\"}]}");
      await().atMost(TIMEOUT).until(() -> "198.51.100.7:42000".equals(cluster.peer("n1").getStatus().getEndpoint()));
      assertNotNull(cluster.peer("n1").getStatus().getAddress());
    }
  }

  @Test
  void threeNodesGetOneConfigEachAndTheRegistryOneWithEveryPeer() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2", "n3");
      await().atMost(TIMEOUT).until(() -> cluster.mesh(MESH).getStatus() != null
          && Integer.valueOf(3).equals(cluster.mesh(MESH).getStatus().getReady()));

      WireGuardMesh mesh = cluster.mesh(MESH);
      String registryKey = mesh.getStatus().getRegistries().get(0).getPublicKey();
      assertNotNull(registryKey);
      assertEquals(REGISTRY_ADDRESS, mesh.getStatus().getRegistries().get(0).getAddress());
      assertNull(mesh.getStatus().getRegistries().get(0).getName());
      assertEquals(3, mesh.getStatus().getPeers());
      assertEquals(mesh.getMetadata().getGeneration(), mesh.getStatus().getObservedGeneration());
      assertEquals(Condition.TRUE, condition(mesh.getStatus().getConditions(), "Ready").getStatus());
      // no pod runs in the mock: the registry's Deployment is never available
      Condition registryReady = condition(mesh.getStatus().getConditions(), "RegistryReady");
      assertEquals(Condition.FALSE, registryReady.getStatus());
      assertEquals("DeploymentUnavailable", registryReady.getReason());

      Map<String, String> addresses = addresses(cluster);
      assertEquals(3, Set.copyOf(addresses.values()).size(), "distinct addresses: " + addresses);
      for (int i = 1; i <= 3; i++) {
        WireGuardPeer peer = cluster.peer("n" + i);
        assertEquals(Condition.TRUE, peer.getStatus().getReady());
        assertEquals(List.of(addresses.get("n" + i) + "/32", "10.244." + i + ".0/24"), peer.getStatus().getAllowedIPs());
        assertEquals(peer.getMetadata().getGeneration(), peer.getStatus().getObservedGeneration());
        assertNotNull(condition(peer.getStatus().getConditions(), "Ready").getLastTransitionTime());
      }

      for (int i = 1; i <= 3; i++) {
        WireGuardNodeConfig config = cluster.config("n" + i);
        WireGuardNodeConfigSpec spec = config.getSpec();
        assertEquals("n" + i, spec.getNodeName());
        assertEquals(MESH, spec.getMesh());
        assertEquals(List.of(addresses.get("n" + i) + "/24"), spec.getInterfaceSpec().getAddresses());
        assertEquals(MESH, config.getMetadata().getLabels().get(Labels.MESH));
        assertEquals(mesh.getMetadata().getUid(), config.getMetadata().getOwnerReferences().get(0).getUid());
        assertEquals(List.of(), spec.getPeers(), "members are in the peer sets, not in each config");
        assertEquals(2, cluster.effectivePeers("n" + i).size());
        for (WireGuardNodeConfigSpec.Peer p : cluster.effectivePeers("n" + i)) {
          int j = Integer.parseInt(p.getName().substring(1));
          assertEquals(cluster.keys.get(p.getName()).publicKey().toBase64(), p.getPublicKey());
          assertEquals(List.of(addresses.get(p.getName()) + "/32", "10.244." + j + ".0/24"), p.getAllowedIPs(),
              "what n" + i + " routes to " + p.getName());
        }
        assertEquals(registryKey, spec.getRegistryPeers().get(0).getPublicKey());
        assertEquals(REGISTRY_ENDPOINT, spec.getRegistryPeers().get(0).getEndpoint());
        assertEquals(REGISTRY_ADDRESS, spec.getRegistryPeers().get(0).getAddress());
      }
      WireGuardNodeConfigSpec registry = cluster.config(MESH + "-registry").getSpec();
      assertEquals(Boolean.TRUE, registry.getRegistry());
      assertEquals(List.of(REGISTRY_ADDRESS + "/24"), registry.getInterfaceSpec().getAddresses());
      for (WireGuardNodeConfigSpec.Peer p : registry.getPeers()) {
        assertEquals(List.of(addresses.get(p.getName()) + "/32"), p.getAllowedIPs(), "the registry routes tunnel addresses only");
      }

      await().atMost(TIMEOUT).until(() -> events(cluster, "PeerReady").size() == 3);
      Event ready = events(cluster, "PeerReady").get(0);
      assertEquals("default", ready.getMetadata().getNamespace());
      assertEquals("WireGuardPeer", ready.getInvolvedObject().getKind());
      assertEquals("Normal", ready.getType());
    }
  }

  static WireGuardMeshSpec.RegistrySpec namedRegistry(String name, String endpoint, String nodeName) {
    WireGuardMeshSpec.RegistrySpec registry = RegistryEndpointTest.mesh("HostNetwork", nodeName, endpoint);
    registry.setName(name);
    return registry;
  }

  @Test
  void twoRegistriesGetTheirOwnKeyDeploymentAndConfigNodesListBothAndRemovingOneDeletesItsObjects() {
    try (MockCluster cluster = new MockCluster()) {
      WireGuardMesh mesh = new WireGuardMesh();
      mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
      mesh.getSpec().setNetwork("10.88.0.0/24");
      mesh.getSpec().setRegistries(List.of(namedRegistry("eu", "203.0.113.5:51820", "edge-eu"),
          namedRegistry("us", "198.51.100.5:51820", "edge-us")));
      cluster.client.resource(mesh).create();
      addNode(cluster, 1);
      addNode(cluster, 2);
      cluster.startOperator();

      await().atMost(TIMEOUT).untilAsserted(() -> {
        for (String node : List.of("n1", "n2")) {
          WireGuardNodeConfig config = cluster.config(node);
          assertNotNull(config, node);
          assertEquals(List.of("eu", "us"), config.getSpec().getRegistryPeers().stream().map(WireGuardNodeConfigSpec.RegistryPeer::getName).toList());
        }
      });
      var deployments = cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE);
      var secrets = cluster.client.secrets().inNamespace(MockCluster.NAMESPACE);
      assertEquals(Set.of("m-registry-eu", "m-registry-us"),
          deployments.list().getItems().stream().map(d -> d.getMetadata().getName()).collect(Collectors.toSet()));
      assertEquals(Set.of("m-registry-eu-key", "m-registry-us-key"),
          secrets.list().getItems().stream().map(d -> d.getMetadata().getName()).collect(Collectors.toSet()));
      Deployment us = deployments.withName("m-registry-us").get();
      assertEquals(List.of("registry", "--kubernetes", "--mesh", MESH, "--registry-name", "us", "--interface", "wgr-m.us", "--zone",
          "wgmesh.internal"), us.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
      assertEquals("edge-us", us.getSpec().getTemplate().getSpec().getNodeName());
      assertEquals("us", us.getSpec().getSelector().getMatchLabels().get(RegistryNames.REGISTRY), "registries never select each other's pods");

      String euKey = RegistryKeySecretDependent.keyPair(secrets.withName("m-registry-eu-key").get()).orElseThrow().publicKey().toBase64();
      String usKey = RegistryKeySecretDependent.keyPair(secrets.withName("m-registry-us-key").get()).orElseThrow().publicKey().toBase64();
      assertFalse(euKey.equals(usKey), "a key per registry");
      List<WireGuardNodeConfigSpec.RegistryPeer> n1 = cluster.config("n1").getSpec().getRegistryPeers();
      assertEquals(List.of(euKey, usKey), n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getPublicKey).toList());
      assertEquals(List.of("10.88.0.254", "10.88.0.253"), n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getAddress).toList());
      assertEquals(List.of("203.0.113.5:51820", "198.51.100.5:51820"), n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getEndpoint).toList());
      for (String registry : List.of("m-registry-eu", "m-registry-us")) {
        WireGuardNodeConfig own = cluster.config(registry);
        assertEquals(Boolean.TRUE, own.getSpec().getRegistry());
        assertEquals(Set.of("n1", "n2"), peerNames(own.getSpec().getPeers()), "each registry has every node");
      }

      // The agents report: both reach eu, nobody reaches us.
      for (String node : List.of("n1", "n2")) {
        WireGuardNodeConfig config = cluster.config(node);
        WireGuardNodeConfigStatus status = new WireGuardNodeConfigStatus();
        status.setAppliedGeneration(config.getMetadata().getGeneration());
        status.setRegistries(List.of(new WireGuardNodeConfigStatus.RegistryHealth("eu", "10.88.0.254", true),
            new WireGuardNodeConfigStatus.RegistryHealth("us", "10.88.0.253", false)));
        config.setStatus(status);
        cluster.client.resource(config).updateStatus();
      }
      await().atMost(TIMEOUT).untilAsserted(() -> {
        WireGuardMeshStatus status = cluster.mesh(MESH).getStatus();
        assertEquals("1/2", status.getRegistrySummary());
        assertEquals(List.of("eu", "us"), status.getRegistries().stream().map(WireGuardMeshStatus.RegistryStatus::getName).toList());
        assertEquals(List.of(true, false), status.getRegistries().stream().map(WireGuardMeshStatus.RegistryStatus::getHealthy).toList());
        assertEquals(List.of(2, 0), status.getRegistries().stream().map(WireGuardMeshStatus.RegistryStatus::getReachableFrom).toList());
        assertEquals(euKey, status.getRegistries().get(0).getPublicKey());
      });

      // us leaves the spec: its Deployment, Secret and config go, eu stays with the same key.
      cluster.client.resources(WireGuardMesh.class).withName(MESH).edit(m -> {
        m.getSpec().setRegistries(List.of(m.getSpec().getRegistries().get(0)));
        return m;
      });
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertNull(deployments.withName("m-registry-us").get());
        assertNull(secrets.withName("m-registry-us-key").get());
        assertNull(cluster.config("m-registry-us"));
        assertEquals(List.of("eu"), cluster.config("n1").getSpec().getRegistryPeers().stream().map(WireGuardNodeConfigSpec.RegistryPeer::getName).toList());
      });
      assertNotNull(deployments.withName("m-registry-eu").get());
      assertEquals(euKey, RegistryKeySecretDependent.keyPair(secrets.withName("m-registry-eu-key").get()).orElseThrow().publicKey().toBase64());
    }
  }

  @Test
  void registryRunsAsAPinnedHostNetworkDeploymentWithoutService() {
    try (MockCluster cluster = new MockCluster()) {
      WireGuardMesh mesh = meshWithOneRegistry(MESH);
      mesh.getSpec().getRegistry().setNodeName("edge");
      cluster.client.resource(mesh).create();
      cluster.client.resource(new NodeBuilder().withNewMetadata().withName("edge").endMetadata()
          .withNewStatus().addNewAddress().withType("InternalIP").withAddress("10.0.0.9").endAddress()
          .addNewAddress().withType("ExternalIP").withAddress("198.51.100.9").endAddress().endStatus().build()).create();
      addNode(cluster, 1);
      cluster.startOperator();

      await().atMost(TIMEOUT).until(() -> cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE)
          .withName(MESH + "-registry").get() != null);
      Deployment deployment = cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get();
      var pod = deployment.getSpec().getTemplate().getSpec();
      assertEquals(true, pod.getHostNetwork());
      assertEquals("edge", pod.getNodeName());
      assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
      assertEquals("Recreate", deployment.getSpec().getStrategy().getType());
      assertEquals(1, deployment.getSpec().getReplicas());
      var container = pod.getContainers().get(0);
      assertEquals("wgmesh-node:test", container.getImage());
      assertEquals(List.of("registry", "--kubernetes", "--mesh", MESH, "--interface", "wgreg-m", "--zone", "wgmesh.internal"), container.getArgs());
      assertEquals(List.of("NET_ADMIN"), container.getSecurityContext().getCapabilities().getAdd());
      assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());
      assertEquals(Set.of("POD_NAMESPACE", "POD_NAME", "NODE_NAME", "JAVA_OPTS"),
          container.getEnv().stream().map(e -> e.getName()).collect(Collectors.toSet()));
      assertEquals("wgmesh-registry", pod.getServiceAccountName());
      assertEquals(cluster.mesh(MESH).getMetadata().getUid(), deployment.getMetadata().getOwnerReferences().get(0).getUid());
      assertTrue(cluster.client.services().inNamespace(MockCluster.NAMESPACE).list().getItems().isEmpty(), "no Service for HostNetwork");

      // No endpoint in the spec: the pinned node's ExternalIP and the registry's port.
      await().atMost(TIMEOUT).untilAsserted(() -> {
        WireGuardNodeConfig n1 = cluster.config("n1");
        assertNotNull(n1);
        assertEquals("198.51.100.9:51820", n1.getSpec().getRegistryPeers().get(0).getEndpoint());
        assertEquals("edge", cluster.config(MESH + "-registry").getSpec().getNodeName());
      });
    }
  }

  @Test
  void loadBalancerExposureHasAUdpOnlyServiceWhoseAddressBecomesTheEndpoint() {
    try (MockCluster cluster = new MockCluster()) {
      WireGuardMesh mesh = meshWithOneRegistry(MESH);
      mesh.getSpec().getRegistry().setExposure("LoadBalancer");
      mesh.getSpec().getRegistry().setPort(51999);
      cluster.client.resource(mesh).create();
      addNode(cluster, 1);
      cluster.startOperator();

      await().atMost(TIMEOUT).until(() -> cluster.client.services().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get() != null
          && cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get() != null);
      Service service = cluster.client.services().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get();
      assertEquals("LoadBalancer", service.getSpec().getType());
      assertEquals("Local", service.getSpec().getExternalTrafficPolicy());
      assertEquals(1, service.getSpec().getPorts().size());
      assertEquals("UDP", service.getSpec().getPorts().get(0).getProtocol());
      assertEquals(51999, service.getSpec().getPorts().get(0).getPort());
      Deployment deployment = cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get();
      assertEquals(false, deployment.getSpec().getTemplate().getSpec().getHostNetwork());
      assertNull(deployment.getSpec().getTemplate().getSpec().getNodeName());
      assertEquals(service.getSpec().getSelector(), deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet().stream()
          .filter(e -> service.getSpec().getSelector().containsKey(e.getKey()))
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
      await().atMost(TIMEOUT).until(() -> cluster.config("n1") != null);
      assertNull(cluster.config("n1").getSpec().getRegistryPeers().get(0).getEndpoint(), "no address yet");

      // The cloud assigns the load balancer an address: it becomes the registry's endpoint.
      service.setStatus(new ServiceStatusBuilder().withNewLoadBalancer()
          .addNewIngress().withIp("198.51.100.7").endIngress().endLoadBalancer().build());
      cluster.client.resource(service).updateStatus();
      await().atMost(TIMEOUT).until(() -> "198.51.100.7:51999".equals(cluster.config("n1").getSpec().getRegistryPeers().get(0).getEndpoint()));

      // Back to HostNetwork: the Service goes, the pod moves to the host network. (The edit is a
      // read, then a patch with that resourceVersion: tried again when the operator's status write
      // came in between, 409, as kubectl edit would be.)
      await().atMost(TIMEOUT).ignoreExceptionsInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class).until(() -> {
        cluster.client.resources(WireGuardMesh.class).withName(MESH).edit(m -> {
          m.getSpec().getRegistry().setExposure("HostNetwork");
          return m;
        });
        return true;
      });
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertNull(cluster.client.services().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get());
        assertEquals(true, cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry").get()
            .getSpec().getTemplate().getSpec().getHostNetwork());
      });
    }
  }

  /**
   * A mesh name with a dot is a valid WireGuardMesh name but would be no valid Service name: the
   * registry's objects get the hashed name of RegistryObjectNames, which the API server accepts
   * (close() fails on any refused request), and the mesh works under it.
   */
  @Test
  void aMeshNamedWithADotGetsRegistryObjectsTheApiServerAccepts() {
    String meshName = "prod.eu-west";
    String object = RegistryObjectNames.object(meshName, null);
    assertTrue(object.startsWith("prod-eu-west-registry-") && !object.equals("prod-eu-west-registry"), object);
    try (MockCluster cluster = new MockCluster()) {
      WireGuardMesh mesh = meshWithOneRegistry(meshName);
      mesh.getSpec().getRegistry().setExposure("LoadBalancer");
      cluster.client.resource(mesh).create();
      cluster.createNodePeer(meshName, cluster.createNode("n1", "10.244.1.0/24"));
      cluster.startOperator();

      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertNotNull(cluster.client.secrets().inNamespace(MockCluster.NAMESPACE).withName(RegistryObjectNames.secret(meshName, null)).get());
        assertNotNull(cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(object).get());
        assertNotNull(cluster.client.services().inNamespace(MockCluster.NAMESPACE).withName(object).get());
        assertNotNull(cluster.config(object), "the registry's node config");
        assertNotNull(cluster.config("n1"));
      });
      Deployment deployment = cluster.client.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(object).get();
      assertEquals(meshName, deployment.getSpec().getTemplate().getMetadata().getLabels().get(Labels.MESH));
      List<String> args = deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
      assertEquals(meshName, args.get(args.indexOf("--mesh") + 1), "the registry finds its objects from the mesh name");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        Condition ready = StatusConditions.find(cluster.mesh(meshName).getStatus().getConditions(), Conditions.READY).orElseThrow();
        assertTrue(ready.isTrue(), ready.getReason() + ": " + ready.getMessage());
      });
      assertEquals(List.of(), cluster.api.rejections());
    }
  }

  /** A node's events reach the mesh through the peer that names it (the operator maps them by nodeName). */
  @Test
  void aNodeThatComesAfterItsPeerJoinsAndItsPodCidrChangesReachTheMesh() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 2);
      Node later = new NodeBuilder().withNewMetadata().withName("n9").withUid("uid-n9").endMetadata().build();
      cluster.createNodePeer(MESH, later);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2");
      await().atMost(TIMEOUT).untilAsserted(() -> assertEquals("NodeNotFound",
          condition(cluster.peer("n9").getStatus().getConditions(), "Ready").getReason()));

      cluster.createNode("n9", "10.244.9.0/24");
      awaitMeshOf(cluster, "n1", "n2", "n9");
      await().atMost(TIMEOUT).untilAsserted(() -> assertEquals("10.244.9.0/24", cluster.peer("n9").getStatus().getAllowedIPs().get(1)));

      cluster.client.nodes().withName("n9").edit(n -> {
        n.getSpec().setPodCIDR("10.244.19.0/24");
        n.getSpec().setPodCIDRs(List.of("10.244.19.0/24"));
        return n;
      });
      await().atMost(TIMEOUT).untilAsserted(() -> assertEquals("10.244.19.0/24", cluster.peer("n9").getStatus().getAllowedIPs().get(1)));
    }
  }

  @Test
  void aDeletedNodeLeavesEveryConfigWhetherOrNotItsPeerIsGarbageCollected() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 4);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2", "n3", "n4");

      // n1: node and peer deleted, as Kubernetes' garbage collector does (the peer is owned by the node).
      cluster.client.nodes().withName("n1").delete();
      cluster.client.resources(WireGuardPeer.class).withName("n1").delete();
      // n2: node deleted, its peer left behind (no garbage collector in the mock, or a stuck one).
      cluster.client.nodes().withName("n2").delete();

      awaitMeshOf(cluster, "n3", "n4");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertNull(cluster.config("n1"));
        assertNull(cluster.config("n2"));
        WireGuardPeer orphan = cluster.peer("n2");
        assertEquals(Condition.FALSE, orphan.getStatus().getReady());
        assertEquals("NodeNotFound", condition(orphan.getStatus().getConditions(), "Ready").getReason());
        assertNull(orphan.getStatus().getAddress());
        assertEquals(2, cluster.mesh(MESH).getStatus().getReady());
        assertEquals(3, cluster.mesh(MESH).getStatus().getPeers());
      });
    }
  }

  @Test
  void conflictingAddressDuplicateAndInvalidKeysAreFlaggedAndTheRestOfTheMeshIsUnaffected() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      cluster.createExternalPeer(MESH, "laptop-a", KeyPair.generate().publicKey().toBase64(), "10.88.0.10");
      cluster.startOperator();
      awaitMeshOf(cluster, Set.of("laptop-a"), "n1", "n2", "n3");
      await().atMost(TIMEOUT).until(() -> cluster.peer("laptop-a").getStatus() != null
          && "10.88.0.10".equals(cluster.peer("laptop-a").getStatus().getAddress()));
      Map<String, List<Object>> before = specs(cluster, "n1", "n2", "n3");

      // Created later (names also sort later), so the earlier peers keep their address and key.
      cluster.createExternalPeer(MESH, "laptop-b", KeyPair.generate().publicKey().toBase64(), "10.88.0.10");
      cluster.createExternalPeer(MESH, "n1-copy", cluster.keys.get("n1").publicKey().toBase64(), null);
      // A key that is not one never reaches the operator: the CRD's pattern refuses it (422).
      assertThrows(io.fabric8.kubernetes.client.KubernetesClientException.class,
          () -> cluster.createExternalPeer(MESH, "bad-key", "not a key", null));
      assertEquals(1, cluster.api.takeRejections(r -> r.code() == 422 && r.message().contains("spec.publicKey")).size());

      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertFlagged(cluster.peer("laptop-b"), "AddressConflict");
        assertFlagged(cluster.peer("n1-copy"), "DuplicateKey");
        assertEquals(4, cluster.mesh(MESH).getStatus().getReady());
        assertEquals(6, cluster.mesh(MESH).getStatus().getPeers());
      });
      assertEquals(Condition.TRUE, cluster.peer("laptop-a").getStatus().getReady());
      assertEquals(Condition.TRUE, cluster.peer("n1").getStatus().getReady());
      // Nothing changed for the nodes: the offenders are in no config.
      assertEquals(before, specs(cluster, "n1", "n2", "n3"));
      assertEquals(Set.of("n1", "n2", "n3", "laptop-a"), peerNames(cluster.config(MESH + "-registry").getSpec()));
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertEquals(1, events(cluster, "AddressConflict").size());
        assertEquals(1, events(cluster, "DuplicateKey").size());
        assertEquals("Warning", events(cluster, "DuplicateKey").get(0).getType());
        assertEquals("n1-copy", events(cluster, "DuplicateKey").get(0).getInvolvedObject().getName());
      });
    }
  }

  static void assertFlagged(WireGuardPeer peer, String problem) {
    assertNotNull(peer.getStatus(), peer.getMetadata().getName());
    assertEquals(Condition.FALSE, peer.getStatus().getReady(), peer.getMetadata().getName());
    assertEquals(problem, condition(peer.getStatus().getConditions(), "Ready").getReason());
    assertEquals(Condition.TRUE, condition(peer.getStatus().getConditions(), problem).getStatus());
  }

  /** Per node config: its spec and the peers its agent applies. */
  static Map<String, List<Object>> specs(MockCluster cluster, String... names) {
    Map<String, List<Object>> specs = new HashMap<>();
    for (String name : names) {
      specs.put(name, List.of(cluster.config(name).getSpec(), cluster.effectivePeers(name)));
    }
    return specs;
  }

  @Test
  void aRestartedOperatorKeepsEveryAddressAndRewritesNothing() throws Exception {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2", "n3");
      await().atMost(TIMEOUT).until(() -> cluster.mesh(MESH).getStatus() != null
          && Integer.valueOf(3).equals(cluster.mesh(MESH).getStatus().getReady()));
      Thread.sleep(500); // let the first operator settle
      Map<String, String> addresses = addresses(cluster);
      Map<String, String> versions = resourceVersions(cluster);

      cluster.stopOperators();
      cluster.drainRequests();
      OperatorMetrics metrics = new OperatorMetrics();
      cluster.startOperator(metrics);
      await().atMost(TIMEOUT).until(() -> reconciles(metrics) >= 1);
      Thread.sleep(500);

      assertEquals(addresses, addresses(cluster));
      assertEquals(versions, resourceVersions(cluster), "nothing rewritten");
      assertEquals(List.of(), operatorWrites(cluster.drainRequests()));

      // The new operator works: a fourth node joins with a new address, the others keep theirs.
      addNode(cluster, 4);
      awaitMeshOf(cluster, "n1", "n2", "n3", "n4");
      await().atMost(TIMEOUT).until(() -> addresses(cluster).get("n4") != null);
      Map<String, String> after = addresses(cluster);
      addresses.forEach((peer, address) -> assertEquals(address, after.get(peer), peer));
      assertFalse(addresses.containsValue(after.get("n4")));
    }
  }

  @Test
  void onceNodeStatusesAreReportedTheOperatorSettlesAndWritesNothingMore() throws Exception {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      OperatorMetrics metrics = new OperatorMetrics();
      cluster.startOperator(metrics);
      awaitMeshOf(cluster, "n1", "n2", "n3");
      report(cluster, MESH + "-registry", "{\"appliedGeneration\":1,\"direct\":3,\"relayed\":0,\"pending\":0,"
          + "\"peers\":[{\"name\":\"n1\",\"mode\":\"direct\",\"endpoint\":\"198.51.100.7:41000\"},"
          + "{\"name\":\"n2\",\"mode\":\"direct\",\"endpoint\":\"203.0.113.9:51820\"}]}");
      report(cluster, "n1", "{\"appliedGeneration\":1,\"direct\":1,\"relayed\":1,\"pending\":0}");
      report(cluster, "n2", "{\"appliedGeneration\":1,\"direct\":2,\"relayed\":0,\"pending\":0}");
      report(cluster, "n3", "{\"appliedGeneration\":1,\"direct\":1,\"relayed\":1,\"pending\":0}");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertEquals("relayed", cluster.peer("n1").getStatus().getMode());
        assertEquals("direct", cluster.peer("n2").getStatus().getMode());
        assertEquals("relayed", cluster.peer("n3").getStatus().getMode());
      });
      Thread.sleep(1500);
      cluster.drainRequests();
      Map<String, String> versions = resourceVersions(cluster);

      // Steady state: nothing changes, and the operator writes nothing.
      Thread.sleep(3000);
      assertEquals(List.of(), operatorWrites(cluster.drainRequests()));
      assertEquals(versions, resourceVersions(cluster));

      // An agent's report that moves nothing a peer's status shows (a count on a node already
      // relayed): the mesh's path counts follow, and no peer's status is written.
      report(cluster, "n1", "{\"direct\":0,\"relayed\":2}");
      await().atMost(TIMEOUT).until(() -> Integer.valueOf(3).equals(cluster.mesh(MESH).getStatus().getRelayed()));
      Thread.sleep(1000);
      assertEquals(List.of("PATCH /apis/wgmesh.dev/v1alpha1/wireguardmeshes/m/status"),
          operatorWrites(cluster.drainRequests()).stream().filter(w -> !w.contains("/wireguardnodeconfigs/n1/status")).toList());
    }
  }

  @Test
  void aReconcileWithoutChangesWritesNothing() throws Exception {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      OperatorMetrics metrics = new OperatorMetrics();
      cluster.startOperator(metrics);
      awaitMeshOf(cluster, "n1", "n2", "n3");
      await().atMost(TIMEOUT).until(() -> cluster.mesh(MESH).getStatus() != null
          && Integer.valueOf(3).equals(cluster.mesh(MESH).getStatus().getReady()));
      Thread.sleep(500);
      Map<String, String> versions = resourceVersions(cluster);
      cluster.drainRequests();
      long before = reconciles(metrics);

      // A node label the mesh does not select on: every mesh re-plans, and nothing differs.
      cluster.client.nodes().withName("n1").edit(n -> {
        n.getMetadata().getLabels().put("topology.kubernetes.io/zone", "zone-a");
        return n;
      });
      await().atMost(TIMEOUT).until(() -> reconciles(metrics) > before);
      Thread.sleep(300);

      assertEquals(List.of(), operatorWrites(cluster.drainRequests()));
      assertEquals(versions, resourceVersions(cluster));
    }
  }

  @Test
  void registryKeyIsMadeOnceKeptAcrossRestartsAndFoundInNoOtherObjectOrLog() throws Exception {
    LogCapture logs = LogCapture.start();
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 2);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2");
      Secret secret = cluster.client.secrets().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry-key").get();
      assertNotNull(secret);
      assertEquals(true, secret.getImmutable());
      assertEquals(cluster.mesh(MESH).getMetadata().getUid(), secret.getMetadata().getOwnerReferences().get(0).getUid());
      KeyPair pair = RegistryKeySecretDependent.keyPair(secret).orElseThrow();
      // The mesh status is written after the configs (and the peers' statuses) of the same reconcile.
      await().atMost(TIMEOUT).untilAsserted(() -> {
        var status = cluster.mesh(MESH).getStatus();
        assertTrue(status != null && status.getRegistries() != null && !status.getRegistries().isEmpty(), "the registry in the mesh status");
        assertEquals(pair.publicKey().toBase64(), status.getRegistries().get(0).getPublicKey());
      });
      assertEquals(pair.publicKey().toBase64(), decode(secret.getData().get(RegistryNames.PUBLIC_KEY)));

      cluster.stopOperators();
      OperatorMetrics metrics = new OperatorMetrics();
      cluster.startOperator(metrics);
      await().atMost(TIMEOUT).until(() -> reconciles(metrics) >= 1);
      addNode(cluster, 3);
      awaitMeshOf(cluster, "n1", "n2", "n3");
      Secret after = cluster.client.secrets().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry-key").get();
      assertEquals(secret.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion());
      assertEquals(secret.getData(), after.getData());
      assertEquals(1, cluster.client.secrets().inAnyNamespace().list().getItems().size());
      assertEquals(pair.publicKey().toBase64(), cluster.config("n3").getSpec().getRegistryPeers().get(0).getPublicKey());

      String privateKey = pair.privateKey().toBase64();
      String privateKeyData = secret.getData().get(RegistryNames.PRIVATE_KEY);
      Map<String, String> everything = AllObjects.dump(cluster.client);
      assertTrue(everything.size() > 10, "objects dumped: " + everything.keySet());
      assertTrue(everything.get("v1/Secret/" + MockCluster.NAMESPACE + "/" + MESH + "-registry-key").contains(privateKeyData));
      everything.forEach((name, json) -> {
        if (!name.equals("v1/Secret/" + MockCluster.NAMESPACE + "/" + MESH + "-registry-key")) {
          assertFalse(json.contains(privateKey), "private key in " + name);
          assertFalse(json.contains(privateKeyData), "private key (Secret data) in " + name);
        }
      });
      String logged = logs.stop();
      assertTrue(logged.contains("operator started"), "the capture works");
      assertFalse(logged.contains(privateKey), "private key in the log");
      assertFalse(logged.contains(privateKeyData), "private key (Secret data) in the log");
    } finally {
      logs.stop();
    }
  }

  @Test
  void aDamagedKeySecretLeavesTheConfigsAsTheyAre() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 2);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2");
      WireGuardNodeConfigSpec before = cluster.config("n1").getSpec();

      // (Immutable in a real cluster; the mock lets the test damage it in place.)
      cluster.client.secrets().inNamespace(MockCluster.NAMESPACE).withName(MESH + "-registry-key").edit(s -> {
        s.getData().put(RegistryNames.PRIVATE_KEY, Base64.getEncoder().encodeToString("garbage".getBytes()));
        return s;
      });
      addNode(cluster, 3);
      await().atMost(TIMEOUT).untilAsserted(() -> {
        Condition registry = condition(cluster.mesh(MESH).getStatus().getConditions(), "RegistryReady");
        assertEquals("KeyInvalid", registry.getReason());
        assertFalse(registry.getMessage().contains("garbage"));
      });
      assertEquals(before, cluster.config("n1").getSpec(), "no config rewritten without the registry's key");
      assertNull(cluster.config("n3"));
    }
  }

  private static String decode(String data) {
    return new String(Base64.getDecoder().decode(data), StandardCharsets.US_ASCII);
  }

  @Test
  void aRelayFallbackIsReportedOnceAndShowsInThePeersMode() {
    try (MockCluster cluster = new MockCluster()) {
      meshWithNodes(cluster, 3);
      cluster.startOperator();
      awaitMeshOf(cluster, "n1", "n2", "n3");
      await().atMost(TIMEOUT).until(() -> cluster.peer("n1").getStatus() != null && cluster.peer("n1").getStatus().getAddress() != null);

      // n2's agent reports: it reaches n3 only through the relay.
      cluster.client.resources(WireGuardNodeConfig.class).withName("n2").subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE),
              "{\"status\":{\"appliedGeneration\":1,\"direct\":1,\"relayed\":1,\"pending\":0,\"peers\":[{\"name\":\"n1\",\"mode\":\"direct\"},"
                  + "{\"name\":\"n3\",\"mode\":\"relayed\"}]}}");

      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertEquals(1, events(cluster, "RelayFallback").size());
        assertEquals(1, cluster.mesh(MESH).getStatus().getRelayed());
        assertEquals(1, cluster.mesh(MESH).getStatus().getDirect());
      });
      Event fallback = events(cluster, "RelayFallback").get(0);
      assertEquals("WireGuardNodeConfig", fallback.getInvolvedObject().getKind());
      assertEquals("n2", fallback.getInvolvedObject().getName());
      assertTrue(fallback.getMessage().contains("n3"), fallback.getMessage());

      await().atMost(TIMEOUT).until(() -> "relayed".equals(cluster.peer("n2").getStatus().getMode()));
      assertNull(cluster.peer("n1").getStatus().getMode(), "n1's agent has reported nothing yet");

      // A change elsewhere (a new node) neither repeats the event nor loses the mode.
      addNode(cluster, 4);
      awaitMeshOf(cluster, "n1", "n2", "n3", "n4");
      assertEquals("relayed", cluster.peer("n2").getStatus().getMode());
      assertEquals(1, events(cluster, "RelayFallback").size(), "reported once");
    }
  }
}
