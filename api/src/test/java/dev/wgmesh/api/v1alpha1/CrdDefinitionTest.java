package dev.wgmesh.api.v1alpha1;

import static dev.wgmesh.api.v1alpha1.Crds.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Reads each generated CRD with fabric8 and checks what kubectl and the API server will see. */
class CrdDefinitionTest {
  private static final CustomResourceDefinition MESH = Crds.generated(Crds.MESHES);
  private static final CustomResourceDefinition PEER = Crds.generated(Crds.PEERS);
  private static final CustomResourceDefinition NODE_CONFIG = Crds.generated(Crds.NODE_CONFIGS);

  // --- names, scope, version, subresources

  @Test
  void meshNames() {
    assertNames(MESH, "WireGuardMesh", "wireguardmeshes", "wireguardmesh", List.of("wgmesh", "wgm"));
  }

  @Test
  void peerNames() {
    assertNames(PEER, "WireGuardPeer", "wireguardpeers", "wireguardpeer", List.of("wgpeer", "wgpeers", "wgp"));
  }

  @Test
  void nodeConfigNames() {
    assertNames(NODE_CONFIG, "WireGuardNodeConfig", "wireguardnodeconfigs", "wireguardnodeconfig", List.of("wgnc", "wgnodeconfig"));
  }

  @Test
  void typesAreClusterScoped() {
    for (Class<?> type : List.of(WireGuardMesh.class, WireGuardPeer.class, WireGuardNodeConfig.class)) {
      assertTrue(!Namespaced.class.isAssignableFrom(type), type.getSimpleName() + " must not implement Namespaced");
    }
  }

  private static void assertNames(CustomResourceDefinition crd, String kind, String plural, String singular, List<String> shortNames) {
    assertEquals(plural + ".wgmesh.dev", crd.getMetadata().getName());
    assertEquals("apiextensions.k8s.io/v1", crd.getApiVersion());
    assertEquals("wgmesh.dev", crd.getSpec().getGroup());
    assertEquals("Cluster", crd.getSpec().getScope());
    assertEquals(kind, crd.getSpec().getNames().getKind());
    assertEquals(plural, crd.getSpec().getNames().getPlural());
    assertEquals(singular, crd.getSpec().getNames().getSingular());
    assertEquals(shortNames, crd.getSpec().getNames().getShortNames());
    assertEquals(1, crd.getSpec().getVersions().size());
    CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
    assertEquals("v1alpha1", version.getName());
    assertTrue(version.getServed());
    assertTrue(version.getStorage());
    assertNotNull(version.getSubresources(), "subresources");
    assertNotNull(version.getSubresources().getStatus(), "status subresource");
    assertEquals("object", Crds.rootSchema(crd).getType());
    assertEquals(List.of("spec"), Crds.rootSchema(crd).getRequired(), "an object without spec is rejected");
    assertEquals("object", at(crd, "status").getType());
  }

  // --- printer columns (fabric8 orders them by JSON path, so Age comes first)

  @Test
  void meshPrinterColumns() {
    assertColumns(MESH, Map.of(
        "Age", ".metadata.creationTimestamp date",
        "Network", ".spec.network string",
        "Peers", ".status.peers integer",
        "Ready", ".status.ready integer",
        "Direct", ".status.direct integer",
        "Relayed", ".status.relayed integer",
        "Registries", ".status.registrySummary string"));
  }

  @Test
  void peerPrinterColumns() {
    assertColumns(PEER, Map.of(
        "Age", ".metadata.creationTimestamp date",
        "Node", ".spec.nodeName string",
        "Address", ".status.address string",
        "Endpoint", ".status.endpoint string",
        "Mode", ".status.mode string",
        "Ready", ".status.ready string"));
  }

  @Test
  void nodeConfigPrinterColumns() {
    assertColumns(NODE_CONFIG, Map.of(
        "Age", ".metadata.creationTimestamp date",
        "Node", ".spec.nodeName string",
        "Applied", ".status.appliedGeneration integer",
        "Direct", ".status.direct integer",
        "Relayed", ".status.relayed integer",
        "Pending", ".status.pending integer"));
  }

  private static void assertColumns(CustomResourceDefinition crd, Map<String, String> expected) {
    Map<String, String> actual = new LinkedHashMap<>();
    for (CustomResourceColumnDefinition column : crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns()) {
      actual.put(column.getName(), column.getJsonPath() + " " + column.getType());
      assertEquals(0, column.getPriority(), column.getName() + " shows without -o wide");
      if (!column.getJsonPath().startsWith(".metadata.")) {
        // the column's path must exist in the schema, with the column's type
        JSONSchemaProps schema = at(crd, column.getJsonPath().substring(1));
        assertEquals(column.getType(), schema.getType(), column.getName());
      }
    }
    assertEquals(expected, actual);
  }

