package dev.wgmesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The operator against a real API server: k3s in a container, with the committed CRDs installed.
 * Runs wherever Docker is available; skipped (not failed) where it is not, such as the build
 * machine of this repository, which has no Docker daemon.
 */
@Testcontainers(disabledWithoutDocker = true)
class K3sOperatorTest {
  /** The CRDs' CEL rules need Kubernetes 1.31 or newer. */
  @Container
  static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

  @Test
  void operatorRendersNodeConfigsAndTheApiServerEnforcesTheSchema() throws Exception {
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build()) {
      try (Stream<Path> crds = Files.list(Path.of("..", "crds"))) {
        for (Path crd : crds.filter(p -> p.toString().endsWith(".yml")).toList()) {
          try (FileInputStream in = new FileInputStream(crd.toFile())) {
            client.load(in).serverSideApply();
          }
        }
      }
      client.resource(new NamespaceBuilder().withNewMetadata().withName("wgmesh-system").endMetadata().build()).serverSideApply();
      Node node = client.nodes().list().getItems().get(0);
      String nodeName = node.getMetadata().getName();

      // The API server itself rejects a peer whose key is not a WireGuard key (OpenAPI pattern).
      WireGuardPeer bad = peer("bad", null, "not-a-key");
      assertThrows(KubernetesClientException.class, () -> client.resource(bad).create());

      Operator operator = MeshOperator.start(client, OperatorSettings.defaults("wgmesh-system"));
      try {
        WireGuardMesh mesh = new WireGuardMesh();
        mesh.setMetadata(new ObjectMetaBuilder().withName("k3s").build());
        mesh.getSpec().setNetwork("10.88.0.0/24");
        mesh.getSpec().setRegistry(new dev.wgmesh.api.v1alpha1.WireGuardMeshSpec.RegistrySpec());
        mesh.getSpec().getRegistry().setEndpoint("203.0.113.5:51822");
        mesh.getSpec().getRegistry().setPort(51822);
        client.resource(mesh).create();
        client.resource(peer(nodeName, nodeName, KeyPair.generate().publicKey().toBase64())).create();
        client.resource(peer("laptop", null, KeyPair.generate().publicKey().toBase64())).create();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          WireGuardNodeConfig config = client.resources(WireGuardNodeConfig.class).withName(nodeName).get();
          assertTrue(config != null && config.getSpec().getRegistryPeer() != null, "node config with the registry peer");
          List<String> members = client.resources(WireGuardPeerSet.class).withLabel(Labels.MESH, "k3s").list().getItems().stream()
              .flatMap(set -> set.getSpec().getPeers().stream()).map(p -> p.getName()).sorted().toList();
          assertEquals(List.of("laptop", nodeName).stream().sorted().toList(), members, "both members in the mesh's peer sets");
          WireGuardPeer laptop = client.resources(WireGuardPeer.class).withName("laptop").get();
          assertTrue(laptop.getStatus() != null && laptop.getStatus().getAddress() != null, "address allocated");
        });
        assertTrue(client.secrets().inNamespace("wgmesh-system").withName("k3s-registry-key").get() != null);
      } finally {
        operator.stop();
      }
    }
  }

  static WireGuardPeer peer(String name, String nodeName, String key) {
    WireGuardPeer p = new WireGuardPeer();
    p.setMetadata(new ObjectMetaBuilder().withName(name).build());
    p.getSpec().setMesh("k3s");
    p.getSpec().setNodeName(nodeName);
    p.getSpec().setPublicKey(key);
    return p;
  }
}
