package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One full sample of each kind: it maps onto the Java types and back without loss (YAML, object,
 * YAML). That the samples pass their CRD's schema, and small breakages of them do not, is tested
 * where the test API server validates custom resources (test-apiserver, SamplesValidTest).
 */
class SamplesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void meshRoundTrip() throws IOException {
    WireGuardMesh mesh = roundTrip("mesh.yaml", WireGuardMesh.class);
    assertEquals("prod", mesh.getMetadata().getName());
    assertEquals("10.88.0.0/16", mesh.getSpec().getNetwork());
    assertEquals(1380, mesh.getSpec().getMtu());
    assertEquals("Disabled", mesh.getSpec().getRelay());
    assertEquals("true", mesh.getSpec().getNodeSelector().get("wgmesh.dev/member"));
    assertEquals("cloud-a-node-1", mesh.getSpec().getRegistry().getNodeName());
    assertEquals(51822, mesh.getSpec().getRegistry().getPort());
    assertEquals(5, mesh.getStatus().getDirect());
    assertEquals(List.of(mesh.getSpec().getRegistry()), mesh.getSpec().effectiveRegistries(), "the single registry, as one entry");
    assertEquals(Boolean.TRUE, mesh.getStatus().getRegistries().get(0).getHealthy());
    assertTrue(mesh.getStatus().getConditions().get(0).isTrue());
    assertEquals(3L, mesh.getStatus().getConditions().get(0).getObservedGeneration());
  }

  @Test
  void peerRoundTrip() throws IOException {
    WireGuardPeer peer = roundTrip("peer.yaml", WireGuardPeer.class);
    assertEquals(List.of("192.168.10.0/24", "fd00:10::/64"), peer.getSpec().getAllowedIPs());
    assertEquals("[2001:db8::10]:51820", peer.getSpec().getEndpoint());
    assertEquals("True", peer.getStatus().getReady());
  }

  @Test
  void nodeConfigRoundTrip() throws IOException {
    WireGuardNodeConfig config = roundTrip("nodeconfig.yaml", WireGuardNodeConfig.class);
    assertEquals(List.of("10.88.0.1/16", "fd00:88::1/64"), config.getSpec().getInterfaceSpec().getAddresses());
    assertEquals(1420, config.getSpec().getInterfaceSpec().getMtu());
    assertEquals(2, config.getSpec().getPeers().size());
    assertEquals("laptop.example.net:51820", config.getSpec().getPeers().get(1).getEndpoint());
    assertEquals(7L, config.getStatus().getAppliedGeneration());
    assertEquals("pending", config.getStatus().getPeers().get(1).getMode());

    JsonNode written = YAML.readTree(Crds.SERIALIZATION.asYaml(config));
    assertTrue(written.path("spec").has("interface"), "spec.interface");
    assertFalse(written.path("spec").has("interfaceSpec"), "no spec.interfaceSpec");
  }

  /** Reads the sample as the typed object, writes it back, and compares the two YAML trees. */
  private static <T extends HasMetadata> T roundTrip(String sample, Class<T> type) throws IOException {
    String text = sample(sample);
    T object = Crds.SERIALIZATION.unmarshal(text, type);
    JsonNode original = YAML.readTree(text);
    JsonNode written = YAML.readTree(Crds.SERIALIZATION.asYaml(object));
    assertEquals(original, written, sample + " after YAML -> " + type.getSimpleName() + " -> YAML:\n" + Crds.SERIALIZATION.asYaml(object));
    T again = Crds.SERIALIZATION.unmarshal(Crds.SERIALIZATION.asYaml(object), type);
    assertEquals(written, YAML.readTree(Crds.SERIALIZATION.asYaml(again)));
    return object;
  }

  // --- the samples against the schema

  // --- Java defaults and CRD defaults agree, so a typed client and kubectl see the same object

  @Test
  void javaDefaultsAreTheCrdDefaults() {
    CustomResourceDefinition crd = Crds.generated(Crds.MESHES);
    WireGuardMeshSpec spec = new WireGuardMeshSpec();
    spec.setRegistry(new WireGuardMeshSpec.RegistrySpec());
    JsonNode javaDefaults = Crds.SERIALIZATION.convertValue(spec, JsonNode.class);
    int checked = 0;
    for (String path : List.of("listenPort", "mtu", "persistentKeepalive", "relay", "registry.exposure", "registry.zone", "registry.port")) {
      JsonNode crdDefault = Crds.at(crd, "spec." + path).getDefault();
      JsonNode java = javaDefaults;
      for (String step : path.split("\\.")) {
        java = java.path(step);
      }
      assertEquals(crdDefault, java, "default of spec." + path);
      checked++;
    }
    assertEquals(7, checked);
    assertNull(Crds.at(crd, "spec.network").getDefault());
  }

  private static JsonNode tree(String sample) throws IOException {
    return YAML.readTree(sample(sample));
  }

  private static String sample(String name) throws IOException {
    try (InputStream in = SamplesTest.class.getResourceAsStream("/samples/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

}
