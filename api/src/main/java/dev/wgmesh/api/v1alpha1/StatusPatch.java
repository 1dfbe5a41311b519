package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
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
    return serialization.asJson(body(fields, value -> serialization.convertValue(value, JsonNode.class)));
  }

  private static ObjectNode body(Map<String, ?> fields, java.util.function.Function<Object, JsonNode> tree) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    fields.forEach((field, value) -> {
      if (value == null) {
        status.putNull(field);
      } else {
        status.set(field, tree.apply(value));
      }
    });
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    patch.set("status", status);
    return patch;
  }

  /**
   * Sends {@code patch} (from {@link #of}) to the status subresource of the cluster-scoped object
   * {@code name}: one request. (The client's {@code withName(name).subresource("status").patch(...)}
   * would GET the object first; patching through a bare object of the same name does not.)
   */
  public static <T extends HasMetadata> T send(KubernetesClient client, Class<T> type, String name, String patch) {
    T bare;
    try {
      bare = type.getDeclaredConstructor().newInstance();
    } catch (InstantiationException | IllegalAccessException | InvocationTargetException | NoSuchMethodException e) {
      throw new IllegalArgumentException("cannot make an empty " + type.getSimpleName(), e);
    }
    bare.setMetadata(new ObjectMetaBuilder().withName(name).build());
    return client.resources(type).resource(bare).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  /** The same patch written with a plain Jackson mapper (the node daemons', which do not load fabric8's client). */
  public static String of(Map<String, ?> fields, ObjectMapper json) {
    try {
      return json.writeValueAsString(body(fields, json::valueToTree));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a status patch: " + e.getMessage(), e);
    }
  }
}
