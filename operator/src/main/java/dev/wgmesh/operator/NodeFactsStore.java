package dev.wgmesh.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The nodes informer's cache: for each Node only what the planner and the registry endpoint read
 * (name, uid, resourceVersion, labels, pod CIDRs, addresses), as small Node objects. A Node of a
 * real cluster carries images, conditions and more (tens of KiB); 5000 of them in full would be
 * most of the operator's heap. fabric8's ReducedStateItemStore keeps the same fields as arrays and
 * rebuilds a Node through JSON on every read, which made listing the nodes an eighth of each
 * reconcile at 5000 nodes; these are built once, when the informer stores them.
 */
final class NodeFactsStore implements ItemStore<Node> {
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();

  /** What is kept of a node. */
  static Node facts(Node node) {
    NodeBuilder b = new NodeBuilder().withNewMetadata()
        .withName(node.getMetadata().getName())
        .withUid(node.getMetadata().getUid())
        .withResourceVersion(node.getMetadata().getResourceVersion())
        .withLabels(node.getMetadata().getLabels())
        .endMetadata();
    if (node.getSpec() != null) {
      b.withNewSpec().withPodCIDR(node.getSpec().getPodCIDR()).withPodCIDRs(node.getSpec().getPodCIDRs()).endSpec();
    }
    if (node.getStatus() != null) {
      b.withNewStatus().withAddresses(node.getStatus().getAddresses()).endStatus();
    }
    return b.build();
  }

  /**
   * What the plan reads of a node, as a value: two nodes the plan sees alike give equal ones (the
   * fields {@link #facts} keeps, but its identity). The informer hands its update filter the new
   * node whole and the old one as stored here.
   */
  static List<Object> planned(Node node) {
    return Arrays.asList(node.getMetadata().getLabels(),
        node.getSpec() == null ? null : node.getSpec().getPodCIDR(),
        node.getSpec() == null ? null : node.getSpec().getPodCIDRs(),
        node.getStatus() == null ? null : node.getStatus().getAddresses());
  }

  @Override
  public String getKey(Node node) {
    return node.getMetadata().getName();
  }

  @Override
  public Node put(String key, Node node) {
    return nodes.put(key, facts(node));
  }

  @Override
  public Node remove(String key) {
    return nodes.remove(key);
  }

  @Override
  public Stream<String> keySet() {
    return nodes.keySet().stream();
  }

  @Override
  public Stream<Node> values() {
    return nodes.values().stream();
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public Node get(String key) {
    return nodes.get(key);
  }

  /** The informer hands a listener the old object as stored here, not whole. */
  @Override
  public boolean isFullState() {
    return false;
  }
}
