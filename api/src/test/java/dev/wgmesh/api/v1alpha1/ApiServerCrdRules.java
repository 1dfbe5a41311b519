package dev.wgmesh.api.v1alpha1;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks kube-apiserver applies to a CustomResourceDefinition before it accepts it, as pure
 * functions that return what is wrong (see the Kubernetes documentation on structural schemas and
 * validation rules). CEL compilation is checked in {@link CelRulesTest}.
 */
final class ApiServerCrdRules {
  private ApiServerCrdRules() {}

  /** The only {@code reason} values a validation rule may have (anything else rejects the whole CRD). */
  static final Set<String> REASONS = Set.of("FieldValueRequired", "FieldValueDuplicate", "FieldValueInvalid", "FieldValueForbidden");

  static List<String> problems(CustomResourceDefinition crd) {
    List<String> problems = new ArrayList<>();
    String name = crd.getMetadata().getName();
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
      String at = name + " " + v.getName();
      if (root.getNullable() != null && root.getNullable()) {
        problems.add(at + ": nullable at the root");
      }
      if (root.getDefault() != null) {
        problems.add(at + ": default at the root");
      }
      JSONSchemaProps metadata = root.getProperties() == null ? null : root.getProperties().get("metadata");
      if (metadata != null && metadata.getProperties() != null
          && !Set.of("name", "generateName").containsAll(metadata.getProperties().keySet())) {
        problems.add(at + ": metadata may restrict only name and generateName");
      }
      if (v.getSubresources() != null && v.getSubresources().getStatus() != null
          && (root.getProperties() == null || !root.getProperties().containsKey("status"))) {
        problems.add(at + ": a status subresource without status in the schema");
      }
      node(at, "", root, problems);
    }
    return problems;
  }

  private static void node(String crd, String path, JSONSchemaProps s, List<String> problems) {
    String where = crd + " " + (path.isEmpty() ? "<root>" : path);
    boolean untyped = Boolean.TRUE.equals(s.getXKubernetesIntOrString()) || Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields());
    if ((s.getType() == null || s.getType().isEmpty()) && !untyped) {
      problems.add(where + ": no type (not a structural schema)");
    }
    if (s.getProperties() != null && !s.getProperties().isEmpty() && s.getAdditionalProperties() != null
        && s.getAdditionalProperties().getSchema() != null) {
      problems.add(where + ": both properties and additionalProperties");
    }
    if ("array".equals(s.getType()) && (s.getItems() == null || s.getItems().getSchema() == null)) {
      problems.add(where + ": an array without items");
    }
    if (Boolean.TRUE.equals(s.getUniqueItems())) {
      problems.add(where + ": uniqueItems true is forbidden");
    }
    if (s.get$ref() != null || !empty(s.getDefinitions()) || !empty(s.getDependencies()) || !empty(s.getPatternProperties())
        || s.getAdditionalItems() != null) {
      problems.add(where + ": $ref, definitions, dependencies, patternProperties or additionalItems");
    }
    if ("map".equals(s.getXKubernetesListType()) && (s.getXKubernetesListMapKeys() == null || s.getXKubernetesListMapKeys().isEmpty())) {
      problems.add(where + ": list type map without list map keys");
    }
    if (s.getXKubernetesValidations() != null) {
      for (ValidationRule r : s.getXKubernetesValidations()) {
        problems.addAll(rule(where, r));
      }
    }
    if (s.getProperties() != null) {
      s.getProperties().forEach((name, child) -> node(crd, path.isEmpty() ? name : path + "." + name, child, problems));
    }
    if (s.getItems() != null && s.getItems().getSchema() != null) {
      node(crd, path + "[]", s.getItems().getSchema(), problems);
    }
    if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
      node(crd, path + "{}", s.getAdditionalProperties().getSchema(), problems);
    }
  }

  private static boolean empty(java.util.Map<?, ?> map) {
    return map == null || map.isEmpty();
  }

  static List<String> rule(String where, ValidationRule r) {
    List<String> problems = new ArrayList<>();
    if (r.getReason() != null && !REASONS.contains(r.getReason())) {
      problems.add(where + ": reason " + r.getReason() + " is not one of " + REASONS + " (rule " + r.getRule() + ")");
    }
    if (r.getRule() == null || r.getRule().isBlank()) {
      problems.add(where + ": a validation without a rule");
    }
    return problems;
  }
}
