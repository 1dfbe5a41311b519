package dev.wgmesh.bench;

import static dev.wgmesh.bench.BenchEnvironment.loadAverage;
import static dev.wgmesh.bench.BenchEnvironment.positive;
import static dev.wgmesh.bench.BenchEnvironment.words;

import dev.wgmesh.bench.ConvergenceBench.Stats;
import dev.wgmesh.bench.ConvergenceBench.Verdict;
import dev.wgmesh.lab.AgentPathLog;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.Placement;
import dev.wgmesh.lab.PingWatch;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import dev.wgmesh.lab.StandaloneMesh.Node;
import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The driver of {@code bench/nat-matrix}: which path two wgmesh agents end up using, and how fast,
 * for every pair of the NAT lab's network shapes (public, full cone, port-restricted, symmetric,
 * double NAT, UDP-blocked, IPv6 behind a symmetric NAT) and for two nodes on one LAN behind one
 * port-restricted router ({@code same-lan}).
 *
 * <p>Per cell, TRIALS trials, each with a fresh pair of nodes ({@link StandaloneMesh#addNodeAt},
 * {@link StandaloneMesh#addNodesOnSite}); the registry is shared until the lab runs out of room.
 * The clock starts when both agents run and both nodes have a handshake with the registry (as in
 * {@link ConvergenceBench}'s direct scenario). Then {@code ping -D -i 0.05} runs from the first
 * node to the second's tunnel address until SETTLE seconds after the first answered ping.
 * Measured: the time to the first answered ping (over any path); the final path, each agent's own
 * view (its last logged change for the peer, {@link AgentPathLog}) checked against its WireGuard
 * endpoint ({@link StandaloneMesh#pathBetween}; a disagreement that lasts {@link #VERIFY_GRACE}
 * fails the trial); and the time to it (the later of the two agents' logged transitions into
 * their final path). Settings come from the environment (see {@link Settings});
 * the tables go to stdout and to the file given with {@code --out}. Needs root.
 */
public final class NatMatrixBench {
  static final Duration FIRST_PACKET_P50 = Duration.ofSeconds(1);
  static final Duration FIRST_PACKET_P95 = Duration.ofSeconds(2);
  static final Duration FINAL_PATH_P50 = Duration.ofSeconds(1);
  /** Longest wait for the first answered ping before a trial counts as not connected. */
  static final Duration FIRST_PACKET_LIMIT = Duration.ofSeconds(45);
  static final int MAX_NAT_PER_LAB = ConvergenceBench.MAX_NAT_HOSTS_PER_LAB;
  /** A lab holds at most 200 public hosts. */
  static final int MAX_PUBLIC_PER_LAB = 200;
  static final long SAMPLE_MS = 50;
  /**
   * How long the WireGuard endpoint may take to match the agent's final path: a relayed peer's probe
   * points the endpoint at a direct candidate for up to 1 s, and the agent logs a change only after
   * it read the device.
   */
  static final Duration VERIFY_GRACE = Duration.ofMillis(2500);

  /** The node shapes, as the matrix names them. */
  enum Kind {
    PUBLIC("public", Placement.PUBLIC),
    CONE("cone", Placement.CONE),
    PORT_RESTRICTED("port-restricted", Placement.PORT_RESTRICTED),
    SYMMETRIC("symmetric", Placement.SYMMETRIC),
    DOUBLE_NAT("double-nat", Placement.DOUBLE_NAT),
    UDP_BLOCKED("udp-blocked", Placement.UDP_BLOCKED),
    IPV6("ipv6", Placement.IPV6);

    final String label;
    final Placement placement;

    Kind(String label, Placement placement) {
      this.label = label;
      this.placement = placement;
    }

    /** A global IPv6 address that anyone may send to. */
    boolean hasIpv6() {
      return this == PUBLIC || this == IPV6;
    }

    /** IPv4 mapping differs per destination: the mapping the registry sees is useless to peers. */
    boolean symmetric() {
      return this == SYMMETRIC || this == IPV6;
    }

    /** IPv4 inbound only from an address and port the node has sent to (hole punching needed). */
    boolean filters() {
      return this == PORT_RESTRICTED || this == DOUBLE_NAT || symmetric();
    }
  }

  /** A cell: two kinds ({@code b} after {@code a} in {@link Kind} order), or same-lan (both null). */
  record Cell(String name, Kind a, Kind b) {
    static final String SAME_LAN = "same-lan";

    static List<Cell> all() {
      List<Cell> cells = new ArrayList<>();
      Kind[] kinds = Kind.values();
      for (int i = 0; i < kinds.length; i++) {
        for (int j = i; j < kinds.length; j++) {
          cells.add(new Cell(kinds[i].label + ":" + kinds[j].label, kinds[i], kinds[j]));
        }
      }
      cells.add(new Cell(SAME_LAN, null, null));
      return cells;
    }

    boolean sameLan() {
      return a == null;
    }

    /**
     * The paths that can be final here, from the shapes' nature: lan on one LAN; relayed where no
     * direct path exists (a UDP-blocked node; a symmetric IPv4 mapping towards a filtering NAT, with
     * no IPv6 on both sides); ipv6 where IPv6 is on both sides (the only one when IPv4 cannot work
     * directly); direct otherwise.
     */
    Set<PathKind> expected() {
      if (sameLan()) {
        return EnumSet.of(PathKind.LAN);
      }
      if (a == Kind.UDP_BLOCKED || b == Kind.UDP_BLOCKED) {
        return EnumSet.of(PathKind.RELAYED);
      }
      boolean v4 = !(a.symmetric() && b.filters()) && !(b.symmetric() && a.filters());
      boolean v6 = a.hasIpv6() && b.hasIpv6();
      if (v4 && v6) {
        return EnumSet.of(PathKind.DIRECT, PathKind.IPV6);
      }
      return v4 ? EnumSet.of(PathKind.DIRECT) : v6 ? EnumSet.of(PathKind.IPV6) : EnumSet.of(PathKind.RELAYED);
    }

    boolean relayedOnly() {
      return expected().equals(EnumSet.of(PathKind.RELAYED));
    }

    int natSlots() {
      return sameLan() ? 1 : (a.placement.usesNat() ? 1 : 0) + (b.placement.usesNat() ? 1 : 0);
    }

    int publicSlots() {
      return sameLan() ? 0 : (a.placement.usesNat() ? 0 : 1) + (b.placement.usesNat() ? 0 : 1);
    }
  }

  /**
   * One trial: the time to the first answered ping, the final path (both directions, as the agents
   * logged it), the time to it, and where an agent's path and its WireGuard endpoint disagreed at
   * the end (empty when they agree), with the agents' path histories when a path changed more than
   * once.
   */
  record Trial(Optional<Duration> firstPacket, PathKind finalAB, PathKind finalBA, Optional<Duration> toFinal,
      List<String> disagreements, List<String> histories) {
    static Trial error() {
      return new Trial(Optional.empty(), PathKind.PENDING, PathKind.PENDING, Optional.empty(), List.of(), List.of());
    }

    /** The pair's path: one label when both nodes agree, else {@code <a's>/<b's>}. */
    String finalLabel() {
      return label(finalAB, finalBA);
    }

    boolean agrees() {
      return finalAB == finalBA;
    }

    /** Both agents' paths are the ones their WireGuard devices show. */
    boolean verified() {
      return disagreements.isEmpty();
    }
  }

  /** The trials of one cell. */
  static final class CellResult {
    final Cell cell;
    final List<Trial> trials = new ArrayList<>();

    CellResult(Cell cell) {
      this.cell = cell;
    }

    Stats firstPacket() {
      Stats s = new Stats();
      trials.forEach(t -> s.add(t.firstPacket()));
      return s;
    }

    /** Time to the final path, whatever it is (empty: never connected, or still pending at the end). */
    Stats toFinal() {
      Stats s = new Stats();
      trials.forEach(t -> s.add(t.toFinal()));
      return s;
    }

    /** Time to the final path where that path is one this cell expects; any other trial counts as failed. */
    Stats toExpectedFinal() {
      Stats s = new Stats();
      trials.forEach(t -> s.add(t.agrees() && t.verified() && cell.expected().contains(t.finalAB()) ? t.toFinal() : Optional.empty()));
      return s;
    }

    /** The final paths seen, e.g. {@code direct} or {@code direct 3, relayed 2}. */
    String finalsSeen() {
      Map<String, Long> counts = new TreeMap<>(trials.stream().collect(Collectors.groupingBy(Trial::finalLabel, Collectors.counting())));
      if (counts.size() == 1) {
        return counts.keySet().iterator().next();
      }
      return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    boolean allExpected() {
      return !trials.isEmpty() && trials.stream().allMatch(t -> t.agrees() && t.verified() && cell.expected().contains(t.finalAB()));
    }

    long unverified() {
      return trials.stream().filter(t -> !t.verified()).count();
    }

    long failed() {
      return trials.stream().filter(t -> t.firstPacket().isEmpty()).count();
    }
  }

  private final Settings settings;
  private final ProductJar product;
  private final PrintStream out = System.out;
  private final List<String> notes = new ArrayList<>();
  private int trialNumber;

  NatMatrixBench(Settings settings, ProductJar product) {
    this.settings = settings;
    this.product = product;
  }

  public static void main(String[] args) throws Exception {
    Path outFile = BenchEnvironment.outFile(args, NatMatrixBench.class.getName(), Settings.HELP);
    Settings settings;
    ProductJar product;
    try {
      settings = Settings.fromEnvironment(System.getenv());
      product = ProductJar.locate();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("nat-matrix: " + e.getMessage());
      System.exit(2);
      return;
    }
    int failures = new NatMatrixBench(settings, product).run(outFile);
    System.exit(failures == 0 ? 0 : 1);
  }

  /** Runs the cells; returns the number of targets missed. */
  int run(Path outFile) throws IOException {
    long start = System.nanoTime();
    Map<String, CellResult> results = new LinkedHashMap<>();
    try (Worlds worlds = new Worlds()) {
      int errorsInARow = 0;
      for (Cell cell : settings.cells()) {
        CellResult result = new CellResult(cell);
        results.put(cell.name(), result);
        progress("%s: %d trial(s), expected final path %s", cell.name(), settings.trials(), labels(cell.expected()));
        for (int i = 1; i <= settings.trials(); i++) {
          Trial trial;
          try {
            trial = trial(worlds.forCell(cell), cell);
            errorsInARow = 0;
          } catch (RuntimeException e) {
            if (++errorsInARow >= 3) {
              throw e;
            }
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
            notes.add(cell.name() + " trial " + i + " failed with an error, counted as not connected: " + message);
            trial = Trial.error();
          }
          result.trials.add(trial);
          progress("  %s %d: first packet %s, final path %s after %s%s", cell.name(), i,
              trial.firstPacket().map(ConvergenceBench::seconds).orElse("never"), trial.finalLabel(),
              trial.toFinal().map(ConvergenceBench::seconds).orElse("-"),
              trial.verified() ? "" : " (DISAGREES with WireGuard: " + String.join("; ", trial.disagreements()) + ")");
          for (String d : trial.disagreements()) {
            notes.add(cell.name() + " trial " + i + ": the agent's path disagrees with WireGuard, counted as a failure: " + d);
          }
          for (String h : trial.histories()) {
            notes.add(cell.name() + " trial " + i + ": path changed more than once: " + h);
          }
        }
      }
    }
    List<Verdict> verdicts = new ArrayList<>();
    for (CellResult r : results.values()) {
      Cell c = r.cell;
      verdicts.add(Verdict.atMost(c.name() + " first packet p50", r.firstPacket().percentile(50), FIRST_PACKET_P50));
      verdicts.add(Verdict.atMost(c.name() + " first packet p95", r.firstPacket().percentile(95), FIRST_PACKET_P95));
      verdicts.add(new Verdict(c.name() + " final path = " + r.finalsSeen() + " (expected " + labels(c.expected()) + ")"
          + (r.unverified() > 0 ? "; in " + r.unverified() + " trial(s) an agent's path disagrees with its WireGuard endpoint (see notes)" : ""),
          r.allExpected()));
      if (!c.relayedOnly()) {
        Optional<Duration> p50 = r.toExpectedFinal().percentile(50);
        verdicts.add(new Verdict(String.format(Locale.ROOT, "%s time to %s p50 = %s (target <= %d s)", c.name(), labels(c.expected()),
            p50.map(ConvergenceBench::seconds).orElse("not reached"), FINAL_PATH_P50.toSeconds()),
            p50.isPresent() && p50.get().compareTo(FINAL_PATH_P50) <= 0));
      }
    }

    List<String> report = BenchEnvironment.header("wgmesh NAT matrix benchmark", "TRIALS=" + settings.trials() + " SETTLE="
        + settings.settle().toSeconds() + "s CELLS=\"" + settings.cells().stream().map(Cell::name).collect(Collectors.joining(" ")) + "\"",
        settings.agentOpts(), settings.loadBefore());
    report.add("clock: from the moment both agents have started (both nodes already have a handshake with the registry); first packet:"
        + " the first reply of ping -D -i 0.05 from the first node to the second's tunnel address, over any path; final path: the"
        + " path each agent last logged for the other (peer ... : <from> -> <to>) " + SETTLE_TEXT.formatted(settings.settle().toSeconds())
        + ", checked against its WireGuard endpoint (allowing " + VERIFY_GRACE.toMillis() + " ms for the endpoint to match, as a relayed"
        + " peer's probe points it at a direct candidate for up to 1 s); time to final: the later of the two agents' logged"
        + " transitions into their final path");
    report.add("paths: relayed = endpoint 127.x (the agent's relay socket); lan = the other node's private address; ipv6 = an IPv6"
        + " endpoint; direct = any other endpoint; lan/ipv6/direct need a handshake younger than 180 s, else pending;"
        + " a/b = the first node uses a, the second b; an agent whose path disagrees with its endpoint fails the cell");
    report.add("");
    List<Kind> kinds = List.of(Kind.values());
    report.add("final path (each cell shown twice, at kind a x kind b and b x a; '.': not run):");
    report.addAll(matrix(results, kinds, CellResult::finalsSeen));
    report.add("");
    report.add("first packet p50/p95 s (xN: N trials never connected):");
    report.addAll(matrix(results, kinds, r -> pair(r.firstPacket()) + (r.failed() > 0 ? " x" + r.failed() : "")));
    report.add("");
    report.add("time to the final path p50/p95 s:");
    report.addAll(matrix(results, kinds, r -> pair(r.toFinal())));
    report.add("");
    report.add(String.format(Locale.ROOT, "%-27s %6s  %-24s %-14s %7s %7s %7s %7s %6s  %s", "cell", "trials", "final path",
        "expected", "1st p50", "1st p95", "fin p50", "fin p95", "failed", "first packet / time to final, s, in order"));
    for (CellResult r : results.values()) {
      Stats first = r.firstPacket();
      Stats fin = r.toFinal();
      StringBuilder all = new StringBuilder();
      for (Trial t : r.trials) {
        all.append(all.length() == 0 ? "" : " ").append(t.firstPacket().map(ConvergenceBench::secondsShort).orElse("-")).append('/')
            .append(t.toFinal().map(ConvergenceBench::secondsShort).orElse("-"));
      }
      report.add(String.format(Locale.ROOT, "%-27s %6d  %-24s %-14s %7s %7s %7s %7s %6d  %s", r.cell.name(), r.trials.size(),
          r.finalsSeen(), labels(r.cell.expected()), cell(first.percentile(50)), cell(first.percentile(95)), cell(fin.percentile(50)),
          cell(fin.percentile(95)), r.failed(), all));
    }
    report.add("");
    report.add("targets checked here: first packet p50 <= 1 s and p95 <= 2 s in every cell; the final path the one the shapes allow"
        + " (relayed only where no direct path can exist), reached with p50 <= 1 s where it is not relayed:");
    int failures = Verdict.report(verdicts, notes, report);
    report.add("");
    report.add("percentiles: nearest rank; a trial that did not connect within " + FIRST_PACKET_LIMIT.toSeconds()
        + " s (or whose final path is not an expected one, for the time-to-path target) counts as slower than any other");
    BenchEnvironment.finish(report, start, outFile, out);
    return failures;
  }

  private static final String SETTLE_TEXT = "%d s after the first answered ping";

  // ---- one trial -------------------------------------------------------------------------------

  private Trial trial(StandaloneMesh w, Cell cell) {
    int n = ++trialNumber;
    List<Node> pair;
    if (cell.sameLan()) {
      pair = w.addNodesOnSite("s" + n, NatKind.PORT_RESTRICTED, List.of("a" + n, "b" + n));
    } else {
      pair = new ArrayList<>();
      try {
        pair.add(w.addNodeAt("a" + n, cell.a().placement));
        pair.add(w.addNodeAt("b" + n, cell.b().placement));
      } catch (RuntimeException e) {
        w.retire(pair.toArray(Node[]::new));
        throw e;
      }
    }
    Node a = pair.get(0);
    Node b = pair.get(1);
    try {
      w.link(a, b);
      w.awaitRegistered(a, b);
      Instant t0 = w.startAgents(settings.agentOpts(), a, b);
      try (PingWatch ping = new PingWatch(a, b, "0.05")) {
        return observe(t0, ping, a, b, n);
      }
    } finally {
      w.retire(a, b);
    }
  }

  /**
   * Waits until SETTLE after the first answered ping (or the limit without one); then reads each
   * agent's final path from its log and checks it against the node's WireGuard endpoint.
   */
  private Trial observe(Instant t0, PingWatch ping, Node a, Node b, int n) {
    Instant first = null;
    Instant end = t0.plus(FIRST_PACKET_LIMIT);
    while (Instant.now().isBefore(end)) {
      if (first == null) {
        for (Instant reply : ping.newReplies()) {
          if (!reply.isBefore(t0)) {
            first = reply;
            end = first.plus(settings.settle());
            break;
          }
        }
        if (first == null && !ping.isAlive()) {
          throw new IllegalStateException("ping exited");
        }
      }
      ConvergenceBench.sleep(SAMPLE_MS);
    }
    Optional<Duration> firstPacket = Optional.ofNullable(first).map(f -> Duration.between(t0, f));
    // The agents' views against WireGuard's: read again every SAMPLE_MS until they agree, for at
    // most VERIFY_GRACE (an agent may be switching just now; a probe moves the endpoint for ~1 s).
    String logA;
    String logB;
    PathKind ab;
    PathKind ba;
    PathKind wgAB;
    PathKind wgBA;
    long deadline = System.nanoTime() + VERIFY_GRACE.toNanos();
    while (true) {
      logA = a.agent.log();
      logB = b.agent.log();
      ab = AgentPathLog.current(logA, b.tunnelIp);
      ba = AgentPathLog.current(logB, a.tunnelIp);
      wgAB = StandaloneMesh.pathBetween(a, b);
      wgBA = StandaloneMesh.pathBetween(b, a);
      if ((wgAB == ab && wgBA == ba) || System.nanoTime() > deadline) {
        break;
      }
      ConvergenceBench.sleep(SAMPLE_MS);
    }
    boolean okAB = wgAB == ab;
    boolean okBA = wgBA == ba;
    List<String> disagreements = new ArrayList<>();
    if (!okAB) {
      disagreements.add(disagreement(a, b, ab, wgAB));
    }
    if (!okBA) {
      disagreements.add(disagreement(b, a, ba, wgBA));
    }

    List<String> histories = new ArrayList<>();
    history(a, b, logA).ifPresent(histories::add);
    history(b, a, logB).ifPresent(histories::add);

    Optional<Duration> toFinal = Optional.empty();
    Optional<Instant> sinceAB = AgentPathLog.currentSince(logA, b.tunnelIp);
    Optional<Instant> sinceBA = AgentPathLog.currentSince(logB, a.tunnelIp);
    if (first != null && ab != PathKind.PENDING && ba != PathKind.PENDING && sinceAB.isPresent() && sinceBA.isPresent()) {
      Instant since = sinceAB.get().isAfter(sinceBA.get()) ? sinceAB.get() : sinceBA.get();
      toFinal = Optional.of(since.isBefore(t0) ? Duration.ZERO : Duration.between(t0, since));
    }
    return new Trial(firstPacket, ab, ba, toFinal, List.copyOf(disagreements), List.copyOf(histories));
  }

  private static String disagreement(Node from, Node to, PathKind agent, PathKind wireGuard) {
    return String.format(Locale.ROOT, "%s's agent says %s for %s (%s), its WireGuard endpoint %s reads %s for %d ms (log %s)", from.name,
        agent.label(), to.name, to.tunnelIp, from.endpointOf(to).orElse("(none)"), wireGuard.label(), VERIFY_GRACE.toMillis(),
        from.agent.logFile());
  }

  /** {@code a1 for b1: pending -> relayed (+1.02 s), relayed -> direct (+3.10 s)} when the path changed more than once. */
  private static Optional<String> history(Node from, Node to, String log) {
    List<AgentPathLog.Change> changes = AgentPathLog.changes(log, to.tunnelIp).stream().filter(c -> c.from() != c.to()).toList();
    if (changes.size() <= 1) {
      return Optional.empty();
    }
    Instant start = changes.get(0).at();
    return Optional.of(from.name + " for " + to.name + ": " + changes.stream()
        .map(c -> c.from().label() + " -> " + c.to().label() + " at +" + ConvergenceBench.secondsShort(Duration.between(start, c.at()))
            + " s (" + c.reason() + ")")
        .collect(Collectors.joining(", ")));
  }

  // ---- formatting ------------------------------------------------------------------------------

  interface CellText {
    String of(CellResult r);
  }

  private static List<String> matrix(Map<String, CellResult> results, List<Kind> kinds, CellText text) {
    int width = 16;
    List<String> lines = new ArrayList<>();
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-16s", ""));
    kinds.forEach(k -> head.append(String.format(Locale.ROOT, " %-" + width + "s", k.label)));
    lines.add(head.toString().stripTrailing());
    for (Kind row : kinds) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-16s", row.label));
      for (Kind col : kinds) {
        CellResult r = results.get(row.ordinal() <= col.ordinal() ? row.label + ":" + col.label : col.label + ":" + row.label);
        String t = r == null ? "." : text.of(r);
        line.append(String.format(Locale.ROOT, " %-" + width + "s", t));
      }
      lines.add(line.toString().stripTrailing());
    }
    CellResult lan = results.get(Cell.SAME_LAN);
    if (lan != null) {
      lines.add(String.format(Locale.ROOT, "  %-16s %s", Cell.SAME_LAN, text.of(lan)));
    }
    return lines;
  }

  private static String pair(Stats s) {
    return cell(s.percentile(50)) + "/" + cell(s.percentile(95));
  }

  private static String cell(Optional<Duration> d) {
    return d.map(ConvergenceBench::secondsShort).orElse("fail");
  }

  static String label(PathKind ab, PathKind ba) {
    return ab == ba ? ab.label() : ab.label() + "/" + ba.label();
  }

  static String labels(Set<PathKind> kinds) {
    return kinds.stream().map(PathKind::label).collect(Collectors.joining("|"));
  }

  private void progress(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  // ---- labs ------------------------------------------------------------------------------------

  /** One mesh (lab and registry) at a time; a new one when the current one has no room for a cell's pair. */
  final class Worlds implements AutoCloseable {
    private StandaloneMesh current;
    private int made;

    StandaloneMesh forCell(Cell cell) {
      if (current != null && (current.natHosts() + cell.natSlots() > MAX_NAT_PER_LAB
          || current.publicHosts() + cell.publicSlots() > MAX_PUBLIC_PER_LAB)) {
        current.close();
        current = null;
      }
      if (current == null) {
        current = new StandaloneMesh("bench-natmatrix" + (made++ == 0 ? "" : "-" + made), product, settings.registryOpts());
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

  // ---- settings --------------------------------------------------------------------------------

  /** Settings from the environment. */
  record Settings(int trials, Duration settle, List<Cell> cells, List<String> agentOpts, List<String> registryOpts, String loadBefore) {
    static final String HELP = String.join("\n",
        "environment:",
        "  TRIALS=5             trials per cell",
        "  SETTLE=8             seconds after the first answered ping until the path is read as final",
        "  CELLS=\"\"             cells to run (default all), e.g. \"same-lan ipv6:ipv6 public:symmetric\"; a pair in either order",
        "                       kinds: " + java.util.Arrays.stream(Kind.values()).map(k -> k.label).collect(Collectors.joining(" ")),
        "  AGENT_JAVA_OPTS=\"" + ConvergenceBench.Settings.DEFAULT_AGENT_OPTS + "\"   JVM options of every agent",
        "  REGISTRY_JAVA_OPTS=\"\"  JVM options of the registry");

    static Settings fromEnvironment(Map<String, String> env) {
      int trials = positive(env, "TRIALS", 5);
      int settle = positive(env, "SETTLE", 8);
      List<Cell> all = Cell.all();
      List<Cell> cells = new ArrayList<>();
      for (String wanted : words(env.getOrDefault("CELLS", ""))) {
        Cell found = all.stream().filter(c -> c.name().equals(wanted) || c.name().equals(reversed(wanted))).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("CELLS: unknown cell '" + wanted + "' (a pair kind:kind of "
                + java.util.Arrays.stream(Kind.values()).map(k -> k.label).collect(Collectors.joining(", ")) + ", or same-lan)"));
        if (!cells.contains(found)) {
          cells.add(found);
        }
      }
      return new Settings(trials, Duration.ofSeconds(settle), cells.isEmpty() ? all : cells,
          words(env.getOrDefault("AGENT_JAVA_OPTS", ConvergenceBench.Settings.DEFAULT_AGENT_OPTS)),
          words(env.getOrDefault("REGISTRY_JAVA_OPTS", "")), loadAverage());
    }

    private static String reversed(String cell) {
      int colon = cell.indexOf(':');
      return colon < 0 ? cell : cell.substring(colon + 1) + ":" + cell.substring(0, colon);
    }
  }
}
