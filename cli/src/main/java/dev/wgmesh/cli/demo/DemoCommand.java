package dev.wgmesh.cli.demo;

import dev.wgmesh.cli.demo.StandaloneMesh.Route;
import dev.wgmesh.core.util.Durations;
import dev.wgmesh.lab.LabPrerequisites;
import dev.wgmesh.lab.NatKind;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wgmesh demo}: the whole idea on one machine. Three sites behind different NATs (one
 * symmetric) and a public registry, in network namespaces; real wireguard-go, registry and agent
 * processes; a live table until every pair is connected, a ping across every pair, a graph.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Bring up a WireGuard mesh across simulated NATs on this machine (root; Linux).")
public final class DemoCommand implements Callable<Integer> {
  static final List<String> PACKAGES = List.of("wireguard-go", "wireguard-tools", "iproute2", "iptables", "iputils-ping", "bind9-dnsutils");

  @Option(names = "--timeout", defaultValue = "120s", description = "Give up when the mesh is not connected by then (default: ${DEFAULT-VALUE})")
  String timeout;

  @Option(names = "--keep", description = "Leave the mesh up for exploring until Ctrl-C")
  boolean keep;

  @Option(names = "--graph", defaultValue = "wgmesh-demo.dot", description = "Where to write the mesh graph (Graphviz DOT; default: ${DEFAULT-VALUE})")
  Path graph;

  private final PrintStream out = System.out;

  record Site(String name, NatKind nat, String what) {}

  static final List<Site> SITES = List.of(
      new Site("home", NatKind.PORT_RESTRICTED, "home router (port-restricted cone NAT)"),
      new Site("cloud", NatKind.CONE, "cloud VM (full-cone NAT)"),
      new Site("cafe", NatKind.SYMMETRIC, "cafe hotspot (symmetric NAT: punching fails)"));

  @Override
  public Integer call() throws Exception {
    Duration limit = Durations.parse(timeout);
    if (!installPrerequisites()) {
      return 1;
    }
    try (StandaloneMesh mesh = new StandaloneMesh("demo")) {
      out.println("registry: public host, tunnel address " + StandaloneMesh.REGISTRY_IP + ", zone " + StandaloneMesh.ZONE);
      for (Site site : SITES) {
        StandaloneMesh.Node node = mesh.addNode(site.name(), site.nat());
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
      System.err.println("wgmesh demo: needs root (network namespaces, iptables, WireGuard): run it with sudo");
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