  // --- WireGuardMesh validation

  @Test
  void meshSpecFormatsAndRanges() {
    assertEquals(List.of("network"), at(MESH, "spec").getRequired(), "registry or registries: a CEL rule");
    assertEquals(Patterns.IPV4_CIDR, at(MESH, "spec.network").getPattern());
    assertEquals(Patterns.IPV6_CIDR, at(MESH, "spec.networkV6").getPattern());
    assertRange(MESH, "spec.listenPort", 1, 65535, "51820");
    assertRange(MESH, "spec.mtu", 1280, 9000, "1420");
    assertRange(MESH, "spec.persistentKeepalive", 0, 3600, "25");
    assertEnum(MESH, "spec.relay", "Auto", "Auto", "Disabled");
    assertEquals("string", at(MESH, "spec.nodeSelector").getAdditionalProperties().getSchema().getType());

    assertEquals(Patterns.ENDPOINT, at(MESH, "spec.registry.endpoint").getPattern());
    assertEquals(Patterns.IPV4_ADDRESS, at(MESH, "spec.registry.address").getPattern());
    assertEquals(Patterns.DNS_ZONE, at(MESH, "spec.registry.zone").getPattern());
    assertEquals("\"wgmesh.internal\"", at(MESH, "spec.registry.zone").getDefault().toString());
    assertEnum(MESH, "spec.registry.exposure", "HostNetwork", "HostNetwork", "LoadBalancer");
    assertRange(MESH, "spec.registry.port", 1, 65535, "51820");
  }

  @Test
  void meshCelRules() {
    ValidationRule inside = at(MESH, "spec").getXKubernetesValidations().stream()
        .filter(r -> ".registry.address".equals(r.getFieldPath())).findFirst().orElseThrow();
    assertEquals("!has(self.registry) || !has(self.registry.address) || !isCIDR(self.network) || !isIP(self.registry.address)"
        + " || cidr(self.network).containsIP(self.registry.address)", inside.getRule());
    assertEquals(".registry.address", inside.getFieldPath());
    assertEquals("registry.address must lie inside network", inside.getMessage());

    ValidationRule pinned = onlyRule(at(MESH, "spec.registry"));
    assertEquals(pinned.getRule(), onlyRule(at(MESH, "spec.registries[]")).getRule(), "each of registries, the same rule");
    assertEquals(8L, at(MESH, "spec.registries").getMaxItems());
    assertEquals(1L, at(MESH, "spec.registries").getMinItems());
    assertEquals(Patterns.DNS_LABEL, at(MESH, "spec.registries[].name").getPattern());
    assertEquals(12L, at(MESH, "spec.registries[].name").getMaxLength());
    assertEquals("!has(self.nodeName) || !has(self.exposure) || self.exposure == 'HostNetwork'", pinned.getRule());
    assertEquals(".nodeName", pinned.getFieldPath());
    assertEquals("FieldValueForbidden", pinned.getReason());
  }

  // --- WireGuardPeer validation

  @Test
  void peerSpecFormats() {
    assertEquals(List.of("mesh", "publicKey"), at(PEER, "spec").getRequired());
    assertEquals(Patterns.KEY, at(PEER, "spec.publicKey").getPattern());
    assertEquals(Patterns.IPV4_ADDRESS, at(PEER, "spec.address").getPattern());
    assertEquals("array", at(PEER, "spec.allowedIPs").getType());
    assertEquals(Patterns.CIDR, at(PEER, "spec.allowedIPs[]").getPattern());
    assertEquals(Patterns.ENDPOINT, at(PEER, "spec.endpoint").getPattern());
    List<ValidationRule> keyRules = at(PEER, "spec.publicKey").getXKubernetesValidations();
    assertTrue(keyRules == null || keyRules.isEmpty(), "publicKey may change (key rotation)");
  }

  @Test
  void peerNodeNameIsImmutable() {
    ValidationRule field = onlyRule(at(PEER, "spec.nodeName"));
    assertEquals("self == oldSelf", field.getRule());
    ValidationRule presence = onlyRule(at(PEER, "spec"));
    assertEquals("has(self.nodeName) == has(oldSelf.nodeName)", presence.getRule());
    assertEquals(".nodeName", presence.getFieldPath());
  }

