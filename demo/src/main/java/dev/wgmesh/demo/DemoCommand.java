package dev.wgmesh.demo;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.cli.ctl.MeshView;
import dev.wgmesh.cli.ctl.Renderers;
import dev.wgmesh.lab.StandaloneMesh.Route;
import dev.wgmesh.core.cli.Cli;
import dev.wgmesh.core.util.Durations;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.lab.LabPrerequisites;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.StandaloneMesh;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wgmesh demo}: the whole idea on one machine. Three sites behind different NATs (one
 * symmetric) and a public registry, in network namespaces; real wireguard-go, registry and agent
 * processes; a live table until every pair is connected, a ping across every pair, a graph.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Bring up a WireGuard mesh across simulated NATs on this machine.")
public final class DemoCommand implements Callable<Integer> {
  /** What the demo installs when the lab lacks a tool: the lab's one list (LabPrerequisites). */
  static final List<String> PACKAGES = LabPrerequisites.packages();

  @Option(names = "--timeout", defaultValue = "120s", converter = dev.wgmesh.core.cli.DurationConverter.class,
      description = "Give up when the mesh is not connected by then, e.g. 90s or 3m (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--keep", description = "Leave the mesh up for exploring until Ctrl-C")
  boolean keep;

  @Option(names = "--standalone", description = "Without Kubernetes: agents and registry on hand-configured devices")
  boolean standalone;

  @Option(names = "--graph", defaultValue = "wgmesh-demo.dot", description = "Where to write the mesh graph (Graphviz DOT; default: ${DEFAULT-VALUE})")
  Path graph;

  private final PrintStream out = System.out;

  record Site(String name, NatKind nat, String what) {}

  static final List<Site> SITES = List.of(
      new Site("home", NatKind.PORT_RESTRICTED, "home router (port-restricted cone NAT)"),
      new Site("cloud", NatKind.CONE, "cloud VM (full-cone NAT)"),
      new Site("cafe", NatKind.SYMMETRIC, "cafe hotspot (symmetric NAT: punching fails)"));

  /** {@code java -jar wgmesh-demo.jar [options]}, as {@code bin/wgmesh demo} runs it. */
  public static void main(String[] args) {
    Cli.shareCommonPool();
    System.exit(run(args));
  }

