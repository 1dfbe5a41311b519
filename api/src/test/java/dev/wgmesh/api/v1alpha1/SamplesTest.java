package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * One full sample of each kind: it maps onto the Java types and back without loss (YAML, object,
 * YAML), and it passes the generated schema; small breakages of it fail the schema where expected.
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

  @Test
  void samplesPassTheirSchemas() throws IOException {
    assertEquals(List.of(), SchemaCheck.errors(tree("mesh.yaml"), schema(Crds.MESHES)));
    assertEquals(List.of(), SchemaCheck.errors(tree("peer.yaml"), schema(Crds.PEERS)));
    assertEquals(List.of(), SchemaCheck.errors(tree("nodeconfig.yaml"), schema(Crds.NODE_CONFIGS)));
  }

  @Test
  void brokenMeshes() throws IOException {
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("relay", "Sometimes"), ".spec.relay: Unsupported value");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("relay", false), ".spec.relay: must be a string");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("mtu", 9001), ".spec.mtu: must be less than or equal to 9000");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("mtu", 576), ".spec.mtu: must be greater than or equal to 1280");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("listenPort", 0), ".spec.listenPort: must be greater");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("listenPort", 65536), ".spec.listenPort: must be less");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("persistentKeepalive", 3601), ".spec.persistentKeepalive: must be less");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("persistentKeepalive", -1), ".spec.persistentKeepalive: must be greater");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("network", "10.88.0.0"), ".spec.network: must match");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("network", "fd00::/64"), ".spec.network: must match");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("networkV6", "10.0.0.0/8"), ".spec.networkV6: must match");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).remove("network"), ".spec.network: Required value");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> spec(m).put("netwrok", "10.0.0.0/8"), ".spec.netwrok: unknown field");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> registry(m).put("exposure", "NodePort"), ".spec.registry.exposure: Unsupported value");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> registry(m).put("endpoint", "203.0.113.10"), ".spec.registry.endpoint: must match");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> registry(m).put("port", 70000), ".spec.registry.port: must be less");
    assertRejected(Crds.MESHES, "mesh.yaml", m -> ((ObjectNode) m).remove("spec"), ".spec: Required value");
  }

  @Test
  void brokenPeers() throws IOException {
    assertRejected(Crds.PEERS, "peer.yaml", p -> spec(p).put("publicKey", "REPLACE_WITH_LAPTOP_PUBLIC_KEY"), ".spec.publicKey: must match");
    assertRejected(Crds.PEERS, "peer.yaml", p -> spec(p).remove("publicKey"), ".spec.publicKey: Required value");
    assertRejected(Crds.PEERS, "peer.yaml", p -> spec(p).remove("mesh"), ".spec.mesh: Required value");
    assertRejected(Crds.PEERS, "peer.yaml", p -> ((ArrayNode) spec(p).get("allowedIPs")).add("192.168.10.0/33"), ".spec.allowedIPs[2]: must match");
    assertRejected(Crds.PEERS, "peer.yaml", p -> ((ArrayNode) spec(p).get("allowedIPs")).add("192.168.10.1"), ".spec.allowedIPs[2]: must match");
    assertRejected(Crds.PEERS, "peer.yaml", p -> spec(p).put("address", "10.88.255.1/32"), ".spec.address: must match");
    assertRejected(Crds.PEERS, "peer.yaml", p -> spec(p).put("endpoint", "2001:db8::10:51820"), ".spec.endpoint: must match");
  }

  @Test
  void brokenNodeConfigs() throws IOException {
    assertRejected(Crds.NODE_CONFIGS, "nodeconfig.yaml", c -> spec(c).set("interfaceSpec", spec(c).remove("interface")), ".spec.interfaceSpec: unknown field");
    assertRejected(Crds.NODE_CONFIGS, "nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("interface")).put("mtu", 100), ".spec.interface.mtu: must be greater");
    assertRejected(Crds.NODE_CONFIGS, "nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("discovery")).put("relay", "off"), ".spec.discovery.relay: Unsupported value");
    assertRejected(Crds.NODE_CONFIGS, "nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("peers").get(0)).put("publicKey", "abc"), ".spec.peers[0].publicKey: must match");
  }

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

  private static void assertRejected(String crd, String sample, Consumer<JsonNode> breakIt, String expectedError) throws IOException {
    JsonNode object = tree(sample);
    breakIt.accept(object);
    List<String> errors = SchemaCheck.errors(object, schema(crd));
    assertTrue(errors.stream().anyMatch(e -> e.startsWith(expectedError)), "expected '" + expectedError + "' in " + errors);
    assertEquals(1, errors.size(), "one error: " + errors);
  }

  private static ObjectNode spec(JsonNode object) {
    return (ObjectNode) object.get("spec");
  }

  private static ObjectNode registry(JsonNode object) {
    return (ObjectNode) object.get("spec").get("registry");
  }

  private static JSONSchemaProps schema(String crd) {
    return Crds.rootSchema(Crds.generated(crd));
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
