package dev.wgmesh.bench;

import static dev.wgmesh.bench.BenchEnvironment.loadAverage;
import static dev.wgmesh.bench.BenchEnvironment.positive;
import static dev.wgmesh.bench.BenchEnvironment.words;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.PingWatch;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import dev.wgmesh.lab.StandaloneMesh.Node;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The driver of {@code bench/convergence}: how fast agents connect, in the NAT lab, with real
 * wireguard-go, iptables NATs, registry and agent processes (docs/architecture.md, Targets):
 *
 * <ol>
 *   <li><b>direct</b>: two nodes behind two port-restricted NATs; from the moment both agents run
 *       (and both nodes have a handshake with the registry) to the first ping answered over the
 *       direct path;
 *   <li><b>relayed</b>: a node behind a symmetric NAT and one behind a port-restricted NAT; the same
 *       clock, to the first ping answered through the registry relay;
 *   <li><b>recovery</b>: a direct tunnel with pings flowing; one NAT starts mapping to other ports
 *       and forgets its connections; the time to the next answered ping;
 *   <li><b>rss</b>: one agent whose device has many peers (random keys, /32 each, most without an
 *       endpoint) besides the registry; its resident memory after it has run for a while.
 *   <li><b>rss-kubernetes</b>: the same for {@code wgmesh agent --kubernetes} against the strict
 *       test API server, its peers from WireGuardPeerSets, at each of RSS_KUBERNETES_PEERS
 *       ({@link KubernetesRss}).
 * </ol>
 *
 * Every trial uses a fresh pair of nodes (new namespaces, NAT routers, wireguard-go devices and
 * agents); the registry of a scenario is shared. Pings run continuously from the first node
 * ({@code ping -D -i 0.1}, a request every 100 ms) and their reply timestamps are the
 * measurement. Agents and registry run as the launcher runs them: {@code java <options> -jar
 * wgmesh.jar agent ...}. Settings come from the environment (see {@link Settings}); the table
 * goes to stdout and to the file given with {@code --out}. Needs root; the labs remove everything
 * they made when the run ends, fails or is interrupted.
 */
public final class ConvergenceBench {
  static final int KEEPALIVE = StandaloneMesh.KEEPALIVE;
  /** A lab holds at most 50 NAT hosts. */
  static final int MAX_NAT_HOSTS_PER_LAB = 50;

  /** The project's targets (docs/architecture.md, Targets): first packet p50 <= 1 s, p95 <= 2 s on any path; recovery <= 3 s. */
  static final Duration DIRECT_TARGET_P50 = Duration.ofSeconds(1);
  static final Duration DIRECT_TARGET_P95 = Duration.ofSeconds(2);
  static final Duration RELAYED_TARGET_P50 = Duration.ofSeconds(1);
  static final Duration RELAYED_TARGET_P95 = Duration.ofSeconds(2);
  static final Duration RECOVERY_TARGET = Duration.ofSeconds(3);
  static final long RSS_TARGET_KIB = 96 * 1024;
  /** The project's targets for the agent in Kubernetes mode: VmRSS by peer count. */
  static final Map<Integer, Long> RSS_KUBERNETES_TARGET_KIB = Map.of(100, 40 * 1024L, 1000, 64 * 1024L);

  /** Longest wait for one trial before it counts as failed. */
  static final Duration DIRECT_LIMIT = Duration.ofSeconds(30);
  static final Duration RELAYED_LIMIT = Duration.ofSeconds(45);
  static final Duration RECOVERY_LIMIT = Duration.ofSeconds(45);

  private final Settings settings;
  private final ProductJar product;
  private final PrintStream out = System.out;
  private final List<String> notes = new ArrayList<>();

  ConvergenceBench(Settings settings, ProductJar product) {
    this.settings = settings;
    this.product = product;
  }

  public static void main(String[] args) throws Exception {
    Path outFile = BenchEnvironment.outFile(args, ConvergenceBench.class.getName(), Settings.HELP);
    Settings settings;
    try {
      settings = Settings.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("convergence: " + e.getMessage());
      System.exit(2);
      return;
    }
    ProductJar product;
    try {
      product = ProductJar.locate();
    } catch (IllegalStateException e) {
      System.err.println("convergence: " + e.getMessage());
      System.exit(2);
      return;
    }
    ConvergenceBench bench = new ConvergenceBench(settings, product);
    int failures = bench.run(outFile);
    System.exit(failures == 0 ? 0 : 1);
  }

