package dev.wgmesh.testapiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.CompatibilityFlags;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;

/**
 * The patch formats kube-apiserver accepts for custom resources, applied as it applies them:
 *
 * <ul>
 *   <li>JSON Patch (RFC 6902, {@code application/json-patch+json}): every operation must find its
 *       target; {@code add} needs the parent to exist, {@code replace} and {@code remove} need the
 *       member, a failed {@code test} fails the whole patch. fabric8's CRUD mock creates missing
 *       parents and so accepts patches a real server refuses with 422.
 *   <li>JSON Merge Patch (RFC 7386, {@code application/merge-patch+json}): objects merge member by
 *       member, {@code null} removes a member, and anything else (arrays included) replaces. The
 *       CRUD mock appends to arrays instead.
 * </ul>
 *
 * Strategic merge patch is refused for custom resources (415) by a real server, and server-side
 * apply is not implemented here (see {@link StrictDispatcher}).
 */
public final class Patches {
  private Patches() {}

  /** Why a patch could not be applied; kube-apiserver answers such a patch with 422. */
  public static final class PatchException extends RuntimeException {
    PatchException(String message) {
      super(message);
    }
  }

  public static JsonNode applyJsonPatch(JsonNode target, JsonNode patch) {
    if (!patch.isArray()) {
      throw new PatchException("a JSON Patch is an array of operations");
    }
    try {
      return JsonPatch.apply(patch, target, EnumSet.of(CompatibilityFlags.FORBID_REMOVE_MISSING_OBJECT));
    } catch (RuntimeException e) {
      throw new PatchException(e.getMessage());
    }
  }

  public static JsonNode applyMergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      if (member.getValue().isNull()) {
        result.remove(member.getKey());
      } else {
        result.set(member.getKey(), applyMergePatch(result.get(member.getKey()), member.getValue()));
      }
    }
    return result;
  }
}
