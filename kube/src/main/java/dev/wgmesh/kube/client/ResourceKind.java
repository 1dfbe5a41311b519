package dev.wgmesh.kube.client;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A kind of resource as the node daemons use it: where its objects live on the API server and the
 * class they are read into. Built-in kinds the daemons only read a few fields of (Node, Secret)
 * are read as JSON trees, so that no model classes beyond the ones used are loaded.
 *
 * @param group the API group, "" for the core group
 * @param namespaced whether objects live in a namespace
 */
public record ResourceKind<T>(String group, String version, String plural, boolean namespaced, Class<T> type) {
  public static final ResourceKind<WireGuardNodeConfig> NODE_CONFIGS = custom("wireguardnodeconfigs", WireGuardNodeConfig.class);
  public static final ResourceKind<WireGuardPeerSet> PEER_SETS = custom("wireguardpeersets", WireGuardPeerSet.class);
  public static final ResourceKind<WireGuardPeer> PEERS = custom("wireguardpeers", WireGuardPeer.class);
  public static final ResourceKind<WireGuardMesh> MESHES = custom("wireguardmeshes", WireGuardMesh.class);
  public static final ResourceKind<JsonNode> NODES = new ResourceKind<>("", "v1", "nodes", false, JsonNode.class);
  public static final ResourceKind<JsonNode> SECRETS = new ResourceKind<>("", "v1", "secrets", true, JsonNode.class);

  private static <T> ResourceKind<T> custom(String plural, Class<T> type) {
    return new ResourceKind<>(WireGuardMesh.GROUP, WireGuardMesh.VERSION, plural, false, type);
  }

  /** The path of the collection, in {@code namespace} when the kind is namespaced. */
  public String path(String namespace) {
    String base = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (namespaced) {
      if (namespace == null || namespace.isBlank()) {
        throw new IllegalArgumentException(plural + " live in a namespace; none given");
      }
      return base + "/namespaces/" + namespace + "/" + plural;
    }
    return base + "/" + plural;
  }

  /** The path of one object. */
  public String path(String namespace, String name) {
    if (name == null || name.isBlank() || name.contains("/")) {
      throw new IllegalArgumentException("not a name: " + name);
    }
    return path(namespace) + "/" + name;
  }
}
