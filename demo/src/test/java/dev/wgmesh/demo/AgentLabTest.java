package dev.wgmesh.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.lab.ExecResult;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.StandaloneMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent in the NAT lab with real wireguard-go, iptables NATs, registry and agent processes:
 * two nodes behind NATs that nobody configured get a direct tunnel; behind a symmetric NAT they
 * still connect, through a relay that sees only ciphertext; tunnels survive NAT mapping changes
 * and a dead registry.
 */
@LabTest
class AgentLabTest {
  static final Duration CONNECT = Duration.ofSeconds(40);
  /** A payload pattern for ping (-p): if it shows up in the registry's view, plaintext leaked. */
  static final String PATTERN = "c0ffee15deadbeef";

  @Test
  void twoPortRestrictedNatsGetADirectTunnelThatBypassesTheRegistry() {
    try (StandaloneMesh mesh = new StandaloneMesh("direct")) {
      StandaloneMesh.Node a = mesh.addMeshedNode("a", NatKind.PORT_RESTRICTED);
      StandaloneMesh.Node b = mesh.addMeshedNode("b", NatKind.PORT_RESTRICTED);
      mesh.startAgent(a);
      mesh.startAgent(b);
      await().atMost(CONNECT).pollInterval(Duration.ofMillis(500)).until(() -> mesh.ping("a", "b"));

      // Direct: each side's endpoint for the other is the other NAT's public address.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertTrue(mesh.endpointOf("a", "b").startsWith(b.host.publicAddress().getHostAddress() + ":"), mesh.endpointOf("a", "b"));
        assertTrue(mesh.endpointOf("b", "a").startsWith(a.host.publicAddress().getHostAddress() + ":"), mesh.endpointOf("b", "a"));
      });
      // The ping traffic does not pass the registry: its byte counters barely move.
      long before = mesh.registryBytes("a") + mesh.registryBytes("b");
      a.host.execOk("ping", "-c", "40", "-i", "0.05", "-s", "1000", "-W", "1", b.tunnelIp);
      long after = mesh.registryBytes("a") + mesh.registryBytes("b");
      assertTrue(after - before < 4_000, "registry carried " + (after - before) + " bytes of an 80 kB ping exchange");
      assertTrue(a.agent.log().contains("-> direct"), a.agent.log());

