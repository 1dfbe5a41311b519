package dev.wgmesh.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.demo.KubernetesMesh.PlacedNode;
import dev.wgmesh.demo.KubernetesMesh.SiteNode;
import dev.wgmesh.lab.AgentPathLog;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.Placement;
import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The kinds of path in Kubernetes mode (strict test API server, operator, registry and agents as
 * real processes), in one cluster: two nodes on one LAN behind one NAT reach each other over the
 * LAN, two nodes with global IPv6 over IPv6, a node behind a double NAT (port-restricted home
 * router behind a carrier-grade NAT) and a node on the site (port-restricted) directly, and a node
 * whose firewall passes UDP only to and from the registry's WireGuard endpoint everyone through
 * the relay; each as the agent logs it, as its WireGuardNodeConfig status reports it (per peer
 * {@code path}), and as its WireGuard endpoint shows it.
 */
@LabTest
class KubernetesPathsLabTest {
  @Test
  void eachShapeGetsItsKindOfPath() {
    try (KubernetesMesh cluster = new KubernetesMesh("k8spaths", KubernetesMeshLabTest::strictApiServer)) {
      List<Host> site = cluster.addNodesOnSite("office", NatKind.PORT_RESTRICTED, List.of(
          new SiteNode("s1", "10.244.1.0/24", "10.244.1.1"),
          new SiteNode("s2", "10.244.2.0/24", "10.244.2.1")));
      cluster.addNode(new PlacedNode("v1", Placement.IPV6, "10.244.3.0/24", "10.244.3.1"));
      cluster.addNode(new PlacedNode("v2", Placement.IPV6, "10.244.4.0/24", "10.244.4.1"));
      cluster.addNode(new PlacedNode("d1", Placement.DOUBLE_NAT, "10.244.5.0/24", "10.244.5.1"));
      // Its firewall passes UDP only to and from the registry's public WireGuard endpoint (TCP, so
      // the API server, it does not block).
      cluster.addNode(new PlacedNode("u1", Placement.UDP_BLOCKED, "10.244.6.0/24", "10.244.6.1"));
      cluster.createMesh("10.99.0.0/24");
      cluster.startComponents(Duration.ofSeconds(60));
      // That endpoint is the one the WireGuardMesh gives the nodes, on the port the operator has the registry listen on.
      InetSocketAddress open = cluster.registryEndpoint();
      assertEquals(open.getAddress().getHostAddress() + ":" + open.getPort(),
          cluster.client.resources(WireGuardMesh.class).withName(KubernetesMesh.MESH).get().getSpec().getRegistry().getEndpoint());
      assertEquals(Integer.valueOf(open.getPort()), cluster.client.resources(WireGuardNodeConfig.class)
          .withName(cluster.registryConfigName(0)).get().getSpec().getInterfaceSpec().getListenPort());

      // Every pair connects (the site's nodes, the double NAT and the IPv6 hosts' symmetric IPv4
      // NATs among each other: relayed; the UDP-blocked node: relayed to everyone).
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(cluster::allConnected);
      Map<String, String> tunnel = cluster.tunnelAddresses();

      for (String[] pair : new String[][] {{"s1", "s2", "lan"}, {"s2", "s1", "lan"}, {"v1", "v2", "ipv6"}, {"v2", "v1", "ipv6"},
          {"d1", "s1", "direct"}, {"s1", "d1", "direct"}}) {
        assertPath(cluster, tunnel, pair[0], pair[1], pair[2]);
      }
      for (String other : List.of("s1", "s2", "v1", "v2", "d1")) {
        assertPath(cluster, tunnel, "u1", other, "relayed");
        assertPath(cluster, tunnel, other, "u1", "relayed");
      }
      assertEquals(site.get(0).publicAddress(), site.get(1).publicAddress(), "one site, one public address");
      for (String[] pair : new String[][] {{"s1", "s2"}, {"v1", "v2"}, {"d1", "s1"}, {"u1", "s1"}}) {
        assertTrue(cluster.nodes.get(pair[0]).exec("ping", "-c", "5", "-i", "0.2", "-W", "1", tunnel.get(pair[1])).ok(),
            pair[0] + " pings " + pair[1]);
      }
    }
  }

  /**
   * Waits until {@code from} reaches {@code to} on {@code path} ({@code lan}, {@code ipv6},
   * {@code direct} or {@code relayed}): in {@code from}'s agent log, in its node config's status
   * (counted on that path; listed, path and mode, only when relayed), and in the agent's /peers (the path and the
   * WireGuard endpoint).
   */
  private static void assertPath(KubernetesMesh cluster, Map<String, String> tunnel, String from, String to, String path) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      // The agent's log: its last path change for the peer leads to the expected path.
      List<AgentPathLog.Change> changes = AgentPathLog.changes(cluster.agents.get(from).log(), tunnel.get(to));
      assertTrue(!changes.isEmpty(), from + "'s agent logged no path for " + to);
      assertEquals(path, changes.get(changes.size() - 1).to().label(), from + "'s agent for " + to + ": " + changes);
      // The node config's status: counted on its path; listed only when not on its best path (relayed).
      WireGuardNodeConfig config = cluster.nodeConfig(from);
      assertNotNull(config.getStatus(), from + " has no status yet");
      boolean relayed = path.equals(PathKind.RELAYED.label());
      Optional<WireGuardNodeConfigStatus.PeerStatus> listed = config.getStatus().getPeers().stream().filter(p -> to.equals(p.getName())).findFirst();
      assertEquals(relayed, listed.isPresent(), from + "'s status lists " + config.getStatus().getPeers());
      listed.ifPresent(p -> assertEquals("relayed/relayed", p.getPath() + "/" + p.getMode(), from + "'s status for " + to + ": path/mode"));
      assertTrue(config.getStatus().getPaths().getOrDefault(path, 0) >= 1, from + "'s path counts " + config.getStatus().getPaths());
      // The agent's per-peer view (its /peers): the peer's path and the endpoint WireGuard uses.
      dev.wgmesh.agent.PeerDetail peer = cluster.agentPeers(from).stream().filter(p -> tunnel.get(to).equals(p.address())).findFirst()
          .orElseThrow(() -> new AssertionError(from + "'s agent has no peer " + to));
      assertEquals(path, peer.path(), from + "'s agent for " + to + ": endpoint " + peer.endpoint());
      // WireGuard's endpoint agrees: the peer's LAN address, an IPv6 address, the peer's public
      // (outermost NAT's) address, or the agent's relay socket on 127.x.
      String endpoint = peer.endpoint();
      assertNotNull(endpoint, from + "'s agent for " + to + " has no endpoint");
      if (path.equals(PathKind.LAN.label())) {
        assertTrue(endpoint.startsWith(cluster.nodes.get(to).address().getHostAddress() + ":"), endpoint);
      } else if (path.equals(PathKind.IPV6.label())) {
        assertTrue(endpoint.startsWith("["), endpoint);
      } else if (path.equals(PathKind.DIRECT.label())) {
        assertTrue(endpoint.startsWith(cluster.nodes.get(to).publicAddress().getHostAddress() + ":"),
            from + "'s endpoint for " + to + " " + endpoint + " is not at " + to + "'s public address " + cluster.nodes.get(to).publicAddress());
      } else {
        assertTrue(relayed && endpoint.startsWith("127."), from + "'s endpoint for " + to + ": " + endpoint);
      }
    });
  }
}
