package dev.wgmesh.testapiserver.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The api module's full samples (api/src/test/resources/samples) pass their CRD as kube-apiserver
 * checks it on create, and small breakages of them fail where expected, with kube-apiserver's
 * words.
 */
class SamplesValidTest {
  private static final Path SAMPLES = Path.of(System.getProperty("wgmesh.samples", "../api/src/test/resources/samples"))
      .toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void samplesPassTheirSchemas() throws IOException {
    for (String sample : List.of("mesh.yaml", "peer.yaml", "nodeconfig.yaml")) {
      assertEquals(List.of(), ExamplesAcceptedTest.errorsOnCreate(tree(sample)), sample);
    }
  }

  @Test
  void brokenMeshes() throws IOException {
    assertRejected("mesh.yaml", m -> spec(m).put("relay", "Sometimes"), "spec.relay: Unsupported value: \"Sometimes\": supported values: \"Auto\", \"Disabled\"");
    assertRejected("mesh.yaml", m -> spec(m).put("relay", false), "spec.relay: Invalid value: false: spec.relay in body must be of type string: \"boolean\"");
    assertRejected("mesh.yaml", m -> spec(m).put("mtu", 9001), "spec.mtu: Invalid value: 9001: spec.mtu in body should be less than or equal to 9000");
    assertRejected("mesh.yaml", m -> spec(m).put("mtu", 576), "spec.mtu: Invalid value: 576: spec.mtu in body should be greater than or equal to 1280");
    assertRejected("mesh.yaml", m -> spec(m).put("mtu", 1400.5), "spec.mtu: Invalid value: 1400.5: spec.mtu in body must be of type integer: \"number\"");
    assertRejected("mesh.yaml", m -> spec(m).put("listenPort", 0), "spec.listenPort: Invalid value: 0: spec.listenPort in body should be greater");
    assertRejected("mesh.yaml", m -> spec(m).put("listenPort", 65536), "spec.listenPort: Invalid value: 65536: spec.listenPort in body should be less");
    assertRejected("mesh.yaml", m -> spec(m).put("persistentKeepalive", 3601), "spec.persistentKeepalive: Invalid value: 3601:");
    assertRejected("mesh.yaml", m -> spec(m).put("persistentKeepalive", -1), "spec.persistentKeepalive: Invalid value: -1:");
    assertRejected("mesh.yaml", m -> spec(m).put("network", "10.88.0.0"), "spec.network: Invalid value: \"10.88.0.0\": spec.network in body should match '^");
    assertRejected("mesh.yaml", m -> spec(m).put("network", "fd00::"), "spec.network: Invalid value: \"fd00::\"");
    assertRejected("mesh.yaml", m -> spec(m).put("networkV6", "10.0.0.0/8"), "spec.networkV6: Invalid value: \"10.0.0.0/8\"");
    assertRejected("mesh.yaml", m -> spec(m).remove("network"), "spec.network: Required value");
    assertRejected("mesh.yaml", m -> spec(m).put("netwrok", "10.0.0.0/8"), "spec.netwrok: Invalid value: unknown field");
    assertRejected("mesh.yaml", m -> registry(m).put("exposure", "NodePort"), "spec.registry.exposure: Unsupported value: \"NodePort\"");
    assertRejected("mesh.yaml", m -> registry(m).put("endpoint", "203.0.113.10"), "spec.registry.endpoint: Invalid value: \"203.0.113.10\"");
    assertRejected("mesh.yaml", m -> registry(m).put("port", 70000), "spec.registry.port: Invalid value: 70000");
    assertRejected("mesh.yaml", m -> registry(m).put("name", "a-very-long-name"), "spec.registry.name: Too long: may not be longer than 12");
    assertRejected("mesh.yaml", m -> ((ObjectNode) spec(m).get("nodeSelector")).put("zone", 3),
        "spec.nodeSelector[zone]: Invalid value: 3: spec.nodeSelector[zone] in body must be of type string: \"integer\"");
    assertRejected("mesh.yaml", m -> ((ObjectNode) m.get("metadata")).put("name", "Prod"), "metadata.name: Invalid value: \"Prod\": a lowercase RFC 1123 subdomain");
    assertRejected("mesh.yaml", m -> ((ObjectNode) m).remove("spec"), "spec: Required value");
  }

  @Test
  void brokenPeers() throws IOException {
    assertRejected("peer.yaml", p -> spec(p).put("publicKey", "REPLACE_WITH_LAPTOP_PUBLIC_KEY"), "spec.publicKey: Invalid value: \"REPLACE_WITH_LAPTOP_PUBLIC_KEY\"");
    assertRejected("peer.yaml", p -> spec(p).remove("publicKey"), "spec.publicKey: Required value");
    assertRejected("peer.yaml", p -> spec(p).remove("mesh"), "spec.mesh: Required value");
    assertRejected("peer.yaml", p -> ((ArrayNode) spec(p).get("allowedIPs")).add("192.168.10.0/33"), "spec.allowedIPs[2]: Invalid value: \"192.168.10.0/33\"");
    assertRejected("peer.yaml", p -> ((ArrayNode) spec(p).get("allowedIPs")).add("192.168.10.1"), "spec.allowedIPs[2]: Invalid value");
    assertRejected("peer.yaml", p -> spec(p).put("address", "10.88.255.1/32"), "spec.address: Invalid value: \"10.88.255.1/32\"");
    assertRejected("peer.yaml", p -> spec(p).put("endpoint", "2001:db8::10:51820"), "spec.endpoint: Invalid value: \"2001:db8::10:51820\"");
  }

  @Test
  void brokenNodeConfigs() throws IOException {
    assertRejected("nodeconfig.yaml", c -> spec(c).set("interfaceSpec", spec(c).remove("interface")), "spec.interfaceSpec: Invalid value: unknown field");
    assertRejected("nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("interface")).put("mtu", 100), "spec.interface.mtu: Invalid value: 100");
    assertRejected("nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("discovery")).put("relay", "off"), "spec.discovery.relay: Unsupported value: \"off\"");
    assertRejected("nodeconfig.yaml", c -> ((ObjectNode) spec(c).get("peers").get(0)).put("publicKey", "abc"), "spec.peers[0].publicKey: Invalid value: \"abc\"");
  }

  /** The sample, broken, meets exactly one error (besides the note that the rules did not run), which starts with {@code expected}. */
  private static void assertRejected(String sample, Consumer<JsonNode> breakIt, String expected) throws IOException {
    JsonNode object = tree(sample);
    breakIt.accept(object);
    List<String> errors = ExamplesAcceptedTest.errorsOnCreate(object).stream().map(FieldError::toString)
        .filter(e -> !e.contains("some validation rules were not checked")).toList();
    assertEquals(1, errors.size(), "one error: " + errors);
    assertEquals(true, errors.get(0).startsWith(expected), "expected '" + expected + "...', got " + errors.get(0));
  }

  private static ObjectNode spec(JsonNode object) {
    return (ObjectNode) object.get("spec");
  }

  private static ObjectNode registry(JsonNode object) {
    return (ObjectNode) object.get("spec").get("registry");
  }

  private static JsonNode tree(String sample) throws IOException {
    return YAML.readTree(SAMPLES.resolve(sample).toFile());
  }
}
