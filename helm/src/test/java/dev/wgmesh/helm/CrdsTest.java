package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wgmesh.helm.Chart.Doc;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The chart's CRDs are the generated ones in crds/ (the api module generates and checks those), and
 * what the chart renders and accepts agrees with them.
 */
class CrdsTest {
  /** The manifests of a directory (what Helm installs from crds/: .yaml, .yml, .json), by file name. */
  static Map<String, String> files(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)
          .filter(f -> f.getFileName().toString().matches("(?i).*\\.(ya?ml|json)$"))::iterator) {
        out.put(f.getFileName().toString(), Chart.read(f));
      }
    }
    return out;
  }

  @Test
  void chartCrdsEqualTheGeneratedCrds() throws IOException {
    Map<String, String> generated = files(Chart.CRDS);
    Map<String, String> chart = files(Chart.DIR.resolve("crds"));
    assertFalse(generated.isEmpty(), "no CRDs in " + Chart.CRDS);
    assertEquals(generated.keySet(), chart.keySet(),
        "helm/wgmesh/crds differs from crds/: copy them with  cp crds/*.yml helm/wgmesh/crds/");
    for (String name : generated.keySet()) {
      assertEquals(generated.get(name), chart.get(name),
          "helm/wgmesh/crds/" + name + " differs from crds/" + name + ": copy it with  cp crds/*.yml helm/wgmesh/crds/");
    }
  }

  @Test
  void chartCrdsAreTheFourWgmeshKinds() throws IOException {
    List<String> kinds = new ArrayList<>();
    for (Doc d : Chart.chartCrds()) {
      CustomResourceDefinition crd = (CustomResourceDefinition) d.object();
      assertEquals(List.of(), UnknownFields.of(crd), d.toString());
      assertEquals("wgmesh.dev", crd.getSpec().getGroup());
      assertEquals("Cluster", crd.getSpec().getScope());
      kinds.add(crd.getSpec().getNames().getKind());
    }
    assertEquals(List.of("WireGuardMesh", "WireGuardNodeConfig", "WireGuardPeer", "WireGuardPeerSet"), kinds.stream().sorted().toList());
  }

  static JsonNode meshSpecSchema() throws IOException {
    Path f = Chart.DIR.resolve("crds/wireguardmeshes.wgmesh.dev-v1.yml");
    return Chart.YAML.readTree(f.toFile()).at("/spec/versions/0/schema/openAPIV3Schema");
  }

  /** The WireGuardMesh the chart renders is valid by the CRD's schema (types, patterns, enums, ranges, no unknown fields). */
  @ParameterizedTest
  @EnumSource(value = Scenario.class, names = "NO_MESH", mode = EnumSource.Mode.EXCLUDE)
  void renderedMeshIsValidByTheCrdSchema(Scenario scenario) throws IOException {
    Doc mesh = Chart.render(scenario).stream().filter(d -> d.kind().equals("WireGuardMesh")).findFirst().orElseThrow();
    JsonNode object = Chart.YAML.readTree(mesh.yaml());
    List<String> errors = new ArrayList<>();
    validate(meshSpecSchema().at("/properties/spec"), object.get("spec"), "spec", errors);
    assertEquals(List.of(), errors);
  }

  @Test
  void theValidatorRejectsWhatTheApiServerWould() throws IOException {
    JsonNode bad = Chart.YAML.readTree("network: 10.88.0.0/33\nlistenPort: 0\nrelay: Sometimes\nregistry:\n  exposre: HostNetwork\n");
    List<String> errors = new ArrayList<>();
    validate(meshSpecSchema().at("/properties/spec"), bad, "spec", errors);
    assertEquals(4, errors.size(), errors.toString());
  }

  /** A minimal structural-schema validator: what the API server checks first on apply. */
  static void validate(JsonNode schema, JsonNode value, String path, List<String> errors) {
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          errors.add(path + ": not an object");
          return;
        }
        for (JsonNode r : schema.path("required")) {
          if (!value.has(r.asText())) {
            errors.add(path + "." + r.asText() + ": required");
          }
        }
        JsonNode props = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (props.has(e.getKey())) {
            validate(props.get(e.getKey()), e.getValue(), path + "." + e.getKey(), errors);
          } else if (additional.isObject()) {
            validate(additional, e.getValue(), path + "." + e.getKey(), errors);
          } else if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            errors.add(path + "." + e.getKey() + ": unknown field");
          }
        }
      }
      case "array" -> {
        if (!value.isArray()) {
          errors.add(path + ": not an array");
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          validate(schema.path("items"), value.get(i), path + "[" + i + "]", errors);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          errors.add(path + ": not a string: " + value);
          return;
        }
        if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
          errors.add(path + ": '" + value.asText() + "' does not match the CRD's pattern");
        }
        if (schema.has("enum")) {
          boolean ok = false;
          for (JsonNode e : schema.get("enum")) {
            ok |= e.asText().equals(value.asText());
          }
          if (!ok) {
            errors.add(path + ": '" + value.asText() + "' not one of " + schema.get("enum"));
          }
        }
        if (schema.has("maxLength") && value.asText().length() > schema.get("maxLength").asInt()) {
          errors.add(path + ": too long");
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          errors.add(path + ": not an integer: " + value);
          return;
        }
        if (schema.has("minimum") && value.asLong() < schema.get("minimum").asDouble()) {
          errors.add(path + ": below " + schema.get("minimum"));
        }
        if (schema.has("maximum") && value.asLong() > schema.get("maximum").asDouble()) {
          errors.add(path + ": above " + schema.get("maximum"));
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          errors.add(path + ": not a boolean");
        }
      }
      default -> {
        if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !schema.has("x-kubernetes-int-or-string")) {
          errors.add(path + ": schema without a type");
        }
      }
    }
  }

  /** values.schema.json checks mesh values with the CRD's own patterns, enums and ranges. */
  @Test
  void valuesSchemaAgreesWithTheCrd() throws IOException {
    JsonNode crd = meshSpecSchema().at("/properties/spec/properties");
    JsonNode values = Chart.YAML.readTree(Chart.DIR.resolve("values.schema.json").toFile()).at("/properties/mesh/properties");
    assertEquals(crd.at("/network/pattern").asText(), values.at("/network/pattern").asText());
    assertEquals("^$|" + crd.at("/networkV6/pattern").asText(), values.at("/networkV6/pattern").asText());
    assertEquals(crd.at("/relay/enum"), values.at("/relay/enum"));
    JsonNode crdRegistry = crd.at("/registry/properties");
    JsonNode valuesRegistry = values.at("/registry/properties");
    assertEquals(crdRegistry.at("/exposure/enum"), valuesRegistry.at("/exposure/enum"));
    assertEquals("^$|" + crdRegistry.at("/endpoint/pattern").asText(), valuesRegistry.at("/endpoint/pattern").asText());
    assertEquals("^$|" + crdRegistry.at("/address/pattern").asText(), valuesRegistry.at("/address/pattern").asText());
    assertEquals(crdRegistry.at("/zone/pattern").asText(), valuesRegistry.at("/zone/pattern").asText());
    for (String[] range : new String[][] {{"/listenPort", "/listenPort"}, {"/mtu", "/mtu"},
        {"/persistentKeepalive", "/persistentKeepalive"}, {"/registry/properties/port", "/registry/properties/port"}}) {
      assertEquals(crd.at(range[0] + "/minimum").asDouble(), values.at(range[1] + "/minimum").asDouble(), range[0]);
      assertEquals(crd.at(range[0] + "/maximum").asDouble(), values.at(range[1] + "/maximum").asDouble(), range[0]);
    }
    // Defaults of values.yaml are the CRD's defaults.
    JsonNode defaults = Chart.YAML.readTree(Chart.DIR.resolve("values.yaml").toFile()).path("mesh");
    for (String f : List.of("listenPort", "mtu", "persistentKeepalive", "relay")) {
      assertEquals(crd.at("/" + f + "/default").asText(), defaults.path(f).asText(), f);
    }
    for (String f : List.of("exposure", "zone", "port")) {
      assertEquals(crdRegistry.at("/" + f + "/default").asText(), defaults.path("registry").path(f).asText(), f);
    }
    assertTrue(Pattern.compile(crd.at("/network/pattern").asText()).matcher(defaults.path("network").asText()).find());
  }
}
