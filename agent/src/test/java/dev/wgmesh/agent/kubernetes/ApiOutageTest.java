package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.kube.client.KubeApi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.kube.ApiServers;
import dev.wgmesh.testapiserver.Identity;
import dev.wgmesh.testapiserver.StrictApiServer;
import java.util.function.Predicate;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent and an API server that comes and goes: a node restarting while the API server is
 * unreachable comes back with its saved configuration and discovery, keeps trying, catches up when
 * the API server returns, and a later outage tears nothing down. A node config is applied only
 * together with the mesh's peer sets: while they cannot be listed, the saved peers stay.
 */
class ApiOutageTest {
  /** The agent runs as its ServiceAccount, bound to node n1, against the strict test API server. */
  static final Identity AGENT = StrictApiServer.agentOn("n1");
  static final Predicate<String> PEER_SETS = path -> path.contains("/wireguardpeersets");
  static final Predicate<String> CONFIGS = path -> path.contains("/wireguardnodeconfigs");

  @TempDir
  Path state;

  final String registryKey = KeyPair.generate().publicKey().toBase64();
  final KeyPair n2 = KeyPair.generate();
  final KeyPair n3 = KeyPair.generate();

  WireGuardNodeConfigSpec.Peer peer(String name, KeyPair keys, String... allowed) {
    return new WireGuardNodeConfigSpec.Peer(name, keys.publicKey().toBase64(), List.of(allowed), null, 25);
  }

  static void seed(KubernetesClient client, WireGuardNodeConfigSpec spec) {
    client.resource(Fixtures.node("n1")).create();
    client.resource(Fixtures.config("n1", spec)).create();
  }

  @Test
  void restartWithoutApiServerUsesTheSavedConfigurationAndCatchesUpLater() throws Exception {
    int port = ApiServers.freePort();
    String publicKey;

    // 1. A normal start: the configuration is applied and saved.
    StrictApiServer first = ApiServers.apiServer(port);
    try (KubeApi client = ApiServers.client(port, AGENT)) {
      seed(first.admin(), NodeConfigsTest.spec(registryKey, peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24")));
      Fixtures.FakeInterface iface = Fixtures.FakeInterface.create();
      KubernetesAgent agent = new KubernetesAgent(Fixtures.fast("n1", state), client, iface.reconciler(), new FakeDiscovery(),
          Clock.systemUTC());
      agent.start();
      publicKey = agent.keys().publicKey().toBase64();
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(state.resolve(ConfigStore.FILE_NAME))
          && iface.device().peer(n2.publicKey()).isPresent());
      agent.close();
    } finally {
      first.close();
    }

    // 2. The node reboots (a fresh interface) while nothing answers at the API server's address.
    try (KubeApi client = ApiServers.client(port, AGENT)) {
      Fixtures.FakeInterface iface = Fixtures.FakeInterface.create();
      FakeDiscovery discovery = new FakeDiscovery();
      KubernetesAgent agent = new KubernetesAgent(Fixtures.fast("n1", state), client, iface.reconciler(), discovery, Clock.systemUTC());
      try {
        agent.start();
        assertEquals(publicKey, agent.keys().publicKey().toBase64(), "the same key from the state directory");
        await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n2.publicKey()).isPresent());
        assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), iface.links().routesOf(Fixtures.IFACE));
        assertEquals(List.of(IpPrefix.parse("10.88.0.1/24")), iface.links().read(Fixtures.IFACE).orElseThrow().addresses());
        await().atMost(Duration.ofSeconds(5)).until(() -> discovery.started.size() == 1 && discovery.ticks.get() > 0);
        assertFalse(agent.peerPublished());
        assertEquals(1L, agent.lastStatus().orElseThrow().getAppliedGeneration(), "the saved generation");

