package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSets;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.javaoperatorsdk.operator.Operator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster for operator tests on the strict test API server ({@link StrictApiServer}): the wgmesh
 * CRDs installed, status a subresource, kube-apiserver's patch semantics, and the chart's RBAC.
 * The operator under test runs as its ServiceAccount ({@link #operatorClient}); the test itself
 * sets up and checks as an administrator ({@link #client}). Closing fails the test when the server
 * refused any request the test did not expect.
 */
final class MockCluster implements AutoCloseable {
  static final String NAMESPACE = StrictApiServer.NAMESPACE;

  final StrictApiServer api;
  /** An administrator: the test's own set-up and checks. */
  final KubernetesClient client;
  /** The operator's ServiceAccount, with the chart's RBAC. */
  final KubernetesClient operatorClient;
  final List<Operator> operators = new ArrayList<>();
  final Map<String, KeyPair> keys = new HashMap<>();

  MockCluster() {
    api = StrictApiServer.start();
    client = api.admin();
    operatorClient = api.client(StrictApiServer.OPERATOR);
  }

  static OperatorSettings settings() {
    return OperatorSettings.defaults(NAMESPACE).withRegistryImage("wgmesh-node:test", "IfNotPresent");
  }

  /** Starts an operator with its own metrics, so a test can tell when it has reconciled. */
  Operator startOperator(OperatorMetrics metrics) {
    return startOperator(settings().withMetrics(metrics));
  }

  Operator startOperator(OperatorSettings settings) {
    Operator operator = MeshOperator.start(operatorClient, settings);
    operators.add(operator);
    return operator;
  }

  Operator startOperator() {
    return startOperator(new OperatorMetrics());
  }

  WireGuardMesh createMesh(String name, String network, String registryEndpoint) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName(name).build());
    mesh.getSpec().setNetwork(network);
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    mesh.getSpec().getRegistry().setEndpoint(registryEndpoint);
    return client.resource(mesh).create();
  }

  Node createNode(String name, String... podCidrs) {
    return client.resource(new NodeBuilder()
        .withNewMetadata().withName(name).addToLabels("kubernetes.io/hostname", name).endMetadata()
        .withNewSpec().withPodCIDR(podCidrs.length == 0 ? null : podCidrs[0]).withPodCIDRs(podCidrs).endSpec()
        .build()).create();
  }

  /** A node's peer as its agent creates it: a fresh key, nodeName, owned by the Node. */
  WireGuardPeer createNodePeer(String mesh, Node node) {
    KeyPair pair = KeyPair.generate();
    keys.put(node.getMetadata().getName(), pair);
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new ObjectMetaBuilder().withName(node.getMetadata().getName())
        .addNewOwnerReference().withApiVersion("v1").withKind("Node").withName(node.getMetadata().getName())
        .withUid(node.getMetadata().getUid()).endOwnerReference()
        .build());
    peer.getSpec().setMesh(mesh);
    peer.getSpec().setNodeName(node.getMetadata().getName());
    peer.getSpec().setPublicKey(pair.publicKey().toBase64());
    return client.resource(peer).create();
  }

  /** An external peer (a laptop), with the given key and optional fixed address. */
  WireGuardPeer createExternalPeer(String mesh, String name, String publicKey, String address) {
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new ObjectMetaBuilder().withName(name).build());
    peer.getSpec().setMesh(mesh);
    peer.getSpec().setPublicKey(publicKey);
    peer.getSpec().setAddress(address);
    return client.resource(peer).create();
  }

  WireGuardNodeConfig config(String name) {
    return client.resources(WireGuardNodeConfig.class).withName(name).get();
  }

  /** The peers the agent of node config {@code name} applies: its config and its mesh's peer sets; null when there is no such config. */
  List<WireGuardNodeConfigSpec.Peer> effectivePeers(String name) {
    WireGuardNodeConfig config = config(name);
    if (config == null) {
      return null;
    }
    List<WireGuardPeerSet> sets = client.resources(WireGuardPeerSet.class).withLabel(Labels.MESH, config.getSpec().getMesh()).list().getItems();
    return WireGuardPeerSets.effectivePeers(config.getSpec(), sets, keys.get(config.getSpec().getNodeName()).publicKey().toBase64());
  }

  WireGuardPeer peer(String name) {
    return client.resources(WireGuardPeer.class).withName(name).get();
  }

  WireGuardMesh mesh(String name) {
    return client.resources(WireGuardMesh.class).withName(name).get();
  }

  /** Requests the server received since the last call (it records every one). */
  List<RecordedRequest> drainRequests() throws InterruptedException {
    return api.drainRequests();
  }

  void stopOperators() {
    operators.forEach(Operator::stop);
    operators.clear();
  }

  @Override
  public void close() {
    stopOperators();
    api.close();
  }
}