  /** Runs the scenarios; returns the number of targets missed. */
  int run(Path outFile) throws IOException {
    long start = System.nanoTime();
    List<Verdict> verdicts = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    List<String> rssRows = new ArrayList<>();
    List<String> rssKubernetesRows = new ArrayList<>();
    for (String scenario : settings.scenarios()) {
      switch (scenario) {
        case "direct" -> {
          Stats s = directTrials();
          rows.add(s.row("direct (2x port-restricted)"));
          verdicts.add(Verdict.atMost("direct p50", s.percentile(50), DIRECT_TARGET_P50));
          verdicts.add(Verdict.atMost("direct p95", s.percentile(95), DIRECT_TARGET_P95));
        }
        case "relayed" -> {
          Stats s = relayedTrials();
          rows.add(s.row("relayed (symmetric + port-restr.)"));
          verdicts.add(Verdict.atMost("relayed p50", s.percentile(50), RELAYED_TARGET_P50));
          verdicts.add(Verdict.atMost("relayed p95", s.percentile(95), RELAYED_TARGET_P95));
        }
        case "recovery" -> {
          Stats s = recoveryTrials();
          rows.add(s.row("recovery (NAT mapping change)"));
          verdicts.add(Verdict.atMost("recovery max", s.percentile(100), RECOVERY_TARGET));
        }
        case "rss" -> rssTrial(rssRows, verdicts);
        case "rss-kubernetes" -> rssKubernetesTrials(rssKubernetesRows, verdicts);
        default -> throw new IllegalStateException(scenario);
      }
    }
    List<String> report = BenchEnvironment.header("wgmesh convergence benchmark", "TRIALS=" + settings.trials() + " RECOVERY_TRIALS="
        + settings.recoveryTrials() + " RSS_PEERS=" + settings.rssPeers() + " RSS_KUBERNETES_PEERS=\"" + settings.rssKubernetesPeers().stream()
        .map(String::valueOf).reduce((a, b) -> a + " " + b).orElse("") + "\" RSS_SETTLE=" + settings.rssSettle().toSeconds()
        + "s SCENARIOS=\"" + String.join(" ", settings.scenarios()) + "\"", settings.agentOpts(), settings.loadBefore());
    report.add("agents and registry run as the launcher runs them: java <options> -jar wgmesh.jar agent|registry ...;"
        + " registry --relay with its default --refresh 1s; node peers configured with keepalive " + KEEPALIVE + " s, no endpoint");
    report.add("clock of direct/relayed: from the moment both agents have started (both nodes already have a handshake with the"
        + " registry) to the arrival of the first ping reply over that path (ping -D -i 0.1 from the first node, running from"
        + " the start); of recovery: from the NAT change to the next reply");
    report.add("");
    if (!rows.isEmpty()) {
      report.add(String.format(Locale.ROOT, "%-34s %6s %8s %8s %8s %8s  %s", "scenario", "trials", "p50 s", "p95 s", "max s", "failed",
          "all (s, in order)"));
      report.addAll(rows);
    }
    if (!rssRows.isEmpty()) {
      if (!rows.isEmpty()) {
        report.add("");
      }
      report.add(String.format(Locale.ROOT, "agent memory, one agent on a device with %d peers plus the registry, after %d s:",
          settings.rssPeers(), settings.rssSettle().toSeconds()));
      report.add(String.format(Locale.ROOT, "  %9s %9s %7s %6s  %s", "VmRSS MiB", "peak MiB", "threads", "CPU s", "JVM options"));
      report.addAll(rssRows);
    }
    if (!rssKubernetesRows.isEmpty()) {
      if (!rows.isEmpty() || !rssRows.isEmpty()) {
        report.add("");
      }
      report.add(String.format(Locale.ROOT, "agent memory in Kubernetes mode (wgmesh agent --kubernetes, strict test API server, the peers"
          + " in WireGuardPeerSets, the registry reachable), %d s after the agent applied its configuration:",
          settings.rssSettle().toSeconds()));
      report.add(String.format(Locale.ROOT, "  %5s %9s %9s %7s %6s  %s", "peers", "VmRSS MiB", "peak MiB", "threads", "CPU s", "options"));
      report.addAll(rssKubernetesRows);
    }
    report.add("");
    report.add("targets checked here (the project's targets: docs/architecture.md, Targets):");
    int failures = Verdict.report(verdicts, notes, report);
    report.add("");
    report.add("percentiles: nearest rank; a trial that did not connect within its limit counts as slower than any other");
    BenchEnvironment.finish(report, start, outFile, out);
    return failures;
  }

