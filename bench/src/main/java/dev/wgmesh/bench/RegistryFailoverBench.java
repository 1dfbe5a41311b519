package dev.wgmesh.bench;

import static dev.wgmesh.bench.BenchEnvironment.loadAverage;
import static dev.wgmesh.bench.BenchEnvironment.positive;
import static dev.wgmesh.bench.BenchEnvironment.words;

import dev.wgmesh.bench.ConvergenceBench.Stats;
import dev.wgmesh.bench.ConvergenceBench.Verdict;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.PingWatch;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import dev.wgmesh.lab.StandaloneMesh.Node;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The driver of {@code bench/registry-failover}: what a mesh with two registries does when the
 * first dies (docs/architecture.md, Targets: relayed pairs reachable again within 5 s of their
 * registry dying). Each trial builds a fresh mesh with two registries in the NAT lab (real
 * wireguard-go, iptables NATs, registry and agent processes) and a relayed pair (a node behind a
 * symmetric NAT, one behind a port-restricted NAT), then measures, in this order:
 *
 * <ol>
 *   <li><b>join, both registries up</b>: a new node behind a port-restricted NAT, linked to both
 *       nodes of the pair; from its agent's start to its first ping answered by the pair's
 *       port-restricted node (direct) and by its symmetric one (relayed);
 *   <li><b>failover</b>: the first registry dies (SIGKILL and its cable pulled, {@link
 *       StandaloneMesh#killRegistry}) while the relayed pair pings every 50 ms; from the kill to
 *       the next reply (which can only come through the second registry);
 *   <li><b>join, the first registry down</b>: as the first, once the pair's agents have logged
 *       that the first registry is unreachable.
 * </ol>
 *
 * Settings come from the environment (see {@link Settings}); the report goes to stdout and to the
 * file given with {@code --out}. Needs root; the labs remove everything they made when the run
 * ends, fails or is interrupted.
 */
public final class RegistryFailoverBench {
  /** The project's target: relayed pairs reachable again within 5 s of their registry dying. */
  static final Duration FAILOVER_TARGET = Duration.ofSeconds(5);
  /** Longest wait for one measurement before it counts as failed. */
  static final Duration LIMIT = Duration.ofSeconds(30);
  /** A reply this long after the kill was not on its way through the dead registry already. */
  static final Duration IN_FLIGHT = Duration.ofMillis(50);

  private final Settings settings;
  private final ProductJar product;
  private final PrintStream out = System.out;
  private final List<String> notes = new ArrayList<>();

  RegistryFailoverBench(Settings settings, ProductJar product) {
    this.settings = settings;
    this.product = product;
  }

  public static void main(String[] args) throws Exception {
    Path outFile = BenchEnvironment.outFile(args, RegistryFailoverBench.class.getName(), Settings.HELP);
    Settings settings;
    ProductJar product;
    try {
      settings = Settings.fromEnvironment(System.getenv());
      product = ProductJar.locate();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("registry-failover: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(new RegistryFailoverBench(settings, product).run(outFile) == 0 ? 0 : 1);
  }

  /** Runs the trials; returns the number of targets missed. */
  int run(Path outFile) throws IOException {
    long start = System.nanoTime();
    Stats joinBoth = new Stats();
    Stats relayedJoinBoth = new Stats();
    Stats failover = new Stats();
    Stats joinOneDown = new Stats();
    Stats relayedJoinOneDown = new Stats();
    int errorsInARow = 0;
    for (int i = 1; i <= settings.trials(); i++) {
      progress("trial %d of %d", i, settings.trials());
      Trial took = trial(i);
      if (took == null) {
        if (++errorsInARow >= 3) {
          throw new IllegalStateException("three trials in a row failed with an error: " + notes.get(notes.size() - 1));
        }
        Join none = new Join(Optional.empty(), Optional.empty());
        took = new Trial(none, Optional.empty(), none);
      } else {
        errorsInARow = 0;
      }
      joinBoth.add(took.joinBoth().direct());
      relayedJoinBoth.add(took.joinBoth().relayed());
      failover.add(took.failover());
      joinOneDown.add(took.joinOneDown().direct());
      relayedJoinOneDown.add(took.joinOneDown().relayed());
      progress("  join (both up) %s / relayed %s, failover %s, join (first down) %s / relayed %s", text(took.joinBoth().direct()),
          text(took.joinBoth().relayed()), text(took.failover()), text(took.joinOneDown().direct()), text(took.joinOneDown().relayed()));
    }

    List<Verdict> verdicts = new ArrayList<>();
    verdicts.add(Verdict.atMost("failover max", failover.percentile(100), FAILOVER_TARGET));
    long joined = joinOneDown.trials.size() - joinOneDown.failed() + relayedJoinOneDown.trials.size() - relayedJoinOneDown.failed();
    verdicts.add(new Verdict("joins with the first registry down that connected: " + joined + " of "
        + (joinOneDown.trials.size() + relayedJoinOneDown.trials.size()), joined == joinOneDown.trials.size() + relayedJoinOneDown.trials.size()));

    List<String> report = BenchEnvironment.header("wgmesh registry failover benchmark", "TRIALS=" + settings.trials(),
        settings.agentOpts(), settings.loadBefore());
    report.add("each trial: a fresh mesh with two registries (wgmesh registry --relay, default --refresh 1s, each on its own public"
        + " host), agents given both (--registry 10.88.255.254:53 --registry 10.88.255.253:53); a relayed pair (symmetric NAT +"
        + " port-restricted NAT) pinging every 50 ms; node peers with keepalive " + StandaloneMesh.KEEPALIVE + " s, no endpoint");
    report.add("failover: from the first registry's death (SIGKILL of its process, then its host's cable pulled) to the relayed"
        + " pair's next ping reply (at least " + IN_FLIGHT.toMillis() + " ms later)");
    report.add("join: a new node behind a port-restricted NAT linked to both nodes of the pair; from its agent's start (the node has"
        + " a handshake with every live registry) to its first ping reply (ping -i 0.05) from the pair's port-restricted node (direct)"
        + " and from its symmetric one (relayed); first with both registries up, then, in the same trial, with the first one dead"
        + " (once the pair's agents logged it unreachable)");
    report.add("");
    report.add(String.format(Locale.ROOT, "%-34s %6s %8s %8s %8s %8s  %s", "measurement", "trials", "p50 s", "p95 s", "max s", "failed",
        "all (s, in order)"));
    report.add(joinBoth.row("join direct, both registries up"));
    report.add(relayedJoinBoth.row("join relayed, both registries up"));
    report.add(failover.row("failover, relayed pair"));
    report.add(joinOneDown.row("join direct, first registry down"));
    report.add(relayedJoinOneDown.row("join relayed, first registry down"));
    difference(report, "direct", joinBoth, joinOneDown);
    difference(report, "relayed", relayedJoinBoth, relayedJoinOneDown);
    report.add("");
    report.add("targets checked here (the project's targets: docs/architecture.md, Targets):");
    int failures = Verdict.report(verdicts, notes, report);
    report.add("");
    report.add("percentiles: nearest rank; a measurement without a reply within " + LIMIT.toSeconds()
        + " s counts as slower than any other");
    BenchEnvironment.finish(report, start, outFile, out);
    return failures;
  }

  private static void difference(List<String> report, String path, Stats both, Stats oneDown) {
    Optional<Duration> both50 = both.percentile(50);
    Optional<Duration> down50 = oneDown.percentile(50);
    if (both50.isPresent() && down50.isPresent()) {
      report.add(String.format(Locale.ROOT, "join %s p50 with the first registry down minus with both up: %+.2f s", path,
          (down50.get().toNanos() - both50.get().toNanos()) / 1e9));
    }
  }

  /** One trial's measurements; empty: no reply within {@link #LIMIT}. */
  record Trial(Join joinBoth, Optional<Duration> failover, Join joinOneDown) {}

  /** A join's first packets to the pair's port-restricted node (direct) and to its symmetric one (relayed). */
  record Join(Optional<Duration> direct, Optional<Duration> relayed) {}

  /** One trial; null when it failed with an error (noted). */
  private Trial trial(int number) {
    try (StandaloneMesh mesh = new StandaloneMesh("bench-failover-" + number, 2, product, settings.registryOpts())) {
      Node s = mesh.addNode("s", NatKind.SYMMETRIC);
      Node p = mesh.addNode("p", NatKind.PORT_RESTRICTED);
      mesh.link(s, p);
      mesh.awaitRegistered(s, p);
      Instant t0 = mesh.startAgents(settings.agentOpts(), s, p);
      try (PingWatch ping = new PingWatch(s, p, "0.05")) {
        if (ping.awaitReply(t0, LIMIT, () -> s.endpointOf(p).map(e -> e.startsWith("127.")).orElse(false)).isEmpty()) {
          throw new IllegalStateException("the pair did not connect through the relay within " + LIMIT.toSeconds() + " s");
        }
        Join joinBoth = join(mesh, "j", p, s);

        long before = mesh.registryBytes(0, "s");
        ConvergenceBench.sleep(1000); // pings through the relay for a second
        if (mesh.registryBytes(0, "s") - before < 1000) {
          notes.add("trial " + number + ": the relayed pings did not go through the first registry before the kill ("
              + (mesh.registryBytes(0, "s") - before) + " bytes in 1 s)");
        }
        Instant killed = mesh.killRegistry(0);
        Optional<Duration> failover = ping.awaitReply(killed.plus(IN_FLIGHT), LIMIT, () -> true).map(t -> Duration.between(killed, t));

        Pattern noticed = Pattern.compile("registry " + Pattern.quote(StandaloneMesh.registryIp(0)) + "\\b.*unreachable");
        StandaloneMesh.waitFor(LIMIT, () -> noticed.matcher(p.agent.log()).find() && noticed.matcher(s.agent.log()).find(),
            "the pair's agents did not log the first registry unreachable");
        Join joinDown = join(mesh, "k", p, s);
        return new Trial(joinBoth, failover, joinDown);
      }
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
      notes.add("trial " + number + " failed with an error, its measurements counted as failed: " + message);
      return null;
    }
  }

  /**
   * A new node behind a port-restricted NAT linked to {@code direct} (behind a port-restricted NAT)
   * and {@code relayed} (behind a symmetric one): from its agent's start to its first ping reply from each.
   */
  private Join join(StandaloneMesh mesh, String name, Node direct, Node relayed) {
    Node n = mesh.addNode(name, NatKind.PORT_RESTRICTED);
    mesh.link(n, direct);
    mesh.link(n, relayed);
    mesh.awaitRegistered(n);
    try (PingWatch toDirect = new PingWatch(n, direct, "0.05"); PingWatch toRelayed = new PingWatch(n, relayed, "0.05")) {
      Instant started = mesh.startAgents(settings.agentOpts(), n);
      Optional<Duration> first = toDirect.awaitReply(started, LIMIT, () -> true).map(t -> Duration.between(started, t));
      return new Join(first, toRelayed.awaitReply(started, LIMIT, () -> true).map(t -> Duration.between(started, t)));
    }
  }

  private static String text(Optional<Duration> d) {
    return d.map(ConvergenceBench::seconds).orElse("none");
  }

  private void progress(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** Settings from the environment. */
  record Settings(int trials, List<String> agentOpts, List<String> registryOpts, String loadBefore) {
    static final String HELP = String.join("\n",
        "environment:",
        "  TRIALS=5             trials, each a fresh mesh with two registries",
        "  AGENT_JAVA_OPTS=\"" + ConvergenceBench.Settings.DEFAULT_AGENT_OPTS + "\"   JVM options of every agent",
        "  REGISTRY_JAVA_OPTS=\"\"  JVM options of the registries");

    static Settings fromEnvironment(Map<String, String> env) {
      return new Settings(positive(env, "TRIALS", 5),
          words(env.getOrDefault("AGENT_JAVA_OPTS", ConvergenceBench.Settings.DEFAULT_AGENT_OPTS)),
          words(env.getOrDefault("REGISTRY_JAVA_OPTS", "")), loadAverage());
    }
  }
}
