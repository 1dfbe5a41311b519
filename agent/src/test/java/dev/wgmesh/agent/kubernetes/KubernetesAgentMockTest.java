package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.kube.client.KubeApi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.PeerState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's Kubernetes edges against the strict test API server, as the agent's ServiceAccount
 * bound to node n1 (the chart's RBAC), with an in-memory interface.
 */
class KubernetesAgentMockTest {
  StrictApiServer api;
  /** The test's own set-up and checks. */
  KubernetesClient client;
  /** The agent's. */
  KubeApi agentClient;

  @TempDir
  Path state;

  final String registryKey = KeyPair.generate().publicKey().toBase64();
  final KeyPair n2 = KeyPair.generate();
  final KeyPair n3 = KeyPair.generate();
  final FakeDiscovery discovery = new FakeDiscovery();
  Fixtures.FakeInterface iface;
  KubernetesAgent agent;
  Node node;

  @BeforeEach
  void cluster() {
    api = StrictApiServer.start();
    client = api.admin();
    agentClient = dev.wgmesh.kube.ApiServers.client(api, StrictApiServer.agentOn("n1"));
    node = client.resource(Fixtures.node("n1")).create();
    iface = Fixtures.FakeInterface.create();
  }

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    api.close();
  }

  WireGuardNodeConfigSpec spec(WireGuardNodeConfigSpec.Peer... peers) {
    return NodeConfigsTest.spec(registryKey, peers);
  }

  WireGuardNodeConfigSpec.Peer peer(String name, KeyPair keys, String... allowed) {
    return new WireGuardNodeConfigSpec.Peer(name, keys.publicKey().toBase64(), List.of(allowed), null, 25);
  }

  KubernetesAgent start(KubernetesAgent.Settings settings) throws Exception {
    agent = new KubernetesAgent(settings, agentClient, iface.reconciler(), discovery, Clock.systemUTC());
    agent.start();
    return agent;
  }

  WireGuardNodeConfig current() {
    return client.resources(WireGuardNodeConfig.class).withName("n1").get();
  }

  @Test
  void publishesItsPeerWithOwnerReferenceAndPublicKeyAndNeverThePrivateKey() throws Exception {
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.peerPublished());
    WireGuardPeer peer = client.resources(WireGuardPeer.class).withName("n1").get();
    WireGuardKey publicKey = agent.keys().publicKey();
    assertEquals(publicKey.toBase64(), peer.getSpec().getPublicKey());
    assertEquals("prod", peer.getSpec().getMesh());
    assertEquals("n1", peer.getSpec().getNodeName());
    assertEquals(List.of("203.0.113.50", "10.0.0.5"), peer.getSpec().getEndpointHints());
    OwnerReference owner = peer.getMetadata().getOwnerReferences().get(0);
    assertEquals("Node", owner.getKind());
    assertEquals("v1", owner.getApiVersion());
    assertEquals(node.getMetadata().getUid(), owner.getUid());
    assertNotNull(owner.getUid());

    // A configuration arrives and a status is written: still no private key anywhere.
    client.resource(Fixtures.config("n1", spec(peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24")))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getPublicKey() != null);

    String privateBase64 = agent.keys().privateKey().toBase64();
    String privateHex = agent.keys().privateKey().toHex();
    List<String> everything = new ArrayList<>();
    for (RecordedRequest request : api.drainRequests()) {
      everything.add(request.getPath() + " " + request.getBody().readUtf8());
    }
    assertTrue(everything.size() >= 3, "requests were recorded: " + everything.size());
    everything.add(client.resources(WireGuardPeer.class).list().getItems().toString());
    everything.add(io.fabric8.kubernetes.client.utils.Serialization.asJson(client.resources(WireGuardPeer.class).list()));
    everything.add(io.fabric8.kubernetes.client.utils.Serialization.asJson(client.resources(WireGuardNodeConfig.class).list()));
    everything.add(io.fabric8.kubernetes.client.utils.Serialization.asJson(client.nodes().list()));
    everything.add(io.fabric8.kubernetes.client.utils.Serialization.asJson(client.secrets().inAnyNamespace().list()));
    everything.add(io.fabric8.kubernetes.client.utils.Serialization.asJson(client.configMaps().inAnyNamespace().list()));
    for (String text : everything) {
      assertFalse(text.contains(privateBase64) || text.toLowerCase().contains(privateHex), "private key sent to the API server");
    }
    assertTrue(String.join("\n", everything).contains(publicKey.toBase64()));
  }

  @Test
  void appliesItsConfigurationFollowsChangesAndReportsStatus() throws Exception {
    client.resource(Fixtures.config("n1", spec(peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24"),
        peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24")))).create();
    discovery.counts = Map.of(PeerPathStateMachine.Mode.DIRECT, 1, PeerPathStateMachine.Mode.RELAYED, 0, PeerPathStateMachine.Mode.DISCOVERING, 1);
    start(Fixtures.fast("n1", state));

    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isPresent());
    WireGuardKey registry = WireGuardKey.fromBase64(registryKey);
    PeerState reg = iface.device().peer(registry).orElseThrow();
    assertEquals(Optional.of(new InetSocketAddress("203.0.113.5", 51820)), reg.endpoint());
    assertEquals(25, reg.persistentKeepalive());
    assertEquals(Optional.empty(), iface.device().peer(n2.publicKey()).orElseThrow().endpoint());
    assertEquals(Optional.of(agent.keys().publicKey()), iface.device().read().publicKey());
    assertEquals(51820, iface.device().read().listenPort());
    assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));
    assertEquals(List.of(IpPrefix.parse("10.88.0.1/24")), iface.links().read(Fixtures.IFACE).orElseThrow().addresses());
    await().atMost(Duration.ofSeconds(5)).until(() -> discovery.started.size() == 1);
    RegistryAccess target = discovery.started.get(0);
    assertEquals("10.88.0.254", target.registries().get(0).address().getHostAddress());
    assertEquals("wgmesh.internal", target.registries().get(0).zone());
    assertTrue(target.relay());
    assertTrue(discovery.ticks.get() > 0 || await().atMost(Duration.ofSeconds(5)).until(() -> discovery.ticks.get() > 0, t -> t));

    // Status through the status subresource.
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getAppliedGeneration() != null);
    WireGuardNodeConfig applied = current();
    WireGuardNodeConfigStatus status = applied.getStatus();
    assertEquals(applied.getMetadata().getGeneration(), status.getAppliedGeneration());
    assertEquals(agent.keys().publicKey().toBase64(), status.getPublicKey());
    assertEquals(1, status.getDirect());
    assertEquals(1, status.getPending());
    assertEquals(0, status.getRelayed());
    assertNull(status.getLastError());
    assertEquals(List.of("n2", "n3"), status.getPeers().stream().map(WireGuardNodeConfigStatus.PeerStatus::getName).toList());

    // Discovery finds n2; then the operator drops n3 and gives n2 one more network.
    InetSocketAddress discovered = new InetSocketAddress("198.51.100.20", 40000);
    iface.device().setEndpoint(n2.publicKey(), discovered);
    client.resources(WireGuardNodeConfig.class).withName("n1").edit(c -> {
      c.setSpec(spec(peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24", "192.168.10.0/24")));
      return c;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isEmpty());
    PeerState after = iface.device().peer(n2.publicKey()).orElseThrow();
    assertEquals(Optional.of(discovered), after.endpoint(), "the discovered endpoint survives the update");
    assertEquals(3, after.allowedIps().size());
    assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("192.168.10.0/24")), iface.links().routesOf(Fixtures.IFACE));
    assertEquals(1, discovery.started.size(), "same registry: discovery keeps running");
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      WireGuardNodeConfig c = current();
      return c.getStatus().getAppliedGeneration().equals(c.getMetadata().getGeneration()) && c.getStatus().getPeers().size() == 1;
    });
    assertTrue(current().getMetadata().getGeneration() >= 2, "the mock counts generations");
    // Repeated reconciles (every 500 ms here) never touch the discovered endpoint.
    Thread.sleep(1200);
    assertEquals(Optional.of(discovered), iface.device().peer(n2.publicKey()).orElseThrow().endpoint());

    // A bad peer is reported, the rest stays applied; fixing it clears lastError. (A key that is not
    // one cannot be the fault: the CRD's pattern refuses it; a key another peer uses can.)
    client.resources(WireGuardNodeConfig.class).withName("n1").edit(c -> {
      c.setSpec(spec(peer("n2", n2, "10.88.0.2/32"), new WireGuardNodeConfigSpec.Peer("bad", n2.publicKey().toBase64(), List.of("10.88.0.9/32"), null, 25)));
      return c;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus().getLastError() != null);
    assertTrue(current().getStatus().getLastError().contains("peer bad"), current().getStatus().getLastError());
    client.resources(WireGuardNodeConfig.class).withName("n1").edit(c -> {
      c.setSpec(spec(peer("n2", n2, "10.88.0.2/32")));
      return c;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus().getLastError() == null
        && current().getStatus().getAppliedGeneration().equals(current().getMetadata().getGeneration()));
  }

  @Test
  void statusIsWrittenOnlyWhenItChangesAndAtMostOncePerInterval() throws Exception {
    client.resource(Fixtures.config("n1", spec(peer("n2", n2, "10.88.0.2/32")))).create();
    start(Fixtures.fast("n1", state).withStatusMinInterval(Duration.ofSeconds(2)));
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.statusWrites() == 1);
    Thread.sleep(2500);
    assertEquals(1, agent.statusWrites(), "nothing changed: nothing written");

    // The counts change every 100 ms for 7 s: at most one write per 2 s goes out (status checks
    // come every second, so writes are 2 to 3 s apart). Few peers: a change of counts alone waits
    // no longer than any other; StatusWriterTest has the many.
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(7);
    int i = 1;
    while (System.nanoTime() < end) {
      discovery.counts = Map.of(PeerPathStateMachine.Mode.DIRECT, i++ % 10 + 1, PeerPathStateMachine.Mode.RELAYED, 0,
          PeerPathStateMachine.Mode.DISCOVERING, 0);
      Thread.sleep(100);
    }
    // The bound that matters is the upper one; how many fit below it depends on how busy the
    // machine is (a loaded CI run saw 1), and that the changes get out is checked just below.
    int writes = agent.statusWrites() - 1;
    assertTrue(writes >= 1 && writes <= 4, "writes in 7 s at one per 2 s: " + writes);
    int direct = (i - 1) % 10 + 1;
    await().atMost(Duration.ofSeconds(5)).until(() -> current().getStatus().getDirect() == direct); // the last one comes through
  }

  @Test
  void deletedConfigurationLeavesTheInterfaceAsItIs() throws Exception {
    client.resource(Fixtures.config("n1", spec(peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24")))).create();
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n2.publicKey()).isPresent());
    client.resources(WireGuardNodeConfig.class).withName("n1").delete();
    // A peer set change while there is no configuration waits for one too.
    client.resource(Fixtures.peerSet("prod-peers-0", "prod", peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24"))).create();
    Thread.sleep(1500); // three reconcile intervals
    assertTrue(iface.device().peer(n2.publicKey()).isPresent());
    assertTrue(iface.device().peer(n3.publicKey()).isEmpty());
    assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), iface.links().routesOf(Fixtures.IFACE));

    // The configuration comes back (now without peers inline): the set's peers are applied with it.
    client.resource(Fixtures.config("n1", spec())).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isPresent()
        && iface.device().peer(n2.publicKey()).isEmpty());
    assertEquals(Set.of(IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));
  }

  @Test
  void interfaceThatCannotBeCreatedIsReportedAndTriedAgain() throws Exception {
    client.resource(Fixtures.config("n1", spec(peer("n2", n2, "10.88.0.2/32")))).create();
    java.util.concurrent.atomic.AtomicBoolean wireguardGoInstalled = new java.util.concurrent.atomic.AtomicBoolean();
    dev.wgmesh.core.wg.config.InMemoryLinks links = new dev.wgmesh.core.wg.config.InMemoryLinks();
    dev.wgmesh.core.wg.config.InMemoryDevice device = new dev.wgmesh.core.wg.config.InMemoryDevice(Fixtures.IFACE);
    iface = new Fixtures.FakeInterface(links, device, new dev.wgmesh.core.wg.config.InterfaceReconciler(Fixtures.IFACE, links, name -> {
      if (!wireguardGoInstalled.get()) {
        throw new java.io.IOException("cannot run `wireguard-go`: No such file or directory");
      }
      links.create(name);
      return () -> links.remove(name);
    }, (name, how) -> device, java.net.InetAddress::getByName, Clock.systemUTC()));
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getLastError() != null);
    String error = current().getStatus().getLastError();
    assertTrue(error.contains("cannot create WireGuard interface wgmesh0") && error.contains("wireguard-go"), error);
    wireguardGoInstalled.set(true);
    await().atMost(Duration.ofSeconds(15)).until(() -> device.peer(n2.publicKey()).isPresent());
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus().getLastError() == null);
  }

  // The members every node has come from the mesh's WireGuardPeerSets.

  final KeyPair n4 = KeyPair.generate();

  /** The agent's key, made before it starts (it loads it from the state directory), so that the sets can list the node itself. */
  KeyPair ownKeys() throws Exception {
    return KeyStore.loadOrCreate(state);
  }

  Set<WireGuardKey> devicePeers() throws Exception {
    return iface.device().read().peers().stream().map(PeerState::publicKey).collect(Collectors.toSet());
  }

  void editSet(String name, java.util.function.Consumer<List<WireGuardNodeConfigSpec.Peer>> change) {
    client.resources(WireGuardPeerSet.class).withName(name).edit(s -> {
      change.accept(s.getSpec().getPeers());
      return s;
    });
  }

  @Test
  void peersOfThePeerSetsReachTheInterfaceWithoutTheNodeItself() throws Exception {
    KeyPair self = ownKeys();
    client.resource(Fixtures.config("n1", spec())).create(); // no peers inline
    client.resource(Fixtures.peerSet("prod-peers-0", "prod", peer("n1", self, "10.88.0.1/32", "10.244.1.0/24"),
        peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24"))).create();
    // n2 also in set 1 for a moment (the operator moves it); another mesh's set is not this node's business.
    client.resource(Fixtures.peerSet("prod-peers-1", "prod", peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24"),
        peer("n2", n2, "10.88.0.2/32"))).create();
    client.resource(Fixtures.peerSet("staging-peers-0", "staging", peer("s1", n4, "10.99.0.4/32", "10.245.4.0/24"))).create();
    start(Fixtures.fast("n1", state));
    assertEquals(self.publicKey(), agent.keys().publicKey());

    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n2.publicKey()).isPresent()
        && iface.device().peer(n3.publicKey()).isPresent());
    assertEquals(Set.of(WireGuardKey.fromBase64(registryKey), n2.publicKey(), n3.publicKey()), devicePeers(), "not itself, not s1");
    assertEquals(2, iface.device().peer(n2.publicKey()).orElseThrow().allowedIps().size(), "n2 as in the first set by name");
    assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));

    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getAppliedGeneration() != null);
    WireGuardNodeConfigStatus status = current().getStatus();
    assertNull(status.getLastError(), "leaving itself out and the transient duplicate are no problems");
    assertEquals(current().getMetadata().getGeneration(), status.getAppliedGeneration());
    assertEquals(List.of("n2", "n3"), status.getPeers().stream().map(WireGuardNodeConfigStatus.PeerStatus::getName).toList());
    // What is saved for a restart without API server is what was applied: the peers included.
    await().atMost(Duration.ofSeconds(5)).until(() -> new ConfigStore(state).load().map(c -> c.spec().getPeers().size() == 2).orElse(false));
    ConfigStore.Saved saved = new ConfigStore(state).load().orElseThrow();
    assertEquals(List.of("n2", "n3"), saved.spec().getPeers().stream().map(WireGuardNodeConfigSpec.Peer::getName).toList());
    assertEquals(current().getMetadata().getGeneration(), saved.generation());
  }

  @Test
  void aPeerAddedToASetLaterIsApplied() throws Exception {
    KeyPair self = ownKeys();
    client.resource(Fixtures.config("n1", spec())).create();
    client.resource(Fixtures.peerSet("prod-peers-0", "prod", peer("n1", self, "10.88.0.1/32"), peer("n2", n2, "10.88.0.2/32"))).create();
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n2.publicKey()).isPresent());
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getPeers().size() == 1);
    long generation = current().getMetadata().getGeneration();

    // n3 joins: one set changes, the node config does not.
    editSet("prod-peers-0", peers -> peers.add(peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24")));
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isPresent());
    assertEquals(Set.of(IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));
    // And a new set appears (the operator spreads the members over more sets).
    client.resource(Fixtures.peerSet("prod-peers-1", "prod", peer("n4", n4, "10.88.0.4/32"))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n4.publicKey()).isPresent());
    assertEquals(Set.of(WireGuardKey.fromBase64(registryKey), n2.publicKey(), n3.publicKey(), n4.publicKey()), devicePeers());

    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus().getPeers().size() == 3);
    assertEquals(generation, current().getMetadata().getGeneration());
    assertEquals(generation, current().getStatus().getAppliedGeneration(), "the node config's generation, unchanged");
    assertNull(current().getStatus().getLastError());
    await().atMost(Duration.ofSeconds(5)).until(() -> new ConfigStore(state).load().map(c -> c.spec().getPeers().size() == 3).orElse(false));
  }

  @Test
  void aPeerRemovedFromASetIsRemovedFromTheInterface() throws Exception {
    KeyPair self = ownKeys();
    client.resource(Fixtures.config("n1", spec())).create();
    client.resource(Fixtures.peerSet("prod-peers-0", "prod", peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24"))).create();
    client.resource(Fixtures.peerSet("prod-peers-1", "prod", peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24"),
        peer("n1", self, "10.88.0.1/32"), peer("n4", n4, "10.88.0.4/32"))).create();
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> devicePeers().size() == 4);

    // n3 leaves the mesh.
    editSet("prod-peers-1", peers -> peers.removeIf(p -> p.getName().equals("n3")));
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isEmpty());
    assertEquals(Set.of(WireGuardKey.fromBase64(registryKey), n2.publicKey(), n4.publicKey()), devicePeers());
    assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), iface.links().routesOf(Fixtures.IFACE));

    // A set that goes away takes its members along.
    client.resources(WireGuardPeerSet.class).withName("prod-peers-0").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n2.publicKey()).isEmpty());
    assertEquals(Set.of(WireGuardKey.fromBase64(registryKey), n4.publicKey()), devicePeers());
    assertEquals(Set.of(), iface.links().routesOf(Fixtures.IFACE));
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getPeers().size() == 1);
  }

  @Test
  void configurationOfAnotherMeshIsNotApplied() throws Exception {
    WireGuardNodeConfigSpec other = spec(peer("n2", n2, "10.88.0.2/32"));
    other.setMesh("staging");
    client.resource(Fixtures.config("n1", other)).create();
    start(Fixtures.fast("n1", state));
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getLastError() != null);
    assertTrue(current().getStatus().getLastError().contains("mesh staging"));
    assertTrue(iface.links().read(Fixtures.IFACE).isEmpty(), "no interface made for another mesh's configuration");
  }
}