  // ---- scenarios -------------------------------------------------------------------------------

  /** One trial on a fresh pair of nodes: the time measured, or empty when it never connected. */
  private interface Trial {
    Optional<Duration> run(StandaloneMesh world, int number);
  }

  /**
   * Runs {@code count} trials, each in a world with room for a fresh pair of nodes. A trial that
   * fails with an error counts as not connected and is noted; three such in a row end the run.
   */
  private Stats trials(String what, String purpose, int count, Trial trial) {
    Stats stats = new Stats();
    int errorsInARow = 0;
    try (Worlds worlds = new Worlds(purpose)) {
      for (int i = 1; i <= count; i++) {
        Optional<Duration> took;
        try {
          took = trial.run(worlds.forPairs(1), i);
          errorsInARow = 0;
        } catch (RuntimeException e) {
          if (++errorsInARow >= 3) {
            throw e;
          }
          String message = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
          notes.add(what + " trial " + i + " failed with an error, counted as not connected: " + message);
          took = Optional.empty();
        }
        stats.add(took);
        progress("  %s %2d: %s", what, i, took.map(ConvergenceBench::seconds).orElse("not connected"));
      }
    }
    return stats;
  }

  private Stats directTrials() {
    progress("direct: %d trials, two nodes behind port-restricted NATs, time to the first ping over the direct path", settings.trials());
    return trials("direct", "bench-direct", settings.trials(), (w, i) -> {
      Node a = w.addNode("da" + i, NatKind.PORT_RESTRICTED);
      Node b = w.addNode("db" + i, NatKind.PORT_RESTRICTED);
      try {
        w.link(a, b);
        w.awaitRegistered(a, b);
        Instant t0 = w.startAgents(settings.agentOpts(), a, b);
        try (PingWatch ping = new PingWatch(a, b)) {
          return ping.awaitReply(t0, DIRECT_LIMIT, () -> isDirect(a, b)).map(t -> Duration.between(t0, t));
        }
      } finally {
        w.retire(a, b);
      }
    });
  }

  private Stats relayedTrials() {
    progress("relayed: %d trials, symmetric NAT and port-restricted NAT, time to the first ping through the relay", settings.trials());
    return trials("relayed", "bench-relay", settings.trials(), (w, i) -> {
      Node c = w.addNode("rc" + i, NatKind.SYMMETRIC);
      Node d = w.addNode("rd" + i, NatKind.PORT_RESTRICTED);
      try {
        w.link(c, d);
        w.awaitRegistered(c, d);
        Instant t0 = w.startAgents(settings.agentOpts(), c, d);
        try (PingWatch ping = new PingWatch(c, d)) {
          return ping.awaitReply(t0, RELAYED_LIMIT, () -> c.endpointOf(d).map(e -> e.startsWith("127.")).orElse(false))
              .map(t -> Duration.between(t0, t));
        }
      } finally {
        w.retire(c, d);
      }
    });
  }

  private Stats recoveryTrials() {
    progress("recovery: %d trials, direct tunnel with pings flowing, then one NAT maps to new ports and forgets its connections",
        settings.recoveryTrials());
    int[] viaRelay = {0};
    Stats stats = trials("recovery", "bench-remap", settings.recoveryTrials(), (w, i) -> {
      Node a = w.addNode("ma" + i, NatKind.PORT_RESTRICTED);
      Node b = w.addNode("mb" + i, NatKind.PORT_RESTRICTED);
      try {
        w.link(a, b);
        w.awaitRegistered(a, b);
        Instant t0 = w.startAgents(settings.agentOpts(), a, b);
        try (PingWatch ping = new PingWatch(a, b)) {
          if (ping.awaitReply(t0, DIRECT_LIMIT, () -> isDirect(a, b) && isDirect(b, a)).isEmpty()) {
            throw new IllegalStateException("no direct tunnel to start from within " + DIRECT_LIMIT.toSeconds() + " s");
          }
          sleep(3000); // pings flow over the direct tunnel for a while
          String before = b.endpointOf(a).orElse("?");
          a.host.natRouter().remapUdp(before);
          // A reply already on its way when the mappings went is not a recovery: replies in the
          // lab take well under a millisecond, so one arriving 20 ms later was sent after.
          Instant changed = Instant.now();
          Optional<Duration> took = ping.awaitReply(changed.plusMillis(20), RECOVERY_LIMIT, () -> true)
              .map(t -> Duration.between(changed, t));
          String after = b.endpointOf(a).orElse("?");
          if (took.isPresent() && after.startsWith("127.")) {
            viaRelay[0]++;
          }
          progress("    b's endpoint for a: %s -> %s", before, after);
          return took;
        }
      } finally {
        w.retire(a, b);
      }
    });
    if (viaRelay[0] > 0) {
      notes.add("recovery: " + viaRelay[0] + " of " + settings.recoveryTrials() + " trials recovered through the relay, not directly");
    }
    return stats;
  }

