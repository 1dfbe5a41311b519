package dev.wgmesh.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.demo.ClusterApi;
import dev.wgmesh.testapiserver.Identity;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.util.Map;
import dev.wgmesh.demo.KubernetesMesh;
import dev.wgmesh.demo.KubernetesMesh.Site;
import dev.wgmesh.lab.AgentPathLog;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.NatKind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The whole system in the NAT lab: the strict test API server (reachable from the lab's hosts; the
 * chart's RBAC for each component's ServiceAccount, the agents' tokens bound to their nodes, real
 * patch and status subresource semantics; any refused request fails the test), the operator, the registry and three agents in Kubernetes mode on hosts behind
 * different NATs (one symmetric), all real processes. Everything is created from Node objects and
 * a WireGuardMesh, as in a cluster.
 */
@LabTest
class KubernetesMeshLabTest {
  static final List<Site> SITES = List.of(
      new Site("n1", NatKind.PORT_RESTRICTED, "10.244.1.0/24", "10.244.1.1"),
      new Site("n2", NatKind.CONE, "10.244.2.0/24", "10.244.2.1"),
      new Site("n3", NatKind.SYMMETRIC, "10.244.3.0/24", "10.244.3.1"));

  @Test
  void clusterOfNodesBehindNatsBecomesOneMeshFromResourcesAlone() throws Exception {
    try (KubernetesMesh cluster = new KubernetesMesh("k8s", KubernetesMeshLabTest::strictApiServer)) {
      SITES.forEach(cluster::addNode);
      cluster.createMesh("10.99.0.0/24");
      cluster.startComponents(Duration.ofSeconds(60));

      // Every pair connects over tunnel addresses from the peers' status.
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(cluster::allConnected);
      // The agents report how they reach each peer: the symmetric NAT only through the relay.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        WireGuardNodeConfig n3 = cluster.nodeConfig("n3");
        assertNotNull(n3.getStatus());
        assertEquals(n3.getMetadata().getGeneration(), n3.getStatus().getAppliedGeneration());
        assertTrue(n3.getStatus().getRelayed() >= 1, "n3 (symmetric NAT) relays: " + n3.getStatus().getPeers());
        assertTrue(cluster.nodeConfig("n1").getStatus().getDirect() >= 1, "n1 reaches n2 directly");
        // kubectl get wgp: the endpoint the registry sees for each node, and how the node reaches its peers.
        WireGuardPeer n3peer = cluster.client.resources(WireGuardPeer.class).withName("n3").get();
        assertEquals("relayed", n3peer.getStatus().getMode(), "n3's peer status: " + n3peer.getStatus().getMode());
        for (Site site : SITES) {
          assertNotNull(cluster.client.resources(WireGuardPeer.class).withName(site.name()).get().getStatus().getEndpoint(),
              site.name() + "'s endpoint as the registry sees it");
        }
      });

      // Statuses and printer columns are filled: peers got their addresses, the mesh counts them.
      WireGuardMesh mesh = cluster.client.resources(WireGuardMesh.class).withName(KubernetesMesh.MESH).get();
      assertEquals(SITES.size(), mesh.getStatus().getPeers(), "mesh status: " + mesh.getStatus().fields());
      assertNotNull(mesh.getStatus().getRegistries().get(0).getPublicKey());
      for (Site site : SITES) {
        assertNotNull(cluster.client.resources(WireGuardPeer.class).withName(site.name()).get().getStatus().getAddress(), site.name());
      }

      // The paths settle first. A pair that just went relayed tries the direct path again about
      // 2 s later, and each such probe holds up the pair's traffic for up to 500 ms (the agents'
      // doing, not the operator's): wait until no agent probes now or within the next 20 s (the
      // next probe after a failed one is a minute away), as their /peers show it.
      Map<String, String> tunnel = cluster.tunnelAddresses();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> cluster.agents.entrySet().stream()
          .allMatch(agent -> tunnel.entrySet().stream().filter(peer -> !peer.getKey().equals(agent.getKey()))
              .allMatch(peer -> AgentPathLog.changes(agent.getValue().log(), peer.getValue()).stream()
                  .allMatch(c -> c.at().isBefore(java.time.Instant.now().minusSeconds(3)))))
          && cluster.noProbeWithin(Duration.ofSeconds(20)));
      // Pods behind each node answer over the tunnel.
      for (Site from : SITES) {
        for (Site to : SITES) {
          if (from != to) {
            assertTrue(cluster.nodes.get(from.name()).exec("ping", "-c", "1", "-W", "2", to.podAddress()).ok(),
                "pod address " + to.podAddress() + " on " + to.name() + " answers " + from.name());
          }
        }
      }

      // Killing the operator changes nothing in the data plane.
      cluster.operator.stop();
      for (int i = 0; i < 10; i++) {
        assertTrue(cluster.allConnected(), "connectivity without the operator (second " + i + ")");
        Thread.sleep(1000);
      }
    }
  }

  /** The strict test API server on the lab's address of this machine, each component as its ServiceAccount. */
  static ClusterApi strictApiServer(InetAddress address) {
    return strictApiServer(StrictApiServer.builder().meshes(KubernetesMesh.MESH), address);
  }

  /** The same, with the chart's RBAC rendered for the meshes {@code builder} names. */
  static ClusterApi strictApiServer(StrictApiServer.Builder builder, InetAddress address) {
    StrictApiServer api = builder.listen(address, 0).start();
    return new ClusterApi() {
      @Override
      public KubernetesClient admin() {
        return api.admin();
      }

      @Override
      public Map<String, String> environment(String serviceAccount, String node) {
        return api.environment(node == null ? Identity.serviceAccount(StrictApiServer.NAMESPACE, serviceAccount)
            : Identity.serviceAccountOnNode(StrictApiServer.NAMESPACE, serviceAccount, node));
      }

      @Override
      public void close() {
        api.close();
      }
    };
  }
}
