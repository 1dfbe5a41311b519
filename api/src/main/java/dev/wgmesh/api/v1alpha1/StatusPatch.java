package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;

/**
 * How every wgmesh component writes a status: a JSON merge patch (RFC 7386) of the status
 * subresource that names each field the writer owns, with its value or with null to remove it.
 * Its result does not depend on what the server holds: it works on an object that has no status
 * yet (where a JSON Patch {@code add /status/x} is refused with 422), it replaces lists whole, and
 * it leaves the fields of other writers (an agent's endpoint, the operator's conditions) alone. No
 * read before the write, no resourceVersion: the last writer of a field wins, which is right for
 * fields that each have one writer.
 */
public final class StatusPatch {
  private StatusPatch() {}

  /** The patch body: {@code {"status": {field: value or null, ...}}}. */
  public static String of(Map<String, ?> fields, KubernetesSerialization serialization) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    fields.forEach((field, value) -> {
      if (value == null) {
        status.putNull(field);
      } else {
        status.set(field, serialization.convertValue(value, JsonNode.class));
      }
    });
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.set("status", status);
    return serialization.asJson(patch);
  }

  /** The same patch written with a plain Jackson mapper (the node daemons', which do not load fabric8's client). */
  public static String of(Map<String, ?> fields, ObjectMapper json) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    fields.forEach((field, value) -> {
      if (value == null) {
        status.putNull(field);
      } else {
        status.set(field, json.valueToTree(value));
      }
    });
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.set("status", status);
    try {
      return json.writeValueAsString(patch);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a status patch: " + e.getMessage(), e);
    }
  }
}
