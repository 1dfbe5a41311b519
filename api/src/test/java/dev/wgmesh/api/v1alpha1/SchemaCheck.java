package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structural part of what the API server checks on create and update: types, required fields,
 * unknown fields (kubectl's default strict field validation), patterns, enums and integer ranges.
 * Patterns are matched as the API server does: RE2 (re2j), unanchored search. CEL rules are not
 * evaluated here (see CelRulesTest). Good enough to show that a sample passes or where it fails.
 */
final class SchemaCheck {
  private static final Set<String> OBJECT_META = Set.of("apiVersion", "kind", "metadata");

  private SchemaCheck() {}

  static List<String> errors(JsonNode object, JSONSchemaProps root) {
    List<String> errors = new ArrayList<>();
    check(object, root, "", errors, true);
    return errors;
  }

  private static void check(JsonNode node, JSONSchemaProps schema, String path, List<String> errors, boolean top) {
    String type = schema.getType();
    switch (type == null ? "" : type) {
      case "object" -> {
        if (!node.isObject()) {
          errors.add(path + ": must be an object");
          return;
        }
        for (String required : schema.getRequired() == null ? List.<String>of() : schema.getRequired()) {
          if (!node.has(required)) {
            errors.add(path + "." + required + ": Required value");
          }
        }
        Map<String, JSONSchemaProps> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          String child = path + "." + field.getKey();
          if (top && OBJECT_META.contains(field.getKey())) {
            continue;
          }
          if (properties.containsKey(field.getKey())) {
            check(field.getValue(), properties.get(field.getKey()), child, errors, false);
          } else if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
            check(field.getValue(), schema.getAdditionalProperties().getSchema(), child, errors, false);
          } else {
            errors.add(child + ": unknown field");
          }
        }
      }
      case "array" -> {
        if (!node.isArray()) {
          errors.add(path + ": must be an array");
          return;
        }
        for (int i = 0; i < node.size(); i++) {
          check(node.get(i), schema.getItems().getSchema(), path + "[" + i + "]", errors, false);
        }
      }
      case "string" -> {
        if (!node.isTextual()) {
          errors.add(path + ": must be a string");
          return;
        }
        if (schema.getPattern() != null && !com.google.re2j.Pattern.compile(schema.getPattern()).matcher(node.asText()).find()) {
          errors.add(path + ": must match " + schema.getPattern());
        }
        if (schema.getEnum() != null && !schema.getEnum().isEmpty() && schema.getEnum().stream().noneMatch(v -> v.asText().equals(node.asText()))) {
          errors.add(path + ": Unsupported value " + node);
        }
      }
      case "integer" -> {
        if (!node.isIntegralNumber()) {
          errors.add(path + ": must be an integer");
          return;
        }
        if (schema.getMinimum() != null && node.asDouble() < schema.getMinimum()) {
          errors.add(path + ": must be greater than or equal to " + schema.getMinimum().longValue());
        }
        if (schema.getMaximum() != null && node.asDouble() > schema.getMaximum()) {
          errors.add(path + ": must be less than or equal to " + schema.getMaximum().longValue());
        }
      }
      case "boolean" -> {
        if (!node.isBoolean()) {
          errors.add(path + ": must be a boolean");
        }
      }
      default -> errors.add(path + ": schema without a type");
    }
  }
}
