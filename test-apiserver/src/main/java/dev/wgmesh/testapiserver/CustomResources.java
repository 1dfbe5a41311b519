package dev.wgmesh.testapiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.testapiserver.crd.CustomResourceValidator;
import dev.wgmesh.testapiserver.crd.FieldError;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * kube-apiserver's admission of a write of a custom resource against its CRD (see
 * {@link CustomResourceValidator}): the body is pruned of unknown fields (400 with
 * {@code fieldValidation=Strict}, else a Warning header per field, as the API server's default
 * "Warn" does), then the resulting object is validated; errors refuse the write with 422 Invalid
 * and kube-apiserver's message and causes. Validators are built once per CRD text.
 */
final class CustomResources {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final Map<String, CustomResourceValidator> validators = new ConcurrentHashMap<>();

  /** What to store (the pruned body) with the warnings to send, or the Status of a refusal. */
  record Admission(JsonNode body, List<String> warnings, int code, ObjectNode refusal) {
    boolean refused() {
      return refusal != null;
    }

    String message() {
      return refusal == null ? null : refusal.path("message").asText();
    }
  }

  /**
   * Admits {@code body}, a create (stored null), an update, or with {@code status} a write of the
   * status subresource, of a resource whose CRD is {@code crdJson}; query is the request's query.
   */
  Admission admit(String crdJson, String query, boolean status, JsonNode body, JsonNode stored) {
    CustomResourceValidator validator = validators.computeIfAbsent(crdJson,
        json -> CustomResourceValidator.of(SERIALIZATION.unmarshal(json, CustomResourceDefinition.class)));
    CustomResourceValidator.Pruned pruned = validator.prune(body);
    List<String> unknown = pruned.unknownFields();
    String validation = fieldValidation(query);
    if (!unknown.isEmpty() && validation.equals("Strict")) {
      String message = "strict decoding error: " + unknown.stream().map(f -> "unknown field \"" + f + "\"").collect(Collectors.joining(", "));
      return new Admission(null, List.of(), 400, status(400, "BadRequest", message, null));
    }
    List<FieldError> errors = stored == null ? validator.validateCreate(pruned.object())
        : status ? validator.validateStatusUpdate(pruned.object(), stored)
        : validator.validateUpdate(pruned.object(), stored);
    if (!errors.isEmpty()) {
      String name = body.path("metadata").path("name").asText("");
      return new Admission(null, List.of(), 422, invalid(name, validator.group(), validator.kind(), validator.message(name, errors), errors));
    }
    List<String> warnings = validation.equals("Ignore") ? List.of()
        : unknown.stream().map(f -> "299 - \"unknown field \\\"" + f + "\\\"\"").toList();
    return new Admission(pruned.object(), warnings, 0, null);
  }

  /** The request's fieldValidation: Strict, Warn (the API server's default) or Ignore. */
  private static String fieldValidation(String query) {
    for (String parameter : query == null ? new String[0] : query.split("&")) {
      if (parameter.startsWith("fieldValidation=")) {
        return parameter.substring("fieldValidation=".length());
      }
    }
    return "Warn";
  }

  /** The Status of a 422 Invalid as kube-apiserver answers it: the object, and a cause per error. */
  static ObjectNode invalid(String name, String group, String kind, String message, List<FieldError> errors) {
    ObjectNode details = NODES.objectNode();
    details.put("name", name);
    details.put("group", group);
    details.put("kind", kind);
    ArrayNode causes = details.putArray("causes");
    for (FieldError e : errors) {
      causes.addObject().put("reason", e.type().reason()).put("message", e.body()).put("field", e.field());
    }
    return status(422, "Invalid", message, details);
  }

  /** A failure Status object as kube-apiserver answers with one; {@code details} may be null. */
  static ObjectNode status(int code, String reason, String message, ObjectNode details) {
    ObjectNode status = NODES.objectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    if (details != null) {
      status.set("details", details);
    }
    status.put("code", code);
    return status;
  }
}