        // 3. The API server comes back, with a newer configuration (n3 joined): the agent catches up.
        StrictApiServer second = ApiServers.apiServer(port);
        try {
          seed(second.admin(), NodeConfigsTest.spec(registryKey, peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24"),
              peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24")));
          await().atMost(Duration.ofSeconds(30)).until(() -> iface.device().peer(n3.publicKey()).isPresent());
          await().atMost(Duration.ofSeconds(30)).until(agent::peerPublished);
          assertEquals(publicKey, second.admin().resources(WireGuardPeer.class).withName("n1").get().getSpec().getPublicKey());
          await().atMost(Duration.ofSeconds(10)).until(() -> {
            WireGuardNodeConfig c = second.admin().resources(WireGuardNodeConfig.class).withName("n1").get();
            return c.getStatus() != null && c.getStatus().getPeers().size() == 2;
          });
          assertEquals(1, discovery.started.size(), "discovery kept running throughout");
        } finally {
          second.close();
        }

        // 4. The API server goes away again: nothing is torn down.
        DeviceState before = iface.device().read();
        Thread.sleep(2000); // four reconcile intervals, a dozen status offers
        assertEquals(before, iface.device().read());
        assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));
        assertEquals(0, discovery.closed.get());
        assertTrue(discovery.ticks.get() > 20);
      } finally {
        agent.close();
      }
    }
  }

  @Test
  void aNodeConfigIsNotAppliedBeforeThePeerSetsAreListedTheSavedPeersStay() throws Exception {
    int port = ApiServers.freePort();
    StrictApiServer server = ApiServers.apiServer(port);
    KubernetesClient admin = server.admin();
    KeyPair self = KeyStore.loadOrCreate(state);
    try (KubeApi client = ApiServers.client(port, AGENT)) {
      // 1. A normal start: the node config has no peers, the sets have all members; the merge is saved.
      seed(admin, NodeConfigsTest.spec(registryKey));
      admin.resource(Fixtures.peerSet("prod-peers-0", "prod", peer("n1", self, "10.88.0.1/32"),
          peer("n2", n2, "10.88.0.2/32", "10.244.2.0/24"), peer("n3", n3, "10.88.0.3/32", "10.244.3.0/24"))).create();
      Fixtures.FakeInterface first = Fixtures.FakeInterface.create();
      KubernetesAgent before = new KubernetesAgent(Fixtures.fast("n1", state), client, first.reconciler(), new FakeDiscovery(),
          Clock.systemUTC());
      before.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> first.device().peer(n3.publicKey()).isPresent()
          && new ConfigStore(state).load().map(c -> c.spec().getPeers().size() == 2).orElse(false));
      before.close();

      // 2. The node restarts; the API server serves its node config (a new generation: another
      // port) but cannot list the peer sets. Applying the node config alone would strip n2 and n3.
      server.unavailable(PEER_SETS);
      admin.resources(WireGuardNodeConfig.class).withName("n1").edit(c -> {
        c.getSpec().getInterfaceSpec().setListenPort(51900);
        return c;
      });
      long generation = admin.resources(WireGuardNodeConfig.class).withName("n1").get().getMetadata().getGeneration();
      assertTrue(generation >= 2);
      Fixtures.FakeInterface iface = Fixtures.FakeInterface.create();
      KubernetesAgent agent = new KubernetesAgent(Fixtures.fast("n1", state), client, iface.reconciler(), new FakeDiscovery(), Clock.systemUTC());
      try {
        int configRequestsBefore = server.requestCount(CONFIGS);
        int refusedBefore = server.requestCount(PEER_SETS);
        agent.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> iface.device().peer(n3.publicKey()).isPresent());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.requestCount(CONFIGS) > configRequestsBefore
            && server.requestCount(PEER_SETS) > refusedBefore && agent.peerPublished());
        Thread.sleep(1500); // the node config has had time to arrive; three reconcile intervals
        DeviceState device = iface.device().read();
        assertEquals(51820, device.listenPort(), "the saved configuration, not the API server's new one");
        assertTrue(device.peer(n2.publicKey()).isPresent() && device.peer(n3.publicKey()).isPresent(), "the saved peers stay");
        assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("10.244.3.0/24")), iface.links().routesOf(Fixtures.IFACE));
        assertTrue(server.requestCount(PEER_SETS) > refusedBefore + 1, "the agent keeps trying to list the sets");
        assertEquals(1L, agent.lastStatus().orElseThrow().getAppliedGeneration(), "the saved generation");

        // 3. The peer sets can be listed again: the new node config is applied with the sets' peers.
        server.unavailable(path -> false);
        await().atMost(Duration.ofSeconds(30)).until(() -> iface.device().read().listenPort() == 51900);
        assertTrue(iface.device().peer(n2.publicKey()).isPresent() && iface.device().peer(n3.publicKey()).isPresent());
        assertTrue(iface.device().peer(self.publicKey()).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> {
          WireGuardNodeConfig c = admin.resources(WireGuardNodeConfig.class).withName("n1").get();
          return c.getStatus() != null && Long.valueOf(generation).equals(c.getStatus().getAppliedGeneration())
              && c.getStatus().getPeers().size() == 2;
        });
      } finally {
        agent.close();
      }
    } finally {
      server.close();
    }
  }

  @Test
  void unreadableSavedConfigurationMeansWaitingForTheApiServer() throws Exception {
    Files.writeString(state.resolve(ConfigStore.FILE_NAME), "{not json");
    try (KubeApi client = ApiServers.client(ApiServers.freePort(), AGENT)) {
      Fixtures.FakeInterface iface = Fixtures.FakeInterface.create();
      KubernetesAgent agent = new KubernetesAgent(Fixtures.fast("n1", state), client, iface.reconciler(), new FakeDiscovery(),
          Clock.systemUTC());
      agent.start();
      Thread.sleep(500);
      assertTrue(iface.links().read(Fixtures.IFACE).isEmpty());
      assertTrue(agent.lastStatus().isEmpty());
      agent.close();
    }
  }
}