  // --- WireGuardNodeConfig validation

  @Test
  void nodeConfigSpecFormatsAndRanges() {
    assertNull(at(NODE_CONFIG, "spec").getProperties().get("interfaceSpec"), "the JSON name is interface");
    assertEquals(Patterns.CIDR, at(NODE_CONFIG, "spec.interface.addresses[]").getPattern());
    assertRange(NODE_CONFIG, "spec.interface.listenPort", 1, 65535, null);
    assertRange(NODE_CONFIG, "spec.interface.mtu", 1280, 9000, null);
    assertEquals(Patterns.KEY, at(NODE_CONFIG, "spec.registryPeer.publicKey").getPattern());
    assertEquals(Patterns.ENDPOINT, at(NODE_CONFIG, "spec.registryPeer.endpoint").getPattern());
    assertEquals(Patterns.IPV4_ADDRESS, at(NODE_CONFIG, "spec.registryPeer.address").getPattern());
    assertEquals(Patterns.DNS_ZONE, at(NODE_CONFIG, "spec.registryPeer.zone").getPattern());
    assertRange(NODE_CONFIG, "spec.registryPeer.dnsPort", 1, 65535, null);
    assertRange(NODE_CONFIG, "spec.registryPeer.relayPort", 1, 65535, null);
    assertRange(NODE_CONFIG, "spec.registryPeer.persistentKeepalive", 0, 3600, null);
    assertEquals(Patterns.KEY, at(NODE_CONFIG, "spec.peers[].publicKey").getPattern());
    assertEquals(Patterns.CIDR, at(NODE_CONFIG, "spec.peers[].allowedIPs[]").getPattern());
    assertEquals(Patterns.ENDPOINT, at(NODE_CONFIG, "spec.peers[].endpoint").getPattern());
    assertRange(NODE_CONFIG, "spec.peers[].persistentKeepalive", 0, 3600, null);
    assertEnum(NODE_CONFIG, "spec.discovery.relay", null, "Auto", "Disabled");
  }

  // --- every pattern in every CRD

  @Test
  void everyPatternCompilesForRe2AndIsAnchored() {
    for (CustomResourceDefinition crd : List.of(MESH, PEER, NODE_CONFIG)) {
      List<String> patterns = new ArrayList<>();
      collectPatterns(Crds.rootSchema(crd), patterns);
      assertTrue(patterns.size() >= 4, crd.getMetadata().getName() + " has its patterns");
      for (String pattern : patterns) {
        Pattern.compile(pattern);
        com.google.re2j.Pattern.compile(pattern); // RE2: no look-around, back references, possessive quantifiers
        // the API server searches (unanchored), so every pattern anchors itself
        assertTrue(pattern.startsWith("^") && pattern.endsWith("$"), "anchored: " + pattern);
      }
    }
  }

  private static void collectPatterns(JSONSchemaProps schema, List<String> into) {
    if (schema.getPattern() != null) {
      into.add(schema.getPattern());
    }
    if (schema.getProperties() != null) {
      schema.getProperties().values().forEach(p -> collectPatterns(p, into));
    }
    if (schema.getItems() != null && schema.getItems().getSchema() != null) {
      collectPatterns(schema.getItems().getSchema(), into);
    }
  }

  private static ValidationRule onlyRule(JSONSchemaProps schema) {
    assertNotNull(schema.getXKubernetesValidations(), "x-kubernetes-validations");
    assertEquals(1, schema.getXKubernetesValidations().size());
    return schema.getXKubernetesValidations().get(0);
  }

  private static void assertRange(CustomResourceDefinition crd, String path, int min, int max, String defaultValue) {
    JSONSchemaProps schema = at(crd, path);
    assertEquals("integer", schema.getType(), path);
    assertEquals(min, schema.getMinimum().intValue(), path + " minimum");
    assertEquals(max, schema.getMaximum().intValue(), path + " maximum");
    assertEquals(defaultValue, schema.getDefault() == null ? null : schema.getDefault().toString(), path + " default");
  }

  private static void assertEnum(CustomResourceDefinition crd, String path, String defaultValue, String... values) {
    JSONSchemaProps schema = at(crd, path);
    assertEquals("string", schema.getType(), path);
    assertEquals(List.of(values), schema.getEnum().stream().map(JsonNode::asText).toList(), path + " enum");
    assertNull(schema.getPattern(), path + ": the enum is enough");
    assertEquals(defaultValue, schema.getDefault() == null ? null : schema.getDefault().asText(), path + " default");
  }
}
