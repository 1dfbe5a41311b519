package dev.wgmesh.operator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every file in examples/ applies to an API server and plans into a valid mesh: examples cannot rot. */
@EnableKubernetesMockClient(crud = true)
class ExamplesTest {
  static final Path EXAMPLES = Path.of("..", "examples");
  static final Pattern PLACEHOLDER = Pattern.compile("REPLACE_WITH_[A-Z_]+_PUBLIC_KEY");
  KubernetesClient client;

  static String withKeys(String yaml) {
    Matcher m = PLACEHOLDER.matcher(yaml);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(KeyPair.generate().publicKey().toBase64()));
    }
    return m.appendTail(out).toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"multi-cloud.yaml", "laptop.yaml", "dual-stack.yaml", "two-registries.yaml"})
  void exampleAppliesAndPlans(String file) throws Exception {
    String yaml = withKeys(Files.readString(EXAMPLES.resolve(file)));
    List<HasMetadata> objects = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    assertFalse(objects.isEmpty());
    for (HasMetadata o : objects) {
      assertTrue(o instanceof WireGuardMesh || o instanceof WireGuardPeer, "typed as wgmesh resources: " + o.getClass());
      client.resource(o).create();
    }
    List<WireGuardMesh> meshes = client.resources(WireGuardMesh.class).list().getItems();
    WireGuardMesh mesh = meshes.isEmpty() ? referencedMesh(objects) : meshes.get(0);
    client.resources(WireGuardMesh.class).resource(mesh).createOr(existing -> existing.update());
    List<WireGuardPeer> peers = new ArrayList<>(client.resources(WireGuardPeer.class).list().getItems());
    List<Node> nodes = List.of(new NodeBuilder().withNewMetadata().withName("cloud-a-node-1")
        .addToLabels("wgmesh.dev/member", "true").endMetadata().withNewSpec().withPodCIDR("10.244.1.0/24").endSpec().build());
    Map<String, String> keys = new java.util.HashMap<>();
    mesh.getSpec().effectiveRegistries()
        .forEach(r -> keys.put(r.objectName(mesh.getMetadata().getName()), KeyPair.generate().publicKey().toBase64()));
    MeshPlan plan = MeshPlanner.plan(mesh, peers, nodes, keys);
    assertTrue(plan.valid(), plan.meshConditions().toString());
    for (WireGuardPeer p : peers) {
      assertTrue(plan.peers().get(p.getMetadata().getName()).included(), plan.peers().toString());
    }
    assertEquals(mesh.getSpec().effectiveRegistries().size(), plan.nodeConfigs().values().stream().filter(c -> Boolean.TRUE.equals(c.getRegistry())).count());
    for (String node : plan.nodeConfigs().keySet()) {
      if (!Boolean.TRUE.equals(plan.nodeConfigs().get(node).getRegistry())) {
        assertEquals(mesh.getSpec().effectiveRegistries().size(), plan.nodeConfigs().get(node).getRegistryPeers().size(), "every registry on " + node);
      }
    }
  }

  /** A file with peers only (laptop.yaml) joins the mesh of multi-cloud.yaml. */
  private WireGuardMesh referencedMesh(List<HasMetadata> objects) throws Exception {
    String yaml = withKeys(Files.readString(EXAMPLES.resolve("multi-cloud.yaml")));
    return client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items().stream()
        .filter(WireGuardMesh.class::isInstance).map(WireGuardMesh.class::cast).findFirst().orElseThrow();
  }
}
