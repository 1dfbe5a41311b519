package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
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
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * fabric8's mock API server in CRUD mode with the wgmesh CRDs installed (so that, as on a real API
 * server, status is a subresource: writes to the object leave it alone, and status writes do not
 * bump the generation), a client, and the operator under test.
 */
final class MockCluster implements AutoCloseable {
  static final String NAMESPACE = "wgmesh-system";
  static final String[] CRDS = {"wireguardmeshes.wgmesh.dev-v1.yml", "wireguardpeers.wgmesh.dev-v1.yml",
      "wireguardnodeconfigs.wgmesh.dev-v1.yml", "wireguardpeersets.wgmesh.dev-v1.yml"};

  /** The mock logs every request at INFO through java.util.logging; kept here so the level sticks. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  final KubernetesMockServer server;
  final KubernetesClient client;
  final List<Operator> operators = new ArrayList<>();
  final Map<String, KeyPair> keys = new HashMap<>();

  MockCluster() {
    this(false);
  }

  /**
   * @param answerRulesReviews also answer SelfSubjectRulesReviews (which the CRUD mock would just
   *     store) with full rights: JOSDK asks one before it takes part in leader election
   */
  MockCluster(boolean answerRulesReviews) {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), expectations,
        answerRulesReviews ? new KubernetesMixedDispatcher(expectations) : new KubernetesCrudDispatcher(), false);
    server.init();
    if (answerRulesReviews) {
      server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
          .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus().addNewResourceRule()
              .withApiGroups("*").withResources("*").withVerbs("*").endResourceRule().withIncomplete(false).endStatus().build())
          .always();
    }
    client = server.createClient();
    for (String crd : CRDS) {
      try (InputStream in = WireGuardMesh.class.getResourceAsStream("/META-INF/fabric8/" + crd)) {
        client.apiextensions().v1().customResourceDefinitions().load(in).create();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static OperatorSettings settings() {
    return OperatorSettings.defaults(NAMESPACE).withRegistryImage("wgmesh-node:test", "IfNotPresent");
  }

  /** Starts an operator with its own metrics, so a test can tell when it has reconciled. */
  Operator startOperator(OperatorMetrics metrics) {
    return startOperator(settings().withMetrics(metrics));
  }

  Operator startOperator(OperatorSettings settings) {
    Operator operator = MeshOperator.start(client, settings);
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

  /** Requests the server received since the last call (the mock records every one). */
  List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      requests.add(r);
    }
    return requests;
  }

  void stopOperators() {
    operators.forEach(Operator::stop);
    operators.clear();
  }

  @Override
  public void close() {
    stopOperators();
    client.close();
    server.destroy();
  }
}
