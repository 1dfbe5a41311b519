package dev.wgmesh.kube;

import dev.wgmesh.kube.client.KubeApi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.wgmesh.testapiserver.StrictApiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The peer set watch, as the agent (its RBAC), against the strict test API server: whole lists, only once listed, only the mesh's. */
class ResourceWatchTest {
  StrictApiServer api;
  /** The test's own writes. */
  KubernetesClient client;
  /** The watch's: the agent of node n1. */
  KubeApi agent;

  @BeforeEach
  void start() {
    api = StrictApiServer.start();
    client = api.admin();
    agent = ApiServers.client(api, StrictApiServer.agentOn("n1"));
  }

  final List<List<String>> delivered = new CopyOnWriteArrayList<>();
  ResourceWatch<WireGuardPeerSet> watch;

  @AfterEach
  void stop() {
    if (watch != null) {
      watch.close();
    }
    api.close();
  }

  static WireGuardNodeConfigSpec.Peer member(String name) {
    return new WireGuardNodeConfigSpec.Peer(name, KeyPair.generate().publicKey().toBase64(), List.of("10.88.0.2/32"), null, 25);
  }

  /** A peer set as the operator writes one: labelled with its mesh, which its spec names too. */
  static WireGuardPeerSet peerSet(String name, String mesh, WireGuardNodeConfigSpec.Peer... peers) {
    WireGuardPeerSet s = new WireGuardPeerSet();
    s.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels(WireGuardMesh.MESH_LABEL, mesh).build());
    s.setSpec(new WireGuardPeerSetSpec(mesh, new ArrayList<>(List.of(peers))));
    return s;
  }

  void watch(KubeApi c) {
    watch = ResourceWatch.peerSets(c, "prod", Duration.ofMinutes(5),
        sets -> delivered.add(sets.stream().map(s -> s.getMetadata().getName() + "=" + s.getSpec().getPeers().size()).toList()));
    watch.start();
  }

  List<String> last() {
    return delivered.isEmpty() ? null : delivered.get(delivered.size() - 1);
  }

  @Test
  void anEmptyFirstListIsDeliveredThenEveryChangeAsAWholeSortedList() {
    watch(agent);
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of().equals(last()));
    assertTrue(watch.hasSynced());

    client.resource(peerSet("prod-peers-1", "prod", member("n1"))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of("prod-peers-1=1").equals(last()));

    // Another mesh's label is not watched; a set labelled for this mesh but naming another is left out.
    client.resource(peerSet("staging-peers-0", "staging", member("s1"))).create();
    WireGuardPeerSet mislabelled = peerSet("odd-peers-0", "prod", member("s2"));
    mislabelled.getSpec().setMesh("staging");
    client.resource(mislabelled).create();
    client.resource(peerSet("prod-peers-0", "prod", member("n2"), member("n3"))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of("prod-peers-0=2", "prod-peers-1=1").equals(last()));

    client.resources(WireGuardPeerSet.class).withName("prod-peers-1").edit(s -> {
      s.getSpec().getPeers().add(member("n4"));
      return s;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of("prod-peers-0=2", "prod-peers-1=2").equals(last()));

    client.resources(WireGuardPeerSet.class).withName("prod-peers-0").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> List.of("prod-peers-1=2").equals(last()));
    for (List<String> list : delivered) {
      assertTrue(list.stream().allMatch(s -> s.startsWith("prod-peers-")), "only the mesh's sets: " + delivered);
    }
  }

  @Test
  void nothingIsDeliveredBeforeTheFirstListCompleted() throws Exception {
    client.resource(peerSet("prod-peers-0", "prod", member("n1"))).create();
    client.resource(peerSet("prod-peers-1", "prod", member("n2"))).create();
    watch(agent);
    await().atMost(Duration.ofSeconds(10)).until(() -> !delivered.isEmpty());
    Thread.sleep(300); // the informer's add events of the first list
    for (List<String> list : delivered) {
      assertEquals(List.of("prod-peers-0=1", "prod-peers-1=1"), list, "never a partial first list: " + delivered);
    }
  }

  @Test
  void whileTheApiServerIsAwayNothingIsDeliveredNotEvenAnEmptyList() throws Exception {
    int port = ApiServers.freePort();
    try (KubeApi away = ApiServers.client(port, StrictApiServer.agentOn("n1"))) {
      watch(away);
      Thread.sleep(1500);
      assertEquals(List.of(), delivered, "not listed: not known, which is not the same as none");
      assertFalse(watch.hasSynced());

      try (StrictApiServer back = ApiServers.apiServer(port)) {
        back.admin().resource(peerSet("prod-peers-0", "prod", member("n1"))).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> List.of("prod-peers-0=1").equals(last()));
        assertEquals(List.of(List.of("prod-peers-0=1")), delivered);
      }
    }
  }
}