      // The agents ask the registry for each peer by its key; nothing needs the PTR listing,
      // which a mesh of more than about 920 peers cannot have.
      String metrics = mesh.registry(0).metrics();
      assertTrue(metrics.lines().anyMatch(l -> l.startsWith("wgmesh_registry_dns_queries_total{") && l.contains("qtype=\"SRV\"")), metrics);
      assertFalse(metrics.lines().anyMatch(l -> l.startsWith("wgmesh_registry_dns_queries_total{") && l.contains("qtype=\"PTR\"")), metrics);
    }
  }

  @Test
  void symmetricNatConnectsThroughTheRelayWhichSeesOnlyCiphertext() throws Exception {
    try (StandaloneMesh mesh = new StandaloneMesh("relay")) {
      StandaloneMesh.Node c = mesh.addMeshedNode("c", NatKind.SYMMETRIC);
      StandaloneMesh.Node d = mesh.addMeshedNode("d", NatKind.PORT_RESTRICTED);
      mesh.startAgent(c);
      mesh.startAgent(d);
      await().atMost(CONNECT).pollInterval(Duration.ofMillis(500)).until(() -> mesh.ping("c", "d"));
      assertTrue(mesh.endpointOf("c", "d").startsWith("127.0.0.1:"), "c reaches d through its relay socket: " + mesh.endpointOf("c", "d"));
      assertTrue(c.agent.log().contains("-> relayed"), c.agent.log());

      // What the registry sees of relayed traffic: capture inside its tunnel (decrypted relay
      // frames), and compare with what d's own tunnel carries (the pings in plaintext).
      Path registryPcap = mesh.lab.logDir().resolve("registry-wg.pcap");
      Path nodePcap = mesh.lab.logDir().resolve("d-wg.pcap");
      ManagedProcess atRegistry = mesh.registryHost.spawn("tcpdump-registry",
          List.of("tcpdump", "-U", "-n", "-i", mesh.registryWg.name(), "-w", registryPcap.toString(), "udp", "port", "51821"));
      ManagedProcess atNode = d.host.spawn("tcpdump-d",
          List.of("tcpdump", "-U", "-n", "-i", d.wg.name(), "-w", nodePcap.toString(), "icmp"));
      Thread.sleep(1500); // tcpdump needs a moment to attach
      ExecResult pings = c.host.exec("ping", "-c", "10", "-i", "0.2", "-W", "2", "-p", PATTERN, d.tunnelIp);
      Thread.sleep(1000);
      atRegistry.stop();
      atNode.stop();
      assertTrue(pings.ok(), "relayed pings answered:\n" + pings.stdout());
      byte[] pattern = HexFormat.of().parseHex(PATTERN);
      byte[] seenByRegistry = Files.readAllBytes(registryPcap);
      byte[] seenByNode = Files.readAllBytes(nodePcap);
      assertTrue(seenByRegistry.length > 2_000, "the relay carried the pings (" + seenByRegistry.length + " bytes captured)");
      assertTrue(contains(seenByNode, pattern), "the pattern is visible in plaintext on the node: the check can see it");
      assertFalse(contains(seenByRegistry, pattern), "the registry saw plaintext ping payload");

      // The agent's metrics (its default --metrics, 127.0.0.1:9588 in c's namespace) tell the same.
      String metrics = c.agentMetrics();
      assertTrue(metrics.contains("wgmesh_agent_peers{path=\"relayed\"} 1.0"), metrics);
      assertTrue(metrics.contains("wgmesh_agent_path_switches_total{from=\"pending\",to=\"relayed\"}"), metrics);
      assertTrue(metrics.contains("wgmesh_agent_time_to_path_seconds_count{path=\"relayed\"} 1"), metrics);
      java.util.regex.Matcher sent = java.util.regex.Pattern.compile(
          "wgmesh_agent_relay_bytes_total\\{direction=\"to_registry\"\\} ([0-9.E]+)").matcher(metrics);
      assertTrue(sent.find() && Double.parseDouble(sent.group(1)) > 1000, "relayed bytes counted: " + metrics);
    }
  }

  @Test
  void tunnelRecoversFromANatMappingChange() {
    try (StandaloneMesh mesh = new StandaloneMesh("remap")) {
      StandaloneMesh.Node a = mesh.addMeshedNode("a", NatKind.PORT_RESTRICTED);
      StandaloneMesh.Node b = mesh.addMeshedNode("b", NatKind.PORT_RESTRICTED);
      mesh.startAgent(a);
      mesh.startAgent(b);
      await().atMost(CONNECT).pollInterval(Duration.ofMillis(500)).until(() -> mesh.ping("a", "b"));
      await().atMost(Duration.ofSeconds(10)).until(() -> !mesh.endpointOf("b", "a").startsWith("127."));
      String before = mesh.endpointOf("b", "a");

      // The NAT in front of a forgets its mappings and maps to new ports from now on.
      int low = a.host.natRouter().remapUdp(before);
      long start = System.nanoTime();
      await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> mesh.ping("a", "b"));
      long recoveredMs = (System.nanoTime() - start) / 1_000_000;
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        String now = mesh.endpointOf("b", "a");
        assertNotEquals(before, now);
        int port = Integer.parseInt(now.substring(now.lastIndexOf(':') + 1));
        assertTrue(now.startsWith("127.") || (port >= low && port <= low + 999), now);
      });
      System.out.println("recovered after a NAT mapping change in " + recoveredMs + " ms");
    }
  }

  @Test
  void deadRegistryLeavesTunnelsUpAndARestartedOneLetsANewNodeJoin() {
    try (StandaloneMesh mesh = new StandaloneMesh("restart")) {
      StandaloneMesh.Node a = mesh.addMeshedNode("a", NatKind.PORT_RESTRICTED);
      StandaloneMesh.Node b = mesh.addMeshedNode("b", NatKind.CONE);
      mesh.startAgent(a);
      mesh.startAgent(b);
      await().atMost(CONNECT).pollInterval(Duration.ofMillis(500)).until(() -> mesh.ping("a", "b"));

      mesh.registry.stop();
      for (int i = 0; i < 10; i++) {
        assertTrue(mesh.ping("a", "b"), "the tunnel works without the registry (second " + i + ")");
        sleep(1000);
      }
      assertTrue(a.agent.isAlive() && b.agent.isAlive(), "agents survive a dead registry");

      mesh.startRegistry();
      StandaloneMesh.Node e = mesh.addMeshedNode("e", NatKind.PORT_RESTRICTED);
      mesh.startAgent(e);
      await().atMost(CONNECT).pollInterval(Duration.ofMillis(500)).until(() -> mesh.ping("e", "a"));
      assertTrue(mesh.ping("a", "b"));
    }
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
