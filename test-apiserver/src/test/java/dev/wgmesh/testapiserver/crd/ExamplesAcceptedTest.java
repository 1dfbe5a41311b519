package dev.wgmesh.testapiserver.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every wgmesh object in examples/ passes what kube-apiserver checks on create (see
 * {@link CustomResourceValidator}): no unknown fields, the CRD's schema and every rule that applies
 * on create. A user who applies an example, with the public keys it asks for filled in, is not
 * refused; one who forgets to fill them in is.
 */
class ExamplesAcceptedTest {
  static final Path EXAMPLES = Path.of(System.getProperty("wgmesh.examples", "../examples")).toAbsolutePath().normalize();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void everyExampleObjectIsAccepted() throws IOException {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        for (JsonNode doc : documents(file, true)) {
          if (!doc.path("apiVersion").asText().startsWith(WireGuardMesh.GROUP + "/")) {
            continue;
          }
          String where = file.getFileName() + " " + doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
          problems.addAll(errorsOnCreate(doc).stream().map(e -> where + ": " + e).toList());
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
    assertEquals(List.of("<nil>: Invalid value: \"object\": a mesh name has at most 54 characters (its registry's Service is "
            + "named <name>-registry, a DNS label of 63)",
        "spec.registry.address: Invalid value: \"object\": registry.address must lie inside network"),
        errorsOnCreate(mesh).stream().map(FieldError::toString).toList());
  }

  @Test
  void aPlaceholderLeftInIsRefused() throws IOException {
    JsonNode laptop = documents(EXAMPLES.resolve("laptop.yaml"), false).stream()
        .filter(d -> d.path("kind").asText().equals("WireGuardPeer")).findFirst().orElseThrow();
    List<FieldError> errors = errorsOnCreate(laptop);
    assertTrue(errors.stream().anyMatch(e -> e.field().equals("spec.publicKey") && e.detail().contains("should match")), errors.toString());
  }

  /** Unknown fields and validation errors, as a create of {@code doc} would meet them. */
  static List<FieldError> errorsOnCreate(JsonNode doc) {
    CustomResourceValidator validator = CustomResourceValidator.of(Crds.ofKind(doc.path("kind").asText()));
    CustomResourceValidator.Pruned pruned = validator.prune(doc);
    List<FieldError> errors = new ArrayList<>(pruned.unknownFields().stream()
        .map(f -> new FieldError(f, FieldError.Type.INVALID, null, "unknown field")).toList());
    errors.addAll(validator.validateCreate(pruned.object()));
    return errors;
  }

  static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("REPLACE_WITH_[A-Z_]+_PUBLIC_KEY");

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
}