  private static boolean isDirect(Node from, Node to) {
    return from.endpointOf(to).map(e -> !e.startsWith("127.")).orElse(false);
  }

  /** AGENT_JAVA_OPTS (judged), then the distinct option sets of RSS_COMPARE (for comparison). */
  private List<List<String>> rssOptionSets() {
    List<List<String>> optionSets = new ArrayList<>();
    optionSets.add(settings.agentOpts());
    for (List<String> extra : settings.rssCompare()) {
      if (!optionSets.contains(extra)) {
        optionSets.add(extra);
      }
    }
    return optionSets;
  }

  private void rssTrial(List<String> rows, List<Verdict> verdicts) {
    List<List<String>> optionSets = rssOptionSets();
    progress("rss: %d agent(s), each on a device with %d peers plus the registry, VmRSS after %d s",
        optionSets.size(), settings.rssPeers(), settings.rssSettle().toSeconds());
    try (Worlds worlds = new Worlds("bench-rss")) {
      StandaloneMesh w = worlds.forPairs(0);
      List<Node> nodes = new ArrayList<>();
      List<Instant> started = new ArrayList<>();
      for (int i = 0; i < optionSets.size(); i++) {
        Node n = w.addNode("m" + (i + 1), null);
        addDummyPeers(n, settings.rssPeers());
        w.awaitRegistered(n);
        nodes.add(n);
      }
      for (int i = 0; i < nodes.size(); i++) {
        w.startAgent(nodes.get(i), optionSets.get(i));
        started.add(Instant.now());
      }
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        long wait = Duration.between(Instant.now(), started.get(i).plus(settings.rssSettle())).toMillis();
        if (wait > 0) {
          sleep(wait);
        }
        if (!n.agent.isAlive()) {
          throw new IllegalStateException("the agent with options " + optionSets.get(i) + " died:\n" + n.agent.log());
        }
        Memory m = Memory.of(n.agent);
        int peersSeen = n.wg.peers().size();
        rows.add("  " + m.row(optionSets.get(i), i == 0));
        if (i == 0) {
          verdicts.add(m.verdict(peersSeen - 1, RSS_TARGET_KIB));
        }
        progress("  rss: %.1f MiB with %s", m.rssKib() / 1024.0, Memory.options(optionSets.get(i)));
      }
      noteWarnings("rss", nodes.get(0).agent);
    }
  }

  /**
   * Agents in Kubernetes mode ({@link KubernetesRss}), one round per peer count of
   * RSS_KUBERNETES_PEERS; in each, one agent per option set, all at the same time.
   */
  private void rssKubernetesTrials(List<String> rows, List<Verdict> verdicts) {
    List<List<String>> optionSets = rssOptionSets();
    for (int peers : settings.rssKubernetesPeers()) {
      progress("rss-kubernetes: %d agent(s) in Kubernetes mode, each applying %d peers from WireGuardPeerSets, VmRSS %d s after it"
          + " applied them",
          optionSets.size(), peers, settings.rssSettle().toSeconds());
      try (Worlds worlds = new Worlds("bench-rssk"); KubernetesRss cluster = new KubernetesRss(worlds.forPairs(0), product, peers)) {
        // One after the other, each once the previous one applied its configuration (1000 routes,
        // one `ip route` each, take a while): agents applying at once would load the machine. The
        // settle time counts from that.
        List<KubernetesRss.Agent> agents = new ArrayList<>();
        List<Instant> started = new ArrayList<>();
        for (int i = 0; i < optionSets.size(); i++) {
          KubernetesRss.Agent a = cluster.startAgent("k" + (i + 1), optionSets.get(i));
          agents.add(a);
          started.add(a.awaitApplied(Duration.ofMinutes(5)));
        }
        for (int i = 0; i < agents.size(); i++) {
          KubernetesRss.Agent a = agents.get(i);
          long wait = Duration.between(Instant.now(), started.get(i).plus(settings.rssSettle())).toMillis();
          if (wait > 0) {
            sleep(wait);
          }
          if (!a.process().isAlive()) {
            throw new IllegalStateException("the agent with options " + optionSets.get(i) + " died:\n" + a.process().log());
          }
          Memory m = Memory.of(a.process());
          int peersSeen = a.peersOnDevice() - 1; // the registry
          if (peersSeen != peers) {
            notes.add(String.format(Locale.ROOT, "rss-kubernetes: the agent with %s had %d of %d peers on its device when measured",
                Memory.options(optionSets.get(i)), peersSeen, peers));
          }
          rows.add(String.format(Locale.ROOT, "  %5d %s", peers, m.row(optionSets.get(i), i == 0)));
          Long target = RSS_KUBERNETES_TARGET_KIB.get(peers);
          if (i == 0 && target != null) {
            verdicts.add(m.verdict(peersSeen, target));
          }
          progress("  rss-kubernetes, %d peers: %.1f MiB with %s", peers, m.rssKib() / 1024.0, Memory.options(optionSets.get(i)));
        }
        noteWarnings("rss-kubernetes with " + peers + " peers", agents.get(0).process());
      }
    }
  }

  /** Notes the first warnings or errors the measured agent logged. */
  private void noteWarnings(String scenario, ManagedProcess agent) {
    String errors = agent.log().lines().filter(l -> l.contains("[WARN]") || l.contains("[ERROR]")).limit(3)
        .reduce("", (x, y) -> x + "\n    " + y);
    if (!errors.isEmpty()) {
      notes.add(scenario + ": the measured agent logged warnings:" + errors);
    }
  }

  /**
   * An agent's memory from /proc/PID/status: VmRSS, VmHWM (the peak of VmRSS) in KiB, and threads;
   * and the CPU time it used so far (user + system, /proc/PID/stat), what an option may trade.
   */
  record Memory(long rssKib, long hwmKib, long threads, double cpuSeconds) {
    static Memory of(ManagedProcess agent) {
      long pid = javaPid(agent);
      Map<String, Long> status = procStatus(pid);
      return new Memory(status.getOrDefault("VmRSS", -1L), status.getOrDefault("VmHWM", -1L), status.getOrDefault("Threads", -1L),
          BenchEnvironment.cpuSeconds(pid));
    }

    static String options(List<String> options) {
      return options.isEmpty() ? "(JVM defaults)" : String.join(" ", options);
    }

    /** VmRSS, peak and threads in MiB, then the options; {@code judged} marks AGENT_JAVA_OPTS. */
    String row(List<String> options, boolean judged) {
      return String.format(Locale.ROOT, "%9.1f %9.1f %7d %6.1f  %s%s", rssKib / 1024.0, hwmKib / 1024.0, threads, cpuSeconds, options(options),
          judged ? "   <- AGENT_JAVA_OPTS, judged" : "   (comparison)");
    }

    Verdict verdict(int peers, long targetKib) {
      return new Verdict(String.format(Locale.ROOT, "agent RSS with %d peers = %.1f MiB (target <= %d MiB)", peers, rssKib / 1024.0,
          targetKib / 1024), rssKib >= 0 && rssKib <= targetKib);
    }
  }

  /** Adds {@code count} peers with fresh random keys, a /32 each; every tenth has an endpoint nobody answers. */
  private static void addDummyPeers(Node n, int count) {
    List<String> cmd = new ArrayList<>(List.of("wg", "set", n.wg.name()));
    for (int i = 0; i < count; i++) {
      cmd.addAll(List.of("peer", KeyPair.generate().publicKey().toBase64()));
      if (i % 10 == 9) {
        cmd.addAll(List.of("endpoint", "192.0.2." + (1 + i / 10 % 250) + ":" + (30000 + i)));
      }
      cmd.addAll(List.of("allowed-ips", "10.89." + (i / 250) + "." + (i % 250 + 1) + "/32", "persistent-keepalive", Integer.toString(KEEPALIVE)));
    }
    n.host.execOk(Duration.ofSeconds(30), cmd);
  }

  private void progress(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  // ---- the lab side ----------------------------------------------------------------------------

  /** One node: a lab host, its WireGuard device, its agent once started. */
  /** A lab with a registry; new labs are made when one runs out of NAT hosts. */
  final class Worlds implements AutoCloseable {
    private final String purpose;
    private StandaloneMesh current;
    private int made;

    Worlds(String purpose) {
      this.purpose = purpose;
    }

    StandaloneMesh forPairs(int pairs) {
      if (current != null && current.natHosts() + 2 * pairs > MAX_NAT_HOSTS_PER_LAB) {
        current.close();
        current = null;
      }
      if (current == null) {
        // the registry with its default --refresh and the benchmark's JVM options
        current = new StandaloneMesh(purpose + (made++ == 0 ? "" : "-" + made), product, settings.registryOpts());
      }
      return current;
    }

    @Override
    public void close() {
      if (current != null) {
        current.close();
      }
    }
  }

  // ---- measurements ----------------------------------------------------------------------------

  /** Trial durations; empty for a trial that never connected. */
  static final class Stats {
    final List<Optional<Duration>> trials = new ArrayList<>();

    void add(Optional<Duration> d) {
      trials.add(d);
    }

    /** Nearest-rank percentile; empty (slower than any limit) when it falls on a failed trial. */
    Optional<Duration> percentile(int p) {
      List<Optional<Duration>> sorted = new ArrayList<>(trials);
      sorted.sort((x, y) -> x.isEmpty() ? (y.isEmpty() ? 0 : 1) : y.isEmpty() ? -1 : x.get().compareTo(y.get()));
      if (sorted.isEmpty()) {
        return Optional.empty();
      }
      int rank = (int) Math.ceil(p / 100.0 * sorted.size());
      return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }

    long failed() {
      return trials.stream().filter(Optional::isEmpty).count();
    }

    String row(String name) {
      StringBuilder all = new StringBuilder();
      for (Optional<Duration> t : trials) {
        all.append(all.length() == 0 ? "" : " ").append(t.map(ConvergenceBench::secondsShort).orElse("-"));
      }
      return String.format(Locale.ROOT, "%-34s %6d %8s %8s %8s %8d  %s", name, trials.size(), cell(percentile(50)), cell(percentile(95)),
          cell(percentile(100)), failed(), all);
    }

    private String cell(Optional<Duration> d) {
      return trials.isEmpty() ? "-" : d.map(ConvergenceBench::secondsShort).orElse("fail");
    }
  }

  record Verdict(String text, boolean pass) {
    static Verdict atMost(String what, Optional<Duration> value, Duration target) {
      boolean pass = value.isPresent() && value.get().compareTo(target) <= 0;
      return new Verdict(String.format(Locale.ROOT, "%s = %s (target <= %d s)", what,
          value.map(ConvergenceBench::seconds).orElse("no connection"), target.toSeconds()), pass);
    }

    @Override
    public String text() {
      return text + ": " + (pass ? "PASS" : "FAIL");
    }

    /** Adds the verdicts, one a line, then the notes, if any, to a report; returns how many failed. */
    static int report(List<Verdict> verdicts, List<String> notes, List<String> report) {
      int failures = 0;
      for (Verdict v : verdicts) {
        report.add("  " + v.text());
        if (!v.pass()) {
          failures++;
        }
      }
      if (!notes.isEmpty()) {
        report.add("");
        report.add("notes:");
        notes.forEach(n -> report.add("  - " + n));
      }
      return failures;
    }
  }

  static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
  }

  static String secondsShort(Duration d) {
    return String.format(Locale.ROOT, "%.2f", d.toNanos() / 1e9);
  }

  // ---- process and host facts ------------------------------------------------------------------

  /** The JVM's pid: {@code ip netns exec} replaces itself with the command, but look anyway. */
  static long javaPid(ManagedProcess p) {
    Optional<ProcessHandle> self = ProcessHandle.of(p.pid());
    if (self.isPresent() && self.get().info().command().map(c -> c.endsWith("/java")).orElse(false)) {
      return p.pid();
    }
    return self.flatMap(h -> h.descendants().filter(d -> d.info().command().map(c -> c.endsWith("/java")).orElse(false)).findFirst())
        .map(ProcessHandle::pid).orElseThrow(() -> new IllegalStateException("no java process under pid " + p.pid()));
  }

  /** The numeric fields of /proc/PID/status (kB values in KiB). */
  static Map<String, Long> procStatus(long pid) {
    Map<String, Long> fields = new java.util.HashMap<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        String[] kv = line.split(":\\s*", 2);
        if (kv.length == 2) {
          String v = kv[1].trim().split("\\s+")[0];
          if (v.matches("\\d+")) {
            fields.put(kv[0], Long.parseLong(v));
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/status: " + e);
    }
    return fields;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ---- settings --------------------------------------------------------------------------------

  /**
   * Settings from the environment.
   *
   * @param rssCompare further agent option sets measured next to {@code agentOpts} in the rss
   *     scenario, at the same time (separated by {@code |} in RSS_COMPARE)
   */
  record Settings(int trials, int recoveryTrials, int rssPeers, List<Integer> rssKubernetesPeers, Duration rssSettle, List<String> scenarios,
      List<String> agentOpts, List<String> registryOpts, List<List<String>> rssCompare, String loadBefore) {
    static final List<String> ALL = List.of("direct", "relayed", "recovery", "rss", "rss-kubernetes");
    /** What bin/wgmesh and the chart pass to the agent's JVM. */
    static final String DEFAULT_AGENT_OPTS = String.join(" ", ProductJar.AGENT);

    static final String HELP = String.join("\n",
        "environment:",
        "  TRIALS=20            trials of the direct and the relayed scenario",
        "  RECOVERY_TRIALS=5    trials of the recovery scenario",
        "  RSS_PEERS=100        peers on the device of the rss scenario's agent",
        "  RSS_KUBERNETES_PEERS=\"100 1000\"  peer counts of the rss-kubernetes scenario, one round each",
        "  RSS_SETTLE=60        seconds the rss agent runs before VmRSS is read",
        "  SCENARIOS=\"" + String.join(" ", ALL) + "\"",
        "  AGENT_JAVA_OPTS=\"" + DEFAULT_AGENT_OPTS + "\"   JVM options of every agent",
        "  REGISTRY_JAVA_OPTS=\"\"  JVM options of the registry",
        "  RSS_COMPARE=default  more agent option sets for the rss scenario, separated by |, measured at the same time",
        "                       (\"default\" stands for no options: the JVM's defaults; empty: none); in rss-kubernetes a word",
        "                       NAME=value goes to the agent's environment, which is otherwise the launchers'",
        "                       (MALLOC_ARENA_MAX=2)");

    static Settings fromEnvironment(Map<String, String> env) {
      int trials = positive(env, "TRIALS", 20);
      int recovery = positive(env, "RECOVERY_TRIALS", 5);
      int peers = positive(env, "RSS_PEERS", 100);
      int settle = positive(env, "RSS_SETTLE", 60);
      List<String> scenarios = words(env.getOrDefault("SCENARIOS", String.join(" ", ALL)));
      for (String s : scenarios) {
        if (!ALL.contains(s)) {
          throw new IllegalArgumentException("SCENARIOS: unknown scenario '" + s + "' (known: " + String.join(" ", ALL) + ")");
        }
      }
      if (scenarios.isEmpty()) {
        throw new IllegalArgumentException("SCENARIOS is empty");
      }
      if (peers > 60000) {
        throw new IllegalArgumentException("RSS_PEERS: at most 60000");
      }
      List<Integer> kubernetesPeers = new ArrayList<>();
      for (String w : words(env.getOrDefault("RSS_KUBERNETES_PEERS", "100 1000"))) {
        int n = positive(Map.of("RSS_KUBERNETES_PEERS", w), "RSS_KUBERNETES_PEERS", 100);
        if (n > 60000) {
          throw new IllegalArgumentException("RSS_KUBERNETES_PEERS: at most 60000");
        }
        kubernetesPeers.add(n);
      }
      List<List<String>> compare = new ArrayList<>();
      String rssCompare = env.getOrDefault("RSS_COMPARE", "default").strip();
      if (!rssCompare.isEmpty()) {
        for (String set : rssCompare.split("\\|")) {
          compare.add(set.strip().equals("default") ? List.of() : words(set));
        }
      }
      return new Settings(trials, recovery, peers, List.copyOf(kubernetesPeers), Duration.ofSeconds(settle), scenarios,
          words(env.getOrDefault("AGENT_JAVA_OPTS", DEFAULT_AGENT_OPTS)), words(env.getOrDefault("REGISTRY_JAVA_OPTS", "")), compare,
          loadAverage());
    }
  }

}
