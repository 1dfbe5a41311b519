package dev.wgmesh.cli.ctl;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Text the ctl commands print, built from a {@link MeshView} alone: pure and tested as such. */
public final class Renderers {
  private Renderers() {}

  /** A table per node of how it reaches each peer, then the peers that are not in the mesh and why. */
  public static String status(MeshView view) {
    StringBuilder out = new StringBuilder();
    var ms = view.mesh().getStatus();
    out.append("mesh ").append(view.name()).append(": network ").append(view.mesh().getSpec().getNetwork());
    if (ms != null && ms.getPeers() != null) {
      out.append(", ").append(ms.getReady()).append("/").append(ms.getPeers()).append(" peers ready, ")
          .append(n(ms.getDirect())).append(" direct, ").append(n(ms.getRelayed())).append(" relayed");
    }
    out.append('\n');
    out.append(registries(view));
    List<WireGuardNodeConfig> configs = new ArrayList<>(view.nodeConfigs());
    configs.sort(Comparator.comparing(c -> c.getMetadata().getName()));
    for (WireGuardNodeConfig config : configs) {
      if (Boolean.TRUE.equals(config.getSpec().getRegistry())) {
        continue;
      }
      WireGuardNodeConfigStatus st = config.getStatus();
      out.append('\n').append("node ").append(config.getMetadata().getName()).append("  ")
          .append(String.join(",", config.getSpec().getInterfaceSpec().getAddresses()));
      if (st == null || st.getAppliedGeneration() == null) {
        out.append("  (not applied yet: is the agent running on this node?)\n");
        continue;
      }
      boolean current = Objects.equals(st.getAppliedGeneration(), config.getMetadata().getGeneration());
      out.append("  applied ").append(current ? "current" : "generation " + st.getAppliedGeneration());
      if (st.getLastError() != null) {
        out.append("  LAST ERROR: ").append(st.getLastError());
      }
      out.append('\n').append("  paths: ").append(pathCounts(st)).append('\n');
      if (!st.getPeers().isEmpty()) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"  PEER", "ADDRESS", "PATH", "ENDPOINT"});
        for (WireGuardNodeConfigStatus.PeerStatus ps : st.getPeers()) {
          rows.add(new String[] {"  " + ps.getName(), addressOf(view, ps.getName()), pathOf(ps), Objects.toString(ps.getEndpoint(), "-")});
        }
        out.append(table(rows));
      }
      if (st.getPeersOmitted() != null && st.getPeersOmitted() > 0) {
        out.append("  and ").append(st.getPeersOmitted()).append(" more not on their best path\n");
      }
    }
    if (configs.stream().anyMatch(c -> c.getStatus() != null && !Boolean.TRUE.equals(c.getSpec().getRegistry()))) {
      out.append("\nlisted: peers not on their best path (relayed, pending); every peer of a node: wgmeshctl peers --agent http://<node>:9588\n");
    }
    List<WireGuardPeer> outside = view.peers().stream().filter(p -> !ready(p)).toList();
    if (!outside.isEmpty()) {
      out.append("\npeers not in the mesh:\n");
      for (WireGuardPeer p : outside) {
        String why = p.getStatus() == null ? "not reconciled yet" : p.getStatus().getConditions().stream()
            .filter(c -> !c.getType().equals("Ready") && c.isTrue()).map(c -> c.getType() + ": " + c.getMessage())
            .findFirst().orElse("not ready");
        out.append("  ").append(p.getMetadata().getName()).append("  ").append(why).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * The mesh's registries: name, tunnel address, endpoint, health and from how many nodes each
   * answers through the tunnel, from the mesh status (the operator aggregates what the agents
   * report); before the operator wrote one, the spec's registries with their health unknown.
   */
  static String registries(MeshView view) {
    var ms = view.mesh().getStatus();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"  REGISTRY", "ADDRESS", "ENDPOINT", "HEALTH", "REACHABLE FROM"});
    if (ms != null && ms.getRegistries() != null && !ms.getRegistries().isEmpty()) {
      for (WireGuardMeshStatus.RegistryStatus r : ms.getRegistries()) {
        rows.add(new String[] {"  " + Objects.toString(r.getName(), "registry"), Objects.toString(r.getAddress(), "-"),
            Objects.toString(r.getEndpoint(), "(no endpoint)"),
            r.getHealthy() == null ? "unknown" : r.getHealthy() ? "healthy" : "UNHEALTHY",
            n(r.getReachableFrom()) + "/" + n(r.getNodes()) + " nodes"});
      }
    } else {
      for (WireGuardMeshSpec.RegistrySpec r : view.mesh().getSpec().effectiveRegistries()) {
        rows.add(new String[] {"  " + Objects.toString(r.getName(), "registry"), Objects.toString(r.getAddress(), "-"),
            Objects.toString(r.getEndpoint(), "(no endpoint)"), "unknown", "-"});
      }
    }
    return "\n" + table(rows);
  }

  /**
   * A wg-quick file for an external peer: its address, the registry (for discovery) and every
   * member of the mesh. The private key is never fetched from the cluster: it is read from a local
   * file by the caller, or left as a placeholder.
   */
  public static String wgQuick(MeshView view, WireGuardPeer self, Optional<String> privateKey) {
    if (self.getStatus() == null || self.getStatus().getAddress() == null) {
      throw new IllegalStateException("peer " + self.getMetadata().getName() + " has no address yet: "
          + (self.getStatus() == null ? "the operator has not reconciled it" : conditionsText(self.getStatus().getConditions())));
    }
    int prefix = IpPrefix.parse(view.mesh().getSpec().getNetwork()).length();
    StringBuilder out = new StringBuilder();
    out.append("# wgmesh: peer ").append(self.getMetadata().getName()).append(" of mesh ").append(view.name()).append('\n');
    out.append("[Interface]\n");
    out.append("PrivateKey = ").append(privateKey.orElse("<contents of the private key file whose public key is " + self.getSpec().getPublicKey() + ">")).append('\n');
    out.append("Address = ").append(self.getStatus().getAddress()).append('/').append(prefix).append('\n');
    out.append("MTU = ").append(view.mesh().getSpec().getMtu()).append('\n');
    var ms = view.mesh().getStatus();
    for (WireGuardMeshStatus.RegistryStatus r : ms == null || ms.getRegistries() == null ? List.<WireGuardMeshStatus.RegistryStatus>of()
        : ms.getRegistries()) {
      if (r.getPublicKey() == null) {
        continue;
      }
      String zone = view.mesh().getSpec().effectiveRegistries().stream().filter(s -> Objects.equals(s.getName(), r.getName()))
          .map(WireGuardMeshSpec.RegistrySpec::getZone).findFirst().orElse("?");
      out.append("\n# ").append(r.getName() == null ? "the registry" : "registry " + r.getName())
          .append(": endpoint discovery (DNS-SD at ").append(r.getAddress()).append(":53, zone ").append(zone).append(")\n");
      out.append("[Peer]\n");
      out.append("PublicKey = ").append(r.getPublicKey()).append('\n');
      if (r.getEndpoint() != null) {
        out.append("Endpoint = ").append(r.getEndpoint()).append('\n');
      }
      out.append("AllowedIPs = ").append(r.getAddress()).append("/32\n");
      out.append("PersistentKeepalive = ").append(view.mesh().getSpec().getPersistentKeepalive()).append('\n');
    }
    List<WireGuardPeer> others = new ArrayList<>(view.peers());
    others.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (WireGuardPeer other : others) {
      if (other == self || !ready(other) || other.getSpec().getPublicKey().equals(self.getSpec().getPublicKey())) {
        continue;
      }
      out.append("\n# ").append(other.getMetadata().getName()).append(other.getSpec().getNodeName() == null ? " (external)" : " (node)").append('\n');
      out.append("[Peer]\n");
      out.append("PublicKey = ").append(other.getSpec().getPublicKey()).append('\n');
      endpointOf(other).ifPresent(e -> out.append("Endpoint = ").append(e).append('\n'));
      out.append("AllowedIPs = ").append(String.join(", ", other.getStatus().getAllowedIPs())).append('\n');
      out.append("PersistentKeepalive = ").append(view.mesh().getSpec().getPersistentKeepalive()).append('\n');
    }
    return out.toString();
  }

  /** The mesh as Graphviz DOT: direct edges solid, relayed dashed, pending dotted; the registry in the middle. */
  public static String graph(MeshView view) {
    StringBuilder out = new StringBuilder("graph \"" + view.name() + "\" {\n  layout=neato; overlap=false;\n");
    out.append("  registry [shape=box, style=filled, fillcolor=lightgray];\n");
    List<WireGuardPeer> peers = new ArrayList<>(view.peers());
    peers.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (WireGuardPeer p : peers) {
      if (ready(p)) {
        out.append("  \"").append(p.getMetadata().getName()).append("\" [label=\"").append(p.getMetadata().getName())
            .append("\\n").append(p.getStatus().getAddress()).append("\"").append(p.getSpec().getNodeName() == null ? ", shape=ellipse, style=dashed" : "")
            .append("];\n");
      }
    }
    Set<String> drawn = new HashSet<>();
    List<WireGuardNodeConfig> configs = new ArrayList<>(view.nodeConfigs());
    configs.sort(Comparator.comparing(c -> c.getMetadata().getName()));
    for (WireGuardNodeConfig config : configs) {
      String from = config.getMetadata().getName();
      if (Boolean.TRUE.equals(config.getSpec().getRegistry()) || config.getStatus() == null) {
        continue;
      }
      out.append("  \"").append(from).append("\" -- registry [color=gray, style=dotted];\n");
      for (WireGuardNodeConfigStatus.PeerStatus ps : config.getStatus().getPeers()) {
        String a = from.compareTo(ps.getName()) < 0 ? from : ps.getName();
        String b = a.equals(from) ? ps.getName() : from;
        if (!drawn.add(a + "\u0000" + b)) {
          continue; // each pair once; the first side's view wins
        }
        String mode = pathOf(ps);
        String style = switch (mode) {
          case "direct", "lan", "ipv6" -> "color=darkgreen, penwidth=2";
          case "relayed" -> "color=orange, style=dashed";
          default -> "color=red, style=dotted";
        };
        out.append("  \"").append(a).append("\" -- \"").append(b).append("\" [").append(style).append(", label=\"").append(mode).append("\"];\n");
      }
    }
    // Agents list only the peers not on their best path: two nodes neither of which lists the other reach each other directly.
    List<String> reporting = configs.stream().filter(c -> !Boolean.TRUE.equals(c.getSpec().getRegistry()) && c.getStatus() != null)
        .map(c -> c.getMetadata().getName()).toList();
    for (int i = 0; i < reporting.size(); i++) {
      for (int j = i + 1; j < reporting.size(); j++) {
        if (drawn.add(reporting.get(i) + "\u0000" + reporting.get(j))) {
          out.append("  \"").append(reporting.get(i)).append("\" -- \"").append(reporting.get(j))
              .append("\" [color=darkgreen, penwidth=2, label=\"best path\"];\n");
        }
      }
    }
    return out.append("}\n").toString();
  }

  /**
   * A node's peers per kind of path, e.g. {@code 2 lan, 1 direct, 1 relayed}; from the counts by
   * mode when the agent reports no kinds (an older agent).
   */
  static String pathCounts(WireGuardNodeConfigStatus st) {
    Map<String, Integer> paths = st.getPaths() != null && !st.getPaths().isEmpty() ? st.getPaths()
        : Map.of("direct", n(st.getDirect()), "relayed", n(st.getRelayed()), "pending", n(st.getPending()));
    List<String> parts = new ArrayList<>();
    for (String kind : List.of("lan", "ipv6", "direct", "relayed", "pending")) {
      if (paths.getOrDefault(kind, 0) > 0) {
        parts.add(paths.get(kind) + " " + kind);
      }
    }
    return parts.isEmpty() ? "no peers" : String.join(", ", parts);
  }

  /** The agent's view of each of its peers ({@code /peers} on its metrics port), names from the mesh where it knows the key. */
  public static String peers(List<dev.wgmesh.agent.PeerDetail> peers, Map<String, String> namesByKey) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PEER", "ADDRESS", "PATH", "ENDPOINT", "LAST HANDSHAKE", "DIRECT PROBE"});
    for (dev.wgmesh.agent.PeerDetail p : peers) {
      rows.add(new String[] {namesByKey.getOrDefault(p.publicKey(), p.publicKey()), Objects.toString(p.address(), "-"), p.path(),
          Objects.toString(p.endpoint(), "-"), Objects.toString(p.lastHandshake(), "never"),
          p.probing() ? "running" : p.nextProbe() != null ? "next " + p.nextProbe() : "-"});
    }
    return table(rows);
  }

  /** The kind of path a node reports for a peer (lan, ipv6, direct, relayed, pending); agents before it reported only the mode. */
  static String pathOf(WireGuardNodeConfigStatus.PeerStatus ps) {
    return Objects.toString(ps.getPath(), Objects.toString(ps.getMode(), "pending"));
  }

  static boolean ready(WireGuardPeer p) {
    return p.getStatus() != null && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.isTrue());
  }

  private static Optional<String> endpointOf(WireGuardPeer p) {
    if (p.getSpec().getEndpoint() != null) {
      return Optional.of(p.getSpec().getEndpoint());
    }
    return Optional.ofNullable(p.getStatus().getEndpoint());
  }

  private static String addressOf(MeshView view, String peerName) {
    return view.peers().stream().filter(p -> p.getMetadata().getName().equals(peerName) && p.getStatus() != null)
        .map(p -> Objects.toString(p.getStatus().getAddress(), "-")).findFirst().orElse("-");
  }

  private static String conditionsText(List<Condition> conditions) {
    return conditions.stream().map(Condition::toString).reduce((a, b) -> a + "; " + b).orElse("no conditions");
  }

  private static int n(Integer i) {
    return i == null ? 0 : i;
  }

  /** Left-aligned columns, two spaces apart. */
  static String table(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }
}
