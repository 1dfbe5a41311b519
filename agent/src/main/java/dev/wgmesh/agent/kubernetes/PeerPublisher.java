package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.WireGuardKey;
import com.fasterxml.jackson.databind.JsonNode;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.KubeApiException;
import dev.wgmesh.kube.client.ResourceKind;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this node's {@link WireGuardPeer}: named after the node, with the mesh, the node name,
 * the public key (never anything private) and the node's addresses as endpoint hints, owned by the
 * {@link Node} so that deleting the node deletes the peer. Fields the agent does not own (a fixed
 * address, extra AllowedIPs, a static endpoint, the status) are left as they are.
 */
public final class PeerPublisher {
  private static final Logger log = LoggerFactory.getLogger(PeerPublisher.class);

  private final KubeApi client;
  private final String nodeName;
  private final String mesh;
  private final WireGuardKey publicKey;

  public PeerPublisher(KubeApi client, String nodeName, String mesh, WireGuardKey publicKey) {
    this.client = client;
    this.nodeName = nodeName;
    this.mesh = mesh;
    this.publicKey = publicKey;
  }

  /** The peer as this agent would create it for {@code node}. */
  public static WireGuardPeer desired(Node node, String mesh, WireGuardKey publicKey) {
    WireGuardPeer peer = new WireGuardPeer();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(node.getMetadata().getName());
    meta.setOwnerReferences(new ArrayList<>(List.of(ownerReference(node))));
    peer.setMetadata(meta);
    peer.getSpec().setMesh(mesh);
    peer.getSpec().setNodeName(node.getMetadata().getName());
    peer.getSpec().setPublicKey(publicKey.toBase64());
    peer.getSpec().setEndpointHints(endpointHints(node));
    return peer;
  }

  static OwnerReference ownerReference(Node node) {
    // No blockOwnerDeletion: setting it needs the right to update the Node's finalizers.
    OwnerReference owner = new OwnerReference();
    owner.setApiVersion("v1");
    owner.setKind("Node");
    owner.setName(node.getMetadata().getName());
    owner.setUid(node.getMetadata().getUid());
    return owner;
  }

  /** The node's ExternalIP addresses, then its InternalIP ones, without repeats. */
  static List<String> endpointHints(Node node) {
    List<String> out = new ArrayList<>();
    if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
      return out;
    }
    for (String type : List.of("ExternalIP", "InternalIP")) {
      for (NodeAddress a : node.getStatus().getAddresses()) {
        if (type.equals(a.getType()) && a.getAddress() != null && !out.contains(a.getAddress())) {
          out.add(a.getAddress());
        }
      }
    }
    return out;
  }

  /**
   * The existing peer brought up to date with {@code desired}, or empty when it already is.
   *
   * @throws IllegalStateException when the existing peer is not this node's (an external peer, or
   *     another node's): it is never taken over
   */
  public static Optional<WireGuardPeer> update(WireGuardPeer existing, WireGuardPeer desired) {
    String node = desired.getSpec().getNodeName();
    if (existing.getSpec() == null || !node.equals(existing.getSpec().getNodeName())) {
      throw new IllegalStateException("WireGuardPeer " + existing.getMetadata().getName() + " exists but is not node " + node
          + "'s (its nodeName is " + (existing.getSpec() == null ? "unset" : existing.getSpec().getNodeName())
          + "); delete it or rename it so this node can publish its own");
    }
    boolean changed = false;
    if (!Objects.equals(existing.getSpec().getMesh(), desired.getSpec().getMesh())) {
      log.warn("WireGuardPeer {} moves from mesh {} to mesh {}", node, existing.getSpec().getMesh(), desired.getSpec().getMesh());
      existing.getSpec().setMesh(desired.getSpec().getMesh());
      changed = true;
    }
    if (!Objects.equals(existing.getSpec().getPublicKey(), desired.getSpec().getPublicKey())) {
      log.info("WireGuardPeer {}: new public key {} (a key rotation)", node, desired.getSpec().getPublicKey());
      existing.getSpec().setPublicKey(desired.getSpec().getPublicKey());
      changed = true;
    }
    if (!Objects.equals(existing.getSpec().getEndpointHints(), desired.getSpec().getEndpointHints())) {
      existing.getSpec().setEndpointHints(desired.getSpec().getEndpointHints());
      changed = true;
    }
    OwnerReference owner = desired.getMetadata().getOwnerReferences().get(0);
    List<OwnerReference> owners = new ArrayList<>(
        existing.getMetadata().getOwnerReferences() == null ? List.of() : existing.getMetadata().getOwnerReferences());
    if (owners.stream().noneMatch(o -> "Node".equals(o.getKind()) && Objects.equals(o.getUid(), owner.getUid()))) {
      owners.removeIf(o -> "Node".equals(o.getKind())); // a Node of the same name that was deleted and made again
      owners.add(owner);
      existing.getMetadata().setOwnerReferences(owners);
      changed = true;
    }
    return changed ? Optional.of(existing) : Optional.empty();
  }

  /**
   * Creates or updates the peer.
   *
   * @throws KubeApiException when the API server cannot be reached or refuses
   * @throws IllegalStateException when the Node does not exist or the peer is someone else's
   */
  public WireGuardPeer ensure() {
    for (int attempt = 0; ; attempt++) {
      Node node = client.get(ResourceKind.NODES, null, nodeName).map(PeerPublisher::node).orElse(null);
      if (node == null) {
        throw new IllegalStateException("node " + nodeName + " does not exist (is NODE_NAME right?)");
      }
      WireGuardPeer desired = desired(node, mesh, publicKey);
      WireGuardPeer existing = client.get(ResourceKind.PEERS, null, nodeName).orElse(null);
      try {
        if (existing == null) {
          WireGuardPeer created = client.create(ResourceKind.PEERS, desired);
          log.info("created WireGuardPeer {} (mesh {}, public key {})", nodeName, mesh, publicKey.toBase64());
          return created;
        }
        Optional<WireGuardPeer> updated = update(existing, desired);
        if (updated.isEmpty()) {
          return existing;
        }
        WireGuardPeer result = client.update(ResourceKind.PEERS, updated.get());
        log.info("updated WireGuardPeer {}", nodeName);
        return result;
      } catch (KubeApiException e) {
        if (attempt < 3 && (e.code() == HttpURLConnection.HTTP_CONFLICT)) {
          continue; // created or changed meanwhile: read again
        }
        throw e;
      }
    }
  }

  /** The fields of a Node read as JSON that the agent uses: name, uid and addresses (no other model classes are loaded). */
  static Node node(JsonNode json) {
    Node node = new Node();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(json.path("metadata").path("name").asText(null));
    meta.setUid(json.path("metadata").path("uid").asText(null));
    node.setMetadata(meta);
    JsonNode addresses = json.path("status").path("addresses");
    if (addresses.isArray()) {
      NodeStatus status = new NodeStatus();
      List<NodeAddress> list = new ArrayList<>();
      for (JsonNode a : addresses) {
        list.add(new NodeAddress(a.path("address").asText(null), a.path("type").asText(null)));
      }
      status.setAddresses(list);
      node.setStatus(status);
    }
    return node;
  }
}
