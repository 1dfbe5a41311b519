package dev.wgmesh.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Objects;

/**
 * The JSON Patch (RFC 6902) that turns one node config or peer set spec into another. When a node
 * joins, one peer set and the registry's config gain one peer: sending just that peer instead of
 * the whole spec (a thousand peers in the registry's config of a thousand-node mesh) keeps a join
 * cheap. The peer list is diffed by trimming the common head and
 * tail, which finds a single insertion, removal or change exactly (the planner keeps peers in a
 * stable order) and degrades to replacing the middle otherwise; a general LCS diff would cost
 * O(n^2) per config.
 *
 * <p>Index-based operations are only right against the spec they were computed from, so the
 * patch carries the {@code metadata.resourceVersion} it was computed from, which the API server
 * takes as a precondition (409 Conflict when the object changed since). A JSON Patch "test" op on
 * the generation would be more precise, but fabric8's mock server never answers a failed test.
 */
final class SpecPatch {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private SpecPatch() {}

  /** Operations on {@code /spec}, conditional on the resource version the old spec was read at. */
  static ArrayNode diff(WireGuardNodeConfigSpec before, WireGuardNodeConfigSpec after, String resourceVersion,
      KubernetesSerialization serialization) {
    ArrayNode ops = JSON.arrayNode();
    ops.add(op("replace", "/metadata/resourceVersion", JSON.textNode(resourceVersion)));
    field(ops, "mesh", before.getMesh(), after.getMesh(), serialization);
    field(ops, "nodeName", before.getNodeName(), after.getNodeName(), serialization);
    field(ops, "registry", before.getRegistry(), after.getRegistry(), serialization);
    field(ops, "interface", before.getInterfaceSpec(), after.getInterfaceSpec(), serialization);
    // An older operator's registryPeer goes; registryPeers is absent (not empty) when there is none.
    field(ops, "registryPeer", before.getRegistryPeer(), after.getRegistryPeer(), serialization);
    field(ops, "registryPeers", emptyToNull(before.getRegistryPeers()), emptyToNull(after.getRegistryPeers()), serialization);
    field(ops, "discovery", before.getDiscovery(), after.getDiscovery(), serialization);
    peerList(ops, before.getPeers(), after.getPeers(), serialization);
    return ops;
  }

  /** The same for a peer set: a join appends one member to one set. */
  static ArrayNode diff(WireGuardPeerSetSpec before, WireGuardPeerSetSpec after, String resourceVersion,
      KubernetesSerialization serialization) {
    ArrayNode ops = JSON.arrayNode();
    ops.add(op("replace", "/metadata/resourceVersion", JSON.textNode(resourceVersion)));
    field(ops, "mesh", before.getMesh(), after.getMesh(), serialization);
    peerList(ops, before.getPeers(), after.getPeers(), serialization);
    return ops;
  }

  private static void peerList(ArrayNode ops, List<WireGuardNodeConfigSpec.Peer> before, List<WireGuardNodeConfigSpec.Peer> after,
      KubernetesSerialization serialization) {
    if (before == null || after == null) {
      field(ops, "peers", before, after, serialization);
    } else {
      peers(ops, before, after, serialization);
    }
  }

  /** Replaces the whole spec: the fallback when the guarded diff does not apply. */
  static ArrayNode replace(Object spec, KubernetesSerialization serialization) {
    ArrayNode ops = JSON.arrayNode();
    ops.add(op("add", "/spec", serialization.convertValue(spec, JsonNode.class)));
    return ops;
  }

  private static <T> List<T> emptyToNull(List<T> list) {
    return list == null || list.isEmpty() ? null : list;
  }

  private static void field(ArrayNode ops, String name, Object before, Object after, KubernetesSerialization serialization) {
    if (Objects.equals(before, after)) {
      return;
    }
    String path = "/spec/" + name;
    if (after == null) {
      ops.add(op("remove", path, null));
    } else {
      // "add" sets a member whether or not it exists
      ops.add(op("add", path, serialization.convertValue(after, JsonNode.class)));
    }
  }

  private static void peers(ArrayNode ops, List<WireGuardNodeConfigSpec.Peer> before, List<WireGuardNodeConfigSpec.Peer> after,
      KubernetesSerialization serialization) {
    int head = 0;
    while (head < before.size() && head < after.size() && before.get(head).equals(after.get(head))) {
      head++;
    }
    int tail = 0;
    while (tail < before.size() - head && tail < after.size() - head
        && before.get(before.size() - 1 - tail).equals(after.get(after.size() - 1 - tail))) {
      tail++;
    }
    int oldEnd = before.size() - tail;
    int newEnd = after.size() - tail;
    int common = Math.min(oldEnd - head, newEnd - head);
    for (int i = 0; i < common; i++) {
      ops.add(op("replace", "/spec/peers/" + (head + i), serialization.convertValue(after.get(head + i), JsonNode.class)));
    }
    // removals from the back, so that earlier indices stay valid
    for (int i = oldEnd - 1; i >= head + common; i--) {
      ops.add(op("remove", "/spec/peers/" + i, null));
    }
    for (int i = head + common; i < newEnd; i++) {
      ops.add(op("add", "/spec/peers/" + i, serialization.convertValue(after.get(i), JsonNode.class)));
    }
  }

  private static ObjectNode op(String op, String path, JsonNode value) {
    ObjectNode node = JSON.objectNode();
    node.put("op", op);
    node.put("path", path);
    if (value != null) {
      node.set("value", value);
    }
    return node;
  }
}