  /**
   * Runs the demo's command line with the set-up of every wgmesh command (usage errors are one line
   * and exit 2); a failure of the demo itself is one line and exit 1.
   */
  static int run(String... args) {
    CommandLine cl = Cli.commandLine(new DemoCommand()).setCommandName("wgmesh demo");
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      System.err.println("wgmesh demo: " + Errors.shortMessage(e));
      return 1;
    });
    return cl.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    Duration limit = timeout;
    if (!installPrerequisites()) {
      return 1;
    }
    return standalone ? runStandalone(limit) : runKubernetes(limit);
  }

  /**
   * The main job: an embedded API server with Node objects and a WireGuardMesh; the operator,
   * the registry and an agent per node in Kubernetes mode turn them into one mesh.
   */
  private int runKubernetes(Duration limit) throws Exception {
    try (KubernetesMesh cluster = new KubernetesMesh("demo")) {
      out.println("embedded API server (fabric8 mock, CRUD mode) at " + cluster.client.getMasterUrl());
      int n = 0;
      for (Site site : SITES) {
        n++;
        KubernetesMesh.Site s = new KubernetesMesh.Site(site.name(), site.nat(), "10.244." + n + ".0/24", "10.244." + n + ".1");
        cluster.addNode(s);
        out.printf("node %-6s behind %s; pod CIDR %s, a pod at %s%n", site.name(), site.what(), s.podCidr(), s.podAddress());
      }
      cluster.createMesh("10.88.0.0/24");
      out.println("created WireGuardMesh " + KubernetesMesh.MESH + " (10.88.0.0/24); starting the operator, the registry and the agents");
      cluster.startComponents(Duration.ofSeconds(60));
      Instant deadline = Instant.now().plus(limit);
      boolean connected = false;
      while (Instant.now().isBefore(deadline)) {
        connected = cluster.allConnected();
        printStatus(cluster);
        if (connected) {
          break;
        }
        Thread.sleep(2000);
      }
      if (!connected) {
        out.println("not every pair connected within " + Durations.format(limit) + "; logs are in " + cluster.lab.logDir());
        return 1;
      }
      // Agents report at most every few seconds: give the reports a moment to catch up, and a
      // relayed pair its first try of the direct path (up to 500 ms of its traffic held up).
      Instant settle = Instant.now().plusSeconds(20);
      while (Instant.now().isBefore(settle) && (anyPending(cluster) || !cluster.noProbeWithin(Duration.ofSeconds(10)))) {
        Thread.sleep(1000);
      }
      printStatus(cluster);
      out.println();
      out.println("every pair connected; ping across every pair (tunnel address, then a pod behind the node):");
      var addresses = cluster.tunnelAddresses();
      for (String from : cluster.nodes.keySet()) {
        int j = 0;
        for (String to : cluster.nodes.keySet()) {
          j++;
          if (!from.equals(to)) {
            out.printf("  %-6s -> %-6s %s; pod 10.244.%d.1: %s%n", from, to, pingSummary(cluster.nodes.get(from), addresses.get(to)),
                j, cluster.nodes.get(from).exec("ping", "-c", "1", "-W", "2", "10.244." + j + ".1").ok() ? "answers" : "no answer");
          }
        }
      }
      MeshView view = new MeshView(cluster.client.resources(WireGuardMesh.class).withName(KubernetesMesh.MESH).get(),
          cluster.client.resources(WireGuardPeer.class).list().getItems(),
          cluster.client.resources(WireGuardNodeConfig.class).list().getItems());
      Files.writeString(graph, Renderers.graph(view));
      out.println("mesh graph (from the agents' reports) written to " + graph.toAbsolutePath());
      if (keep) {
        out.println();
        out.println("the mesh stays up until Ctrl-C. Explore it:");
        out.println("  KUBERNETES_MASTER=" + cluster.client.getMasterUrl() + " bin/wgmeshctl status");
        String ns = cluster.nodes.values().iterator().next().namespace();
        out.println("  ip netns exec " + ns + " wg show");
        out.println("  ip netns exec " + ns + " dig @" + cluster.tunnelAddresses().values().stream().findFirst().map(a -> a.replaceAll("\\.\\d+$", ".254")).orElse("?")
            + " _wireguard._udp.wgmesh.internal PTR +short");
        out.println("  logs: " + cluster.lab.logDir());
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
        forever.await();
      }
      out.println("removing the demo's namespaces, processes and API server");
      return 0;
    }
  }

  private static boolean anyPending(KubernetesMesh cluster) {
    return cluster.nodes.keySet().stream().map(cluster::nodeConfig).anyMatch(c -> c == null || c.getStatus() == null
        || c.getStatus().getDirect() == null || c.getStatus().getRelayed() == null
        || c.getStatus().getDirect() + c.getStatus().getRelayed() < cluster.nodes.size() - 1);
  }

  private static String pingSummary(dev.wgmesh.lab.Host from, String to) {
    return from.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", to).stdout().lines()
        .filter(l -> l.contains("packet loss")).findFirst().orElse("no answer").replaceAll(", time.*", "");
  }

  /** How each node reaches each peer, as its agent tells (its /peers; its node config's status holds only counts and the peers off their best path). */
  private void printStatus(KubernetesMesh cluster) {
    out.println();
    out.printf("%-6s  %-6s  %-8s  %s%n", "NODE", "PEER", "PATH", "ENDPOINT (reported by the node's agent)");
    Map<String, String> names = new java.util.HashMap<>();
    cluster.tunnelAddresses().forEach((name, address) -> names.put(address, name));
    for (String node : cluster.nodes.keySet()) {
      List<dev.wgmesh.agent.PeerDetail> peers;
      try {
        peers = cluster.agentPeers(node);
      } catch (RuntimeException e) {
        out.printf("%-6s  %s%n", node, "(agent not answering yet)");
        continue;
      }
      for (dev.wgmesh.agent.PeerDetail p : peers) {
        out.printf("%-6s  %-6s  %-8s  %s%n", node, names.getOrDefault(p.address(), p.address()), p.path(),
            p.endpoint() == null ? "-" : p.endpoint());
      }
    }
  }

  private int runStandalone(Duration limit) throws Exception {
    try (StandaloneMesh mesh = new StandaloneMesh("demo")) {
      out.println("registry: public host, tunnel address " + StandaloneMesh.REGISTRY_IP + ", zone " + StandaloneMesh.ZONE);
      for (Site site : SITES) {
        StandaloneMesh.Node node = mesh.addMeshedNode(site.name(), site.nat());
        out.printf("site %-6s %s, tunnel address %s, behind %s%n", site.name(), node.host.address().getHostAddress(),
            node.tunnelIp, site.what());
      }
      SITES.forEach(site -> mesh.startAgent(mesh.node(site.name())));
      out.println("agents started; waiting for every pair to connect (up to " + Durations.format(limit) + ")");
      Instant deadline = Instant.now().plus(limit);
      boolean connected = false;
      while (Instant.now().isBefore(deadline)) {
        connected = allPairsPing(mesh);
        printTable(mesh);
        if (connected) {
          break;
        }
        Thread.sleep(2000);
      }
      if (!connected) {
        out.println("not every pair connected within " + Durations.format(limit) + "; logs are in " + mesh.lab.logDir());
        return 1;
      }
      out.println();
      out.println("every pair connected; ping across every pair:");
      for (StandaloneMesh.Node from : mesh.nodes()) {
        for (StandaloneMesh.Node to : mesh.nodes()) {
          if (from != to) {
            String summary = from.host.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", to.tunnelIp).stdout().lines()
                .filter(l -> l.contains("packet loss") || l.startsWith("rtt")).reduce((a, b) -> a + ", " + b).orElse("no answer");
            out.printf("  %-6s -> %-6s %s%n", from.name, to.name, summary);
          }
        }
      }
      writeGraph(mesh);
      if (keep) {
        explain(mesh);
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
        forever.await();
      }
      out.println("removing the demo's namespaces and processes");
      return 0;
    }
  }

  private boolean allPairsPing(StandaloneMesh mesh) {
    boolean all = true;
    for (StandaloneMesh.Node from : mesh.nodes()) {
      for (StandaloneMesh.Node to : mesh.nodes()) {
        if (from != to && !mesh.ping(from.name, to.name)) {
          all = false;
        }
      }
    }
    return all;
  }

  private void printTable(StandaloneMesh mesh) {
    out.println();
    out.printf("%-6s  %-6s  %-8s  %s%n", "FROM", "TO", "PATH", "WIREGUARD ENDPOINT");
    for (StandaloneMesh.Node from : mesh.nodes()) {
      for (StandaloneMesh.Node to : mesh.nodes()) {
        if (from != to) {
          String endpoint = mesh.endpointOf(from.name, to.name);
          out.printf("%-6s  %-6s  %-8s  %s%n", from.name, to.name, mesh.routeBetween(from.name, to.name).name().toLowerCase(),
              endpoint == null ? "(none yet)" : endpoint + (endpoint.startsWith("127.") ? " (local relay socket)" : ""));
        }
      }
    }
  }

  private void writeGraph(StandaloneMesh mesh) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("graph wgmesh {");
    lines.add("  registry [shape=box, label=\"registry\\n" + StandaloneMesh.REGISTRY_IP + "\"];");
    for (StandaloneMesh.Node node : mesh.nodes()) {
      lines.add("  " + node.name + " [label=\"" + node.name + "\\n" + node.tunnelIp + "\"];");
      lines.add("  " + node.name + " -- registry [style=dotted, color=gray];");
    }
    List<StandaloneMesh.Node> nodes = mesh.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      for (int j = i + 1; j < nodes.size(); j++) {
        Route route = mesh.routeBetween(nodes.get(i).name, nodes.get(j).name);
        String style = route == Route.DIRECT ? "style=bold, color=darkgreen, label=\"direct\""
            : route == Route.RELAYED ? "style=dashed, color=orange, label=\"relayed\"" : "style=dotted, color=red, label=\"pending\"";
        lines.add("  " + nodes.get(i).name + " -- " + nodes.get(j).name + " [" + style + "];");
      }
    }
    lines.add("}");
    Files.write(graph, lines);
    out.println("mesh graph written to " + graph.toAbsolutePath() + " (render: dot -Tsvg " + graph + " > mesh.svg)");
  }

  private void explain(StandaloneMesh mesh) {
    StandaloneMesh.Node first = mesh.nodes().get(0);
    out.println();
    out.println("the mesh stays up until Ctrl-C. Explore it:");
    out.println("  ip netns exec " + first.host.namespace() + " wg show");
    out.println("  ip netns exec " + first.host.namespace() + " dig @" + StandaloneMesh.REGISTRY_IP + " _wireguard._udp." + StandaloneMesh.ZONE + " PTR +short");
    out.println("  ip netns exec " + first.host.namespace() + " ping " + mesh.nodes().get(2).tunnelIp);
    out.println("  logs: " + mesh.lab.logDir());
  }

  /** Installs the lab's system packages with apt-get when missing (the demo runs as root). */
  private boolean installPrerequisites() throws IOException, InterruptedException {
    List<String> missing = LabPrerequisites.missing();
    if (missing.isEmpty()) {
      return true;
    }
    if (missing.contains("root privileges")) {
      System.err.println("wgmesh demo: needs root (network namespaces, iptables, WireGuard): run it as root, or with sudo");
      return false;
    }
    out.println("installing " + String.join(" ", PACKAGES) + " with apt-get (missing: " + String.join(", ", missing) + ")");
    int update = new ProcessBuilder("apt-get", "update", "-q").inheritIO().start().waitFor();
    List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
    install.addAll(PACKAGES);
    ProcessBuilder pb = new ProcessBuilder(install).inheritIO();
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    int code = pb.start().waitFor();
    List<String> still = LabPrerequisites.missing();
    if (update != 0 || code != 0 || !still.isEmpty()) {
      System.err.println("wgmesh demo: could not install what it needs; still missing: " + String.join(", ", still));
      return false;
    }
    return true;
  }
}
