package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.cel.common.CelValidationResult;
import dev.cel.compiler.CelCompiler;
import dev.cel.runtime.CelRuntime;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every wgmesh object in examples/ passes what kube-apiserver checks on create: the CRD's schema
 * (types, patterns, ranges, required fields) and every validation rule that applies on create
 * (rules without oldSelf), evaluated at each place of the object that the rule's schema node
 * describes. A user who applies an example, with the public keys it asks for filled in, is not
 * refused; one who forgets to fill them in is.
 */
class ExamplesAcceptedTest {
  static final Path EXAMPLES = Path.of(System.getProperty("wgmesh.examples", "../examples")).toAbsolutePath().normalize();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final CelCompiler COMPILER = KubeCel.untypedCompiler();
  static final CelRuntime RUNTIME = KubeCel.runtime();

  @Test
  void everyExampleObjectIsAccepted() throws IOException {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        for (JsonNode doc : documents(file)) {
          if (!doc.path("apiVersion").asText().startsWith(WireGuardMesh.GROUP + "/")) {
            continue;
          }
          JSONSchemaProps schema = Crds.rootSchema(crdOf(doc.path("kind").asText()));
          String where = file.getFileName() + " " + doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
          SchemaCheck.errors(doc, schema).forEach(e -> problems.add(where + ": " + e));
          problems.addAll(ruleFailures(where, doc, schema, ""));
          checked++;
        }
      }
    }
    assertTrue(checked >= 3, "examples checked: " + checked);
    assertEquals(List.of(), problems);
  }

  @Test
  void aBrokenExampleIsRefused() {
    JsonNode mesh = YAML.valueToTree(Map.of("apiVersion", "wgmesh.dev/v1alpha1", "kind", "WireGuardMesh",
        "metadata", Map.of("name", "x".repeat(60)),
        "spec", Map.of("network", "10.88.0.0/16", "registry", Map.of("address", "10.99.0.1"))));
    List<String> failures = ruleFailures("broken", mesh, Crds.rootSchema(crdOf("WireGuardMesh")), "");
    assertEquals(2, failures.size(), failures.toString());
    assertFalse(failures.stream().anyMatch(f -> !f.startsWith("broken")));
  }

  @Test
  void aPlaceholderLeftInIsRefused() throws IOException {
    JsonNode laptop = documents(EXAMPLES.resolve("laptop.yaml"), false).stream()
        .filter(d -> d.path("kind").asText().equals("WireGuardPeer")).findFirst().orElseThrow();
    assertFalse(SchemaCheck.errors(laptop, Crds.rootSchema(crdOf("WireGuardPeer"))).isEmpty());
  }

  static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("REPLACE_WITH_[A-Z_]+_PUBLIC_KEY");

  private static List<JsonNode> documents(Path file) throws IOException {
    return documents(file, true);
  }

  /** The documents of a file; with {@code filled}, its public key placeholders replaced by keys, as the user does. */
  private static List<JsonNode> documents(Path file, boolean filled) throws IOException {
    String text = Files.readString(file);
    if (filled) {
      text = PLACEHOLDER.matcher(text).replaceAll(m -> dev.wgmesh.core.key.KeyPair.generate().publicKey().toBase64());
    }
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(text)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  private static CustomResourceDefinition crdOf(String kind) {
    for (String file : Crds.FILES) {
      CustomResourceDefinition crd = Crds.generated(file);
      if (crd.getSpec().getNames().getKind().equals(kind)) {
        return crd;
      }
    }
    throw new AssertionError("no CRD for kind " + kind);
  }

  /** The rules of {@code schema} and below that fail on {@code value}; transition rules (oldSelf) do not apply on create. */
  static List<String> ruleFailures(String where, JsonNode value, JSONSchemaProps schema, String path) {
    List<String> failures = new ArrayList<>();
    if (value == null || value.isMissingNode() || value.isNull()) {
      return failures;
    }
    if (schema.getXKubernetesValidations() != null) {
      for (ValidationRule rule : schema.getXKubernetesValidations()) {
        if (rule.getRule().contains("oldSelf")) {
          continue;
        }
        if (!evaluate(rule.getRule(), value)) {
          failures.add(where + " " + (path.isEmpty() ? "<root>" : path) + ": " + rule.getMessage());
        }
      }
    }
    if (schema.getProperties() != null && value.isObject()) {
      schema.getProperties().forEach((name, child) -> failures.addAll(ruleFailures(where, value.get(name), child, path + "." + name)));
    }
    if (schema.getItems() != null && schema.getItems().getSchema() != null && value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        failures.addAll(ruleFailures(where, value.get(i), schema.getItems().getSchema(), path + "[" + i + "]"));
      }
    }
    return failures;
  }

  private static boolean evaluate(String rule, JsonNode self) {
    try {
      CelValidationResult compiled = COMPILER.compile(rule);
      Object result = RUNTIME.createProgram(compiled.getAst()).eval(Map.of("self", plain(self)));
      return Boolean.TRUE.equals(result);
    } catch (Exception e) {
      throw new AssertionError("evaluating " + rule + " on " + self, e);
    }
  }

  /** JSON as CEL values: objects as maps, arrays as lists, integers as long. */
  private static Object plain(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.fields().forEachRemaining(e -> map.put(e.getKey(), plain(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(n -> list.add(plain(n)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.asText();
  }
}
