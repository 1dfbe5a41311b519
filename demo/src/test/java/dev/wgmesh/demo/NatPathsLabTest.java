package dev.wgmesh.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.lab.AgentPathLog;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.Placement;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import dev.wgmesh.lab.StandaloneMesh.Node;
import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The path two agents settle on, per network shape of the NAT lab (standalone mode, real
 * wireguard-go, iptables NATs, registry and agents): lan on one LAN, ipv6 between IPv6 hosts,
 * direct through a double NAT and between full-cone and port-restricted NATs, ipv6 or direct
 * between public hosts, relayed for a host whose firewall blocks UDP and for a symmetric NAT. Each test asserts the
 * path on both nodes as WireGuard shows it ({@link StandaloneMesh#pathBetween}) and as the agent
 * logged it ({@code peer ... : pending -> lan: ...}), and that pings pass. All pairs share one mesh
 * (one registry); each node is linked only to its partner, and a pair is retired after its test.
 * Not timing tests: the limits are generous (bench/nat-matrix measures the times).
 */
@LabTest
class NatPathsLabTest {
  static final Duration SETTLE = Duration.ofSeconds(20);
  static StandaloneMesh mesh;
  static int pairs;

  @BeforeAll
  static void registry() {
    mesh = new StandaloneMesh("paths");
  }

  @AfterAll
  static void close() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void twoNodesBehindOneNatUseTheLanAndTheirTrafficStaysOffTheInternet() {
    List<Node> pair = mesh.addNodesOnSite("site" + (++pairs), NatKind.PORT_RESTRICTED, List.of("l1", "l2"));
    Node a = pair.get(0);
    Node b = pair.get(1);
    try {
      connect(mesh, a, b, EnumSet.of(PathKind.LAN));
      // The pings' way: neither through the registry (its byte counters barely move) nor over the
      // internet at all (nothing from the site's public address to anyone but the registry).
      ManagedProcess capture = mesh.lab.internetCapture("lan", "host", a.host.publicAddress().getHostAddress(), "and", "not", "host",
          mesh.registryHost.address().getHostAddress());
      long before = mesh.registryBytes("l1") + mesh.registryBytes("l2");
      a.host.execOk("ping", "-c", "40", "-i", "0.05", "-s", "1000", "-W", "1", b.tunnelIp);
      long after = mesh.registryBytes("l1") + mesh.registryBytes("l2");
      sleep(300);
      capture.stop();
      assertTrue(after - before < 4_000, "registry carried " + (after - before) + " bytes of an 80 kB ping exchange");
      List<String> crossed = capture.log().lines().filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d.*")).toList();
      assertTrue(crossed.isEmpty(), "LAN traffic crossed the internet:\n" + String.join("\n", crossed));
    } finally {
      mesh.retire(a, b);
    }
  }

  @Test
  void twoIpv6HostsUseIpv6() {
    pairAt(Placement.IPV6, Placement.IPV6, EnumSet.of(PathKind.IPV6));
  }

  @Test
  void doubleNatsWithPortRestrictedRoutersConnectDirectly() {
    pairAt(Placement.DOUBLE_NAT, Placement.PORT_RESTRICTED, EnumSet.of(PathKind.DIRECT));
  }

  @Test
  void aUdpBlockedHostIsRelayed() {
    pairAt(Placement.UDP_BLOCKED, Placement.PUBLIC, EnumSet.of(PathKind.RELAYED));
  }

  @Test
  void aFullConeAndAPortRestrictedNatConnectDirectly() {
    pairAt(Placement.CONE, Placement.PORT_RESTRICTED, EnumSet.of(PathKind.DIRECT));
  }

  @Test
  void aSymmetricNatIsRelayedWithAPortRestrictedOne() {
    pairAt(Placement.SYMMETRIC, Placement.PORT_RESTRICTED, EnumSet.of(PathKind.RELAYED));
  }

  @Test
  void twoPublicHostsUseIpv6OrIpv4Directly() {
    pairAt(Placement.PUBLIC, Placement.PUBLIC, EnumSet.of(PathKind.IPV6, PathKind.DIRECT));
  }

  /** A fresh pair at the two placements, connected (see {@link #connect}), then retired. */
  private static void pairAt(Placement first, Placement second, Set<PathKind> expected) {
    int n = ++pairs;
    Node a = mesh.addNodeAt("p" + n + "a", first);
    Node b = null;
    try {
      b = mesh.addNodeAt("p" + n + "b", second);
      connect(mesh, a, b, expected);
    } finally {
      if (b != null) {
        mesh.retire(a, b);
      } else {
        mesh.retire(a);
      }
    }
  }

  /**
   * Links the pair, starts both agents, and waits until both nodes use the same one of the expected
   * paths, both in WireGuard and in their agents' logs; then checks pings pass.
   */
  static void connect(StandaloneMesh mesh, Node a, Node b, Set<PathKind> expected) {
    mesh.link(a, b);
    mesh.awaitRegistered(a, b);
    mesh.startAgents(ProductJar.SMALL, a, b);
    try {
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        PathKind ab = StandaloneMesh.pathBetween(a, b);
        PathKind ba = StandaloneMesh.pathBetween(b, a);
        String state = a.name + "->" + b.name + ": " + ab.label() + " (agent " + StandaloneMesh.agentPath(a, b).label() + ", endpoint "
            + a.endpointOf(b).orElse("none") + "); " + b.name + "->" + a.name + ": " + ba.label() + " (agent "
            + StandaloneMesh.agentPath(b, a).label() + ", endpoint " + b.endpointOf(a).orElse("none") + ")";
        assertTrue(expected.contains(ab) && ab == ba, "expected " + expected + " both ways: " + state);
        assertEquals(ab, StandaloneMesh.agentPath(a, b), state);
        assertEquals(ba, StandaloneMesh.agentPath(b, a), state);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n--- " + a.name + "'s agent ---\n" + tail(a.agent.log()) + "\n--- " + b.name
          + "'s agent ---\n" + tail(b.agent.log()), e);
    }
    // (the agent's view: a relayed peer's probe points the endpoint elsewhere for a moment)
    PathKind path = StandaloneMesh.agentPath(a, b);
    for (Node[] way : new Node[][] {{a, b}, {b, a}}) {
      String line = lastChange(way[0], way[1]);
      assertTrue(line.contains("-> " + path.label() + ":"), way[0].name + "'s agent logged '" + line + "'");
    }
    await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).until(() -> mesh.ping(a.name, b.name) && mesh.ping(b.name, a.name));
    assertTrue(a.host.exec("ping", "-c", "5", "-i", "0.2", "-W", "1", b.tunnelIp).ok(), "5 pings " + a.name + " -> " + b.name);
  }

  /** The agent's last path line for the peer, as logged ({@code peer K= (10.88.0.3): pending -> lan: ...}). */
  static String lastChange(Node from, Node to) {
    String log = from.agent.log();
    List<AgentPathLog.Change> changes = AgentPathLog.changes(log, to.tunnelIp);
    String marker = "(" + to.tunnelIp + "): ";
    return changes.isEmpty() ? "(none)" : log.lines().filter(l -> l.contains(marker)).reduce((x, y) -> y).orElse("(none)");
  }

  static String tail(String log) {
    List<String> lines = log.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
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
