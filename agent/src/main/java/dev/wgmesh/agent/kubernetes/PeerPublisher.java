package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.WireGuardKey;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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

  private final KubernetesClient client;
  private final String nodeName;
  private final String mesh;
  private final WireGuardKey publicKey;

  public PeerPublisher(KubernetesClient client, String nodeName, String mesh, WireGuardKey publicKey) {
    this.client = client;
    this.nodeName = nodeName;
    this.mesh = mesh;
    this.publicKey = publicKey;
  }

  /** The peer as this agent would create it for {@code node}. */
  public static WireGuardPeer desired(Node node, String mesh, WireGuardKey publicKey) {
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new ObjectMetaBuilder().withName(node.getMetadata().getName())
        .withOwnerReferences(ownerReference(node)).build());
    peer.getSpec().setMesh(mesh);
    peer.getSpec().setNodeName(node.getMetadata().getName());
    peer.getSpec().setPublicKey(publicKey.toBase64());
    peer.getSpec().setEndpointHints(endpointHints(node));
    return peer;
  }

  static OwnerReference ownerReference(Node node) {
    // No blockOwnerDeletion: setting it needs the right to update the Node's finalizers.
    return new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
        .withName(node.getMetadata().getName()).withUid(node.getMetadata().getUid()).build();
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
   * @throws KubernetesClientException when the API server cannot be reached or refuses
   * @throws IllegalStateException when the Node does not exist or the peer is someone else's
   */
  public WireGuardPeer ensure() {
    for (int attempt = 0; ; attempt++) {
      Node node = client.nodes().withName(nodeName).get();
      if (node == null) {
        throw new IllegalStateException("node " + nodeName + " does not exist (is NODE_NAME right?)");
      }
      WireGuardPeer desired = desired(node, mesh, publicKey);
      WireGuardPeer existing = client.resources(WireGuardPeer.class).withName(nodeName).get();
      try {
        if (existing == null) {
          WireGuardPeer created = client.resource(desired).create();
          log.info("created WireGuardPeer {} (mesh {}, public key {})", nodeName, mesh, publicKey.toBase64());
          return created;
        }
        Optional<WireGuardPeer> updated = update(existing, desired);
        if (updated.isEmpty()) {
          return existing;
        }
        WireGuardPeer result = client.resource(updated.get()).update();
        log.info("updated WireGuardPeer {}", nodeName);
        return result;
      } catch (KubernetesClientException e) {
        if (attempt < 3 && (e.getCode() == HttpURLConnection.HTTP_CONFLICT)) {
          continue; // created or changed meanwhile: read again
        }
        throw e;
      }
    }
  }
}
