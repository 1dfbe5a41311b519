package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.helm.Chart.Doc;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** helm template over every value combination: typed parsing, names, namespaces, workloads. */
class RenderedManifestsTest {
  /** API groups of Kubernetes' own kinds: these must parse into fabric8's typed models. */
  static final Set<String> BUILT_IN_GROUPS = Set.of("", "apps", "rbac.authorization.k8s.io",
      "admissionregistration.k8s.io", "apiextensions.k8s.io", "policy", "coordination.k8s.io", "networking.k8s.io");

  static String group(HasMetadata o) {
    String api = o.getApiVersion();
    return api.contains("/") ? api.substring(0, api.indexOf('/')) : "";
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void everyManifestParsesIntoItsTypedModelWithoutUnknownFields(Scenario scenario) {
    List<Doc> docs = Chart.render(scenario);
    assertFalse(docs.isEmpty());
    for (Doc d : docs) {
      HasMetadata o = d.object();
      if (BUILT_IN_GROUPS.contains(group(o))) {
        assertFalse(o instanceof GenericKubernetesResource, d + " must parse into fabric8's typed model");
        assertTrue(o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model"), d + ": " + o.getClass());
        assertEquals(List.of(), UnknownFields.of(o), d + " has fields its kind does not know");
      } else if (group(o).equals("wgmesh.dev")) {
        assertInstanceOf(WireGuardMesh.class, o, d + " must parse into the wgmesh API type");
      } else {
        assertEquals("monitoring.coreos.com", group(o), d + ": unexpected API group");
        assertInstanceOf(GenericKubernetesResource.class, o);
      }
    }
  }

  /**
   * kubectl and Helm read manifests as YAML 1.1, where a bare Off, on, yes or no is a boolean (a
   * value such as relay: Off would arrive as false). Every document must mean the same in YAML 1.1
   * (SnakeYAML) as in YAML 1.2 (snakeyaml-engine, what fabric8 parses with).
   */
  @ParameterizedTest
  @EnumSource(Scenario.class)
  void manifestsMeanTheSameUnderYaml11(Scenario scenario) throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (Doc d : Chart.render(scenario)) {
      Object yaml11 = new org.yaml.snakeyaml.Yaml().load(d.yaml());
      Object yaml12 = new org.snakeyaml.engine.v2.api.Load(org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
          .loadFromString(d.yaml());
      assertEquals(json.readTree(json.writeValueAsString(yaml12)), json.readTree(json.writeValueAsString(yaml11)), d.toString());
    }
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void theExpectedObjectsAndNoOthers(Scenario scenario) {
    Map<String, Integer> kinds = new TreeMap<>();
    Set<String> ids = new HashSet<>();
    for (Doc d : Chart.render(scenario)) {
      kinds.merge(d.kind(), 1, Integer::sum);
      assertTrue(ids.add(d.kind() + "/" + d.object().getMetadata().getNamespace() + "/" + d.name()), "duplicate " + d);
    }
    Map<String, Integer> expected = new TreeMap<>(Map.of(
        "ServiceAccount", 3, "ClusterRole", 4, "ClusterRoleBinding", 3, "Role", 2, "RoleBinding", 2,
        "Service", 1, "Deployment", 1, "DaemonSet", 1));
    if (scenario != Scenario.TUNED) {
      expected.put("ValidatingAdmissionPolicy", 1);
      expected.put("ValidatingAdmissionPolicyBinding", 1);
    }
    if (scenario != Scenario.NO_MESH) {
      expected.put("WireGuardMesh", 1);
    }
    if (scenario == Scenario.MONITORING) {
      expected.put("ServiceMonitor", 1);
      expected.put("PodMonitor", 2);
    }
    if (scenario == Scenario.NAMESPACE_CREATED) {
      expected.put("Namespace", 1);
    }
    assertEquals(expected, kinds);
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void namespacedObjectsGoToOneNamespaceAndAreLabelled(Scenario scenario) {
    for (Doc d : Chart.render(scenario)) {
      HasMetadata o = d.object();
      boolean namespaced = o instanceof Namespaced || o instanceof GenericKubernetesResource;
      if (namespaced) {
        assertEquals(scenario.namespace(), o.getMetadata().getNamespace(), d + " namespace");
      } else {
        assertNull(o.getMetadata().getNamespace(), d + " is cluster-scoped");
      }
      Map<String, String> labels = o.getMetadata().getLabels();
      assertNotNull(labels, d + " labels");
      assertEquals("wgmesh", labels.get("app.kubernetes.io/part-of"), d.toString());
      assertEquals("Helm", labels.get("app.kubernetes.io/managed-by"), d.toString());
      assertEquals(Chart.VERSION, labels.get("app.kubernetes.io/version"), d.toString());
    }
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void createdNamespaceAllowsThePrivilegedAgent(Scenario scenario) {
    List<Namespace> namespaces = Chart.all(Chart.render(scenario), Namespace.class);
    if (scenario != Scenario.NAMESPACE_CREATED) {
      assertEquals(List.of(), namespaces);
      return;
    }
    Namespace ns = namespaces.get(0);
    assertEquals("wgmesh-system", ns.getMetadata().getName());
    assertEquals("privileged", ns.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void oneServiceAccountPerComponent(Scenario scenario) {
    List<String> names = Chart.all(Chart.render(scenario), ServiceAccount.class).stream()
        .map(sa -> sa.getMetadata().getName()).sorted().toList();
    assertEquals(List.of("wgmesh-agent", "wgmesh-operator", "wgmesh-registry"), names);
  }

  static String image(Scenario scenario, String component) {
    return switch (scenario) {
      case CUSTOM_IMAGES -> "registry.example:5000/team/platform/wgmesh-" + (component.equals("operator") ? "operator" : "node") + ":1.2.3";
      default -> (component.equals("operator") ? "wgmesh" : "wgmesh-node") + ":" + Chart.VERSION;
    };
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void operatorDeployment(Scenario scenario) {
    List<Doc> docs = Chart.render(scenario);
    Deployment d = Chart.one(docs, Deployment.class, "wgmesh-operator");
    assertEquals(scenario == Scenario.TUNED ? 2 : 1, d.getSpec().getReplicas());
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertEquals("wgmesh-operator", pod.getServiceAccountName());
    assertTrue(d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
        .containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()), "selector matches the pod");
    Container c = pod.getContainers().get(0);
    assertEquals(1, pod.getContainers().size());
    assertEquals(image(scenario, "operator"), c.getImage());
    assertEquals(List.of("wgmesh"), c.getCommand());
    assertEquals(List.of("operator", "--namespace=$(POD_NAMESPACE)", "--registry-image=" + image(scenario, "node"),
        "--registry-image-pull-policy=" + (scenario == Scenario.CUSTOM_IMAGES ? "Always" : "IfNotPresent"),
        "--registry-service-account=wgmesh-registry", "--metrics=0.0.0.0:9090"), c.getArgs());
    assertEquals("/healthz", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals("metrics", c.getLivenessProbe().getHttpGet().getPort().getStrVal());
    assertEquals("metadata.namespace", env(c, "POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
    assertEquals(scenario == Scenario.CUSTOM_IMAGES ? "Always" : "IfNotPresent", c.getImagePullPolicy());
    if (scenario == Scenario.CUSTOM_IMAGES) {
      assertEquals("regcred", pod.getImagePullSecrets().get(0).getName());
    }

    // Non-root, read-only, nothing added.
    assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
    assertTrue(pod.getSecurityContext().getRunAsUser() > 0);
    SecurityContext sc = c.getSecurityContext();
    assertEquals(Boolean.TRUE, sc.getRunAsNonRoot());
    assertEquals(List.of(), sc.getCapabilities().getAdd() == null ? List.of() : sc.getCapabilities().getAdd());
    assertNull(pod.getHostNetwork());
    assertHardened(pod, c);
    assertMountsResolve(pod);

    // The metrics Service selects the operator pods on a port the container has.
    Service svc = Chart.one(docs, Service.class, "wgmesh-operator-metrics");
    assertTrue(d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
        .containsAll(svc.getSpec().getSelector().entrySet()));
    String target = svc.getSpec().getPorts().get(0).getTargetPort().getStrVal();
    assertTrue(c.getPorts().stream().anyMatch(p -> p.getName().equals(target) && p.getContainerPort() == 9090));
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void agentDaemonSet(Scenario scenario) {
    DaemonSet ds = Chart.one(Chart.render(scenario), DaemonSet.class, "wgmesh-agent");
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals("wgmesh-agent", pod.getServiceAccountName());
    assertEquals(Boolean.TRUE, pod.getHostNetwork());
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
    Container c = pod.getContainers().get(0);
    assertEquals(1, pod.getContainers().size());
    assertEquals(image(scenario, "node"), c.getImage());
    String mesh = scenario == Scenario.TUNED ? "prod" : "wgmesh";
    String stateDir = scenario == Scenario.TUNED ? "/var/lib/wgmesh-prod" : "/var/lib/wgmesh";
    String iface = scenario == Scenario.TUNED ? "wg-prod" : "wgmesh0";
    List<String> args = new ArrayList<>(List.of("agent", "--kubernetes", "--mesh=" + mesh, "--state-dir=" + stateDir,
        "--interface=" + iface, "--metrics=$(HOST_IP):9588"));
    if (scenario == Scenario.TUNED) {
      args.add("--log-level=debug");
    }
    assertEquals(List.of("wgmesh"), c.getCommand());
    assertEquals(args, c.getArgs());
    assertEquals("spec.nodeName", env(c, "NODE_NAME").getValueFrom().getFieldRef().getFieldPath());
    // metrics on the node's primary address only, on the port the agent's PodMonitor scrapes
    assertEquals("status.hostIP", env(c, "HOST_IP").getValueFrom().getFieldRef().getFieldPath());
    assertEquals(9588, c.getPorts().stream().filter(p -> "metrics".equals(p.getName())).findFirst().orElseThrow().getContainerPort());

    // NET_ADMIN and nothing else.
    SecurityContext sc = c.getSecurityContext();
    assertEquals(List.of("NET_ADMIN"), sc.getCapabilities().getAdd());
    assertHardened(pod, c);
    assertMountsResolve(pod);

    // Host paths: the TUN device, the key's directory, the iptables lock; nothing else of the host.
    Map<String, String> hostPaths = pod.getVolumes().stream().filter(v -> v.getHostPath() != null)
        .collect(Collectors.toMap(v -> v.getHostPath().getPath(), v -> v.getHostPath().getType()));
    assertEquals(Map.of("/dev/net/tun", "CharDevice", stateDir, "DirectoryOrCreate", "/run/xtables.lock", "FileOrCreate"), hostPaths);
    Volume state = pod.getVolumes().stream().filter(v -> v.getHostPath() != null && v.getHostPath().getPath().equals(stateDir))
        .findFirst().orElseThrow();
    assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(state.getName()) && m.getMountPath().equals(stateDir)));

    // Every node, tainted or not, that the node selector allows.
    assertTrue(pod.getTolerations().stream().anyMatch(t -> "Exists".equals(t.getOperator()) && t.getKey() == null
        && t.getEffect() == null), "tolerates every taint: " + pod.getTolerations().stream().map(Toleration::toString).toList());
    assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
  }

  /** Hardening shared by every container of the chart. */
  static void assertHardened(PodSpec pod, Container c) {
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    SecurityContext sc = c.getSecurityContext();
    assertNotNull(sc, c.getName() + " securityContext");
    assertTrue(sc.getPrivileged() == null || !sc.getPrivileged(), c.getName() + " privileged");
    assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName());
    assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), c.getName());
    assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), c.getName());
    assertNotNull(c.getResources().getRequests().get("memory"), c.getName() + " memory request");
    assertNotNull(c.getResources().getLimits().get("memory"), c.getName() + " memory limit");
    assertTrue(pod.getHostPID() == null || !pod.getHostPID());
    assertTrue(pod.getHostIPC() == null || !pod.getHostIPC());
  }

  static void assertMountsResolve(PodSpec pod) {
    Set<String> volumes = pod.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
    for (Container c : pod.getContainers()) {
      for (VolumeMount m : c.getVolumeMounts()) {
        assertTrue(volumes.contains(m.getName()), "mount " + m.getName() + " has a volume");
      }
      assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")), "writable /tmp for the JVM");
    }
  }

  static EnvVar env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " has no env " + name));
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void meshFromValues(Scenario scenario) {
    List<WireGuardMesh> meshes = Chart.all(Chart.render(scenario), WireGuardMesh.class);
    if (scenario == Scenario.NO_MESH) {
      assertEquals(List.of(), meshes);
      return;
    }
    WireGuardMesh m = meshes.get(0);
    WireGuardMeshSpec s = m.getSpec();
    if (scenario == Scenario.TWO_REGISTRIES) {
      assertNull(s.getRegistry(), "registries instead of registry");
      assertEquals(2, s.getRegistries().size());
      WireGuardMeshSpec.RegistrySpec eu = s.getRegistries().get(0);
      WireGuardMeshSpec.RegistrySpec us = s.getRegistries().get(1);
      assertEquals(List.of("eu", "HostNetwork", "cloud-a-node-1", "203.0.113.10:51822", 51822, "wgmesh.internal"),
          List.of(eu.getName(), eu.getExposure(), eu.getNodeName(), eu.getEndpoint(), eu.getPort(), eu.getZone()));
      assertNull(eu.getAddress());
      assertEquals(List.of("us", "LoadBalancer", "10.88.255.250", 51820), List.of(us.getName(), us.getExposure(), us.getAddress(), us.getPort()));
      assertNull(us.getNodeName(), "unset values are left out, not rendered empty");
      assertNull(us.getEndpoint());
      return;
    }
    assertEquals(scenario == Scenario.TUNED ? "prod" : "wgmesh", m.getMetadata().getName());
    assertEquals("10.88.0.0/16", s.getNetwork());
    assertEquals(51820, s.getListenPort());
    assertEquals(1420, s.getMtu());
    assertEquals(25, s.getPersistentKeepalive());
    assertEquals("wgmesh.internal", s.getRegistry().getZone());
    assertEquals(51820, s.getRegistry().getPort());
    switch (scenario) {
      case LOAD_BALANCER -> {
        assertEquals("LoadBalancer", s.getRegistry().getExposure());
        assertNull(s.getRegistry().getNodeName());
        assertEquals("203.0.113.10:51820", s.getRegistry().getEndpoint());
      }
      case HOST_NETWORK_PINNED -> {
        assertEquals("HostNetwork", s.getRegistry().getExposure());
        assertEquals("cloud-a-node-1", s.getRegistry().getNodeName());
        assertEquals("203.0.113.10:51820", s.getRegistry().getEndpoint());
        assertEquals("fd00:88::/64", s.getNetworkV6());
        assertEquals(Map.of("topology.kubernetes.io/region", "eu-west"), s.getNodeSelector());
        assertEquals("Disabled", s.getRelay());
      }
      default -> {
        assertEquals("HostNetwork", s.getRegistry().getExposure());
        assertNull(s.getRegistry().getNodeName(), "unset values are left out, not rendered empty");
        assertNull(s.getRegistry().getEndpoint());
        assertNull(s.getRegistry().getAddress());
        assertNull(s.getNetworkV6());
        assertEquals("Auto", s.getRelay());
      }
    }
  }
}
