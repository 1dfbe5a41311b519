package dev.wgmesh.bench;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import dev.wgmesh.testapiserver.StrictApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The controller benchmark: a real operator process, as its ServiceAccount with the chart's RBAC,
 * against the strict test API server ({@link StrictApiServer}: kube-apiserver's patch and status
 * subresource semantics) holding N nodes and their peers, as agents would have created them. Measures the time until
 * every node config and peer set is rendered and written, the time until one more node is in
 * what every agent applies (its own config, the registry's, a peer set), the API writes of the
 * whole mesh (operator and agents: {@link SimulatedAgents} write their statuses as real ones do)
 * in steady state and per join, counted at the server ({@link WriteCounter}), and the
 * operator's heap after a full GC.
 *
 * <p>Usage: {@code ControllerBench <wgmesh.jar> <nodes> [<nodes> ...]}
 */
public final class ControllerBench {
  static final String MESH = "bench";
  static final int JOINS = Integer.getInteger("joins", 5);
  static final long SETTLE_MILLIS = 2000;
  /** How often the checks look at what the bench's informers hold (local: no request to the server). */
  static final long CHECK_MILLIS = 50;
  /** How long steady-state writes are counted. */
  static final int STEADY_SECONDS = Integer.getInteger("steady", 30);
  /**
   * Nodes of the warm-up round (default: the largest round's), 0 for none: the test API server
   * runs in this JVM, and its code is compiled by the JIT while it serves, which kube-apiserver
   * (compiled ahead of time) never pays. The round writes the configs of that many nodes with an
   * operator of its own, and is not measured.
   */
  static final String WARMUP = "warmup";

  private ControllerBench() {}

  record Result(int nodes, double renderSeconds, double joinSeconds, double joinMaxSeconds, double steadyWrites, double steadyBytes,
      double writesPerJoin, double bytesPerJoin, long heapBytes) {}

  public static void main(String[] args) throws Exception {
    // The simulated agents write through Kubernetes clients in this JVM, as the product's processes do.
    dev.wgmesh.core.cli.Cli.shareCommonPool();
    if (args.length < 2) {
      System.err.println("usage: ControllerBench <wgmesh.jar> <nodes> [<nodes> ...]");
      System.exit(2);
    }
    Path jar = Path.of(args[0]);
    int largest = java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).max().orElse(0);
    int warmup = Integer.getInteger(WARMUP, largest);
    if (warmup > 0) {
      System.out.printf("warm-up of the test API server's code: the configs of %d nodes, not measured%n", warmup);
      run(jar, warmup, true);
      System.out.println();
    }
    List<Result> results = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      results.add(run(jar, Integer.parseInt(args[i]), false));
    }
    System.out.println();
    System.out.printf("%6s  %12s  %20s  %22s  %24s  %10s%n", "nodes", "configs (s)", "join p50/max (s)", "steady writes/s, B/s",
        "per join: writes, KiB", "heap MiB");
    for (Result r : results) {
      System.out.printf("%6d  %12.2f  %13.2f / %.2f  %13.2f, %6.0f  %15.0f, %7.0f  %10.1f%n", r.nodes, r.renderSeconds, r.joinSeconds,
          r.joinMaxSeconds, r.steadyWrites, r.steadyBytes, r.writesPerJoin, r.bytesPerJoin / 1024, r.heapBytes / 1048576.0);
    }
    for (Result r : results) {
      if (r.nodes != 1000 && r.nodes != 5000) {
        continue;
      }
      System.out.println();
      System.out.printf("target (%d nodes): all node configs written <= 10 s: %.2f s %s%n", r.nodes, r.renderSeconds, pass(r.renderSeconds <= 10));
      System.out.printf("target (%d nodes): a join reflected everywhere <= 1 s: max of %d joins %.2f s %s%n", r.nodes, JOINS, r.joinMaxSeconds,
          pass(r.joinMaxSeconds <= 1));
      System.out.printf("target (%d nodes): steady state <= 5 writes/s for the mesh: %.2f %s%n", r.nodes, r.steadyWrites, pass(r.steadyWrites <= 5));
      System.out.printf("target (%d nodes): operator heap <= 256 MiB: %.1f MiB %s%n", r.nodes, r.heapBytes / 1048576.0,
          pass(r.heapBytes <= 256L << 20));
    }
  }

  private static String pass(boolean ok) {
    return ok ? "PASS" : "FAIL";
  }

  /** One round of {@code n} nodes; with {@code configsOnly}, it ends when every config is written (null). */
  static Result run(Path jar, int n, boolean configsOnly) throws Exception {
    WriteCounter dispatcher = new WriteCounter();
    StrictApiServer api = StrictApiServer.builder().meshes(MESH).observe(dispatcher).start();
    Process operator = null;
    MeshView view = null;
    int metricsPort = freePort();
    java.util.concurrent.ScheduledExecutorService checks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    // The set-up, the checks and the simulated agents as an administrator: each agent's own RBAC
    // (its node's config status only) is proven by the agent's tests, not measured here.
    // Long request timeouts: at a thousand agents' first writes the test server queues requests for
    // longer than a client's default 10 s.
    try (KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(api.config(dev.wgmesh.testapiserver.Identity.ADMIN).withRequestTimeout(120_000).build()).build();
        SimulatedAgents agents = new SimulatedAgents(client, RegistryObjectNames.object(MESH, null))) {
      WireGuardMesh mesh = new WireGuardMesh();
      mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
      mesh.getSpec().setNetwork("10.88.0.0/16");
      mesh.getSpec().setRegistry(new dev.wgmesh.api.v1alpha1.WireGuardMeshSpec.RegistrySpec());
      mesh.getSpec().getRegistry().setEndpoint("203.0.113.5:51820");
      client.resource(mesh).create();
      List<WireGuardKey> keys = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        keys.add(KeyPair.generate().publicKey());
        addNode(client, i, keys.get(i));
      }
      System.out.printf("%d nodes and peers created; starting the operator%n", n);
      long start = System.nanoTime();
      double serverCpuAtStart = BenchEnvironment.cpuSeconds(ProcessHandle.current().pid());
      operator = startOperator(jar, api, metricsPort);
      // Written is what the server stored: n + 1 configs (the registry's too) created. Until then
      // nothing here watches, so the server serves the operator alone, as at a fresh install.
      waitFor(() -> dispatcher.stored(CONFIG_CREATES) >= n + 1, 300, "all node configs for " + n + " nodes");
      double render = (System.nanoTime() - start) / 1e9;
      double operatorCpu = BenchEnvironment.cpuSeconds(operator.pid());
      double serverCpu = BenchEnvironment.cpuSeconds(ProcessHandle.current().pid()) - serverCpuAtStart;
      Map<String, WriteCounter.Count> atRender = dispatcher.snapshot();
      // Then what was stored is checked: every config complete (the registry's lists all n), the
      // peer sets hold all n. A config or peer set written again after the count was reached would
      // mean the count was early; the time is then when the check passed.
      view = new MeshView(client);
      MeshView seen = view;
      waitFor(() -> seen.allConfigsComplete(n), 300, "all node configs for " + n + " nodes complete");
      if (!meshObjectWrites(WriteCounter.between(atRender, dispatcher.snapshot())).isEmpty()) {
        System.out.printf("%d nodes: configs or peer sets were written again after the last create: %s%n", n,
            meshObjectWrites(WriteCounter.between(atRender, dispatcher.snapshot())));
        render = (System.nanoTime() - start) / 1e9;
      }
      System.out.printf("%d nodes: every node config written after %.2f s; CPU meanwhile: operator %.1f s, this JVM (the test API "
          + "server and this benchmark) %.1f s%n", n, render, operatorCpu, serverCpu);
      if (configsOnly) {
        return null;
      }

      // The agents start once their configs are there, and write their statuses; joins are
      // measured in steady state: after the operator has written every peer's status and its
      // start-up Events, which it sends in the background, and every agent its status.
      for (int i = 0; i < n; i++) {
        agents.add(i, nodeName(i), keys.get(i));
      }
      Quiet quiet = new Quiet();
      checks.scheduleWithFixedDelay(() -> quiet.checked(agents.check(), agents.writes(), agents.unwritten()), 0, SimulatedAgents.STATUS_CHECK.toMillis(), TimeUnit.MILLISECONDS);
      waitFor(seen::allPeersHaveStatus, 300, "the status of every peer");
      waitFor(() -> agents.writes() >= n + 1, 300, "every agent's first status");
      quiet.await();
      awaitNoWrites(dispatcher); // the operator too: its peer statuses and Events after the agents' first reports
      List<Double> joins = new ArrayList<>();
      Map<String, WriteCounter.Count> beforeJoins = dispatcher.snapshot();
      Reconciles reconcilesBefore = Reconciles.scrape(metricsPort);
      for (int j = 0; j < JOINS; j++) {
        long joinStart = System.nanoTime();
        WireGuardKey key = KeyPair.generate().publicKey();
        String joined = addNode(client, n + j, key);
        waitFor(() -> seen.joinedEverywhere(joined), 120, "node " + joined + " in every config");
        joins.add((System.nanoTime() - joinStart) / 1e9);
        agents.add(n + j, joined, key); // its agent starts, and every other sees the new peer
        Thread.sleep(SETTLE_MILLIS);
      }
      Reconciles during = Reconciles.scrape(metricsPort).since(reconcilesBefore);
      System.out.printf("%d nodes: the operator's reconciles during the joins (from the first to %d s after the last): %d, %.0f ms on average%n",
          n, SETTLE_MILLIS / 1000, during.count(), during.meanMillis());
      // The joins' writes: until every agent has written all it holds, the counts that wait included.
      long settleStart = System.nanoTime();
      quiet.await();
      awaitNoWrites(dispatcher);
      double settled = (System.nanoTime() - settleStart) / 1e9;
      WriteCounter.Count joinWrites = WriteCounter.total(WriteCounter.between(beforeJoins, dispatcher.snapshot()));
      System.out.printf("%d nodes: joins (%d s apart) seen everywhere after %s s; every status written %.0f s after the last; "
          + "%d writes, %d KiB for %d joins: %s%n", n, SETTLE_MILLIS / 1000,
          joins.stream().map(d -> String.format("%.2f", d)).collect(Collectors.joining(", ")), settled, joinWrites.requests(),
          joinWrites.bytes() / 1024, JOINS, WriteCounter.between(beforeJoins, dispatcher.snapshot()));
      List<Double> sorted = joins.stream().sorted().toList();
      double join = sorted.get(sorted.size() / 2);
      double joinMax = sorted.get(sorted.size() - 1);

      quiet.await();
      Map<String, WriteCounter.Count> before = dispatcher.snapshot();
      long steadyStart = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(STEADY_SECONDS));
      double steadySeconds = (System.nanoTime() - steadyStart) / 1e9;
      Map<String, WriteCounter.Count> steady = WriteCounter.between(before, dispatcher.snapshot());
      WriteCounter.Count total = WriteCounter.total(steady);
      System.out.printf("%d nodes: steady state, %.0f s: %d writes, %d bytes %s%n", n, steadySeconds, total.requests(), total.bytes(), steady);
      long heap = heapAfterGc(operator.pid());
      return new Result(n, render, join, joinMax, total.requests() / steadySeconds, total.bytes() / steadySeconds,
          joinWrites.requests() / (double) JOINS, joinWrites.bytes() / (double) JOINS, heap);
    } finally {
      checks.shutdownNow();
      if (view != null) {
        view.close();
      }
      if (operator != null) {
        operator.destroy();
        if (!operator.waitFor(10, TimeUnit.SECONDS)) {
          operator.destroyForcibly();
        }
      }
      api.stop();
      System.out.println("requests the server refused (RBAC, patch rules): " + api.rejections().size());
      api.rejections().stream().limit(10).forEach(r -> System.out.println("  " + r));
    }
  }

  static final String CONFIG_CREATES = "POST wireguardnodeconfigs";

  /** The writes of node configs and peer sets among {@code writes} (their statuses left out). */
  static Map<String, WriteCounter.Count> meshObjectWrites(Map<String, WriteCounter.Count> writes) {
    Map<String, WriteCounter.Count> out = new java.util.TreeMap<>(writes);
    out.keySet().removeIf(k -> !(k.endsWith(" wireguardnodeconfigs") || k.endsWith(" wireguardpeersets")));
    return out;
  }

  static String nodeName(int i) {
    return String.format("node-%04d", i);
  }

  static String addNode(KubernetesClient client, int i, WireGuardKey key) {
    String name = nodeName(i);
    String podCidr = "10." + (100 + i / 250) + "." + (i % 250) + ".0/24";
    client.resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec().build()).create();
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new ObjectMetaBuilder().withName(name).build());
    peer.getSpec().setMesh(MESH);
    peer.getSpec().setNodeName(name);
    peer.getSpec().setPublicKey(key.toBase64());
    client.resource(peer).create();
    return name;
  }

  /**
   * What the checks read, kept by informers as any watcher would: polling lists instead (every
   * config, every peer set, the registry's config of {@code n} peers, several times a second)
   * cost the single-threaded test server and this JVM more than the writes being measured.
   */
  static final class MeshView implements AutoCloseable {
    private final SharedIndexInformer<WireGuardNodeConfig> configs;
    private final SharedIndexInformer<WireGuardPeerSet> peerSets;
    private final SharedIndexInformer<WireGuardPeer> peers;

    MeshView(KubernetesClient client) {
      configs = client.resources(WireGuardNodeConfig.class).inform();
      peerSets = client.resources(WireGuardPeerSet.class).withLabel(WireGuardMesh.MESH_LABEL, MESH).inform();
      peers = client.resources(WireGuardPeer.class).inform();
    }

    /**
     * Every node has its config (with the registry peer), the registry's config lists all {@code n}
     * members, and the mesh's peer sets hold all of them: each agent applies its config plus the
     * peer sets but itself, i.e. the other {@code n - 1}.
     */
    boolean allConfigsComplete(int n) {
      List<WireGuardNodeConfig> all = configs.getStore().list();
      if (all.size() < n + 1) {
        return false;
      }
      for (WireGuardNodeConfig c : all) {
        WireGuardNodeConfigSpec spec = c.getSpec();
        boolean registry = Boolean.TRUE.equals(spec.getRegistry());
        if (registry ? spec.getPeers().size() != n : spec.getRegistryPeers().isEmpty()) {
          return false;
        }
      }
      return memberNames().size() == n;
    }

    /** The new node's config exists, the registry's config lists it, and so does a peer set (so every node's agent applies it). */
    boolean joinedEverywhere(String joined) {
      WireGuardNodeConfig own = configs.getStore().getByKey(joined);
      WireGuardNodeConfig registry = configs.getStore().getByKey(RegistryObjectNames.object(MESH, null));
      return own != null && registry != null && !own.getSpec().getRegistryPeers().isEmpty()
          && registry.getSpec().getPeers().stream().anyMatch(p -> p.getName().equals(joined))
          && memberNames().contains(joined);
    }

    boolean allPeersHaveStatus() {
      return peers.getStore().list().stream().allMatch(p -> p.getStatus() != null && p.getStatus().getAddress() != null);
    }

    private Set<String> memberNames() {
      return peerSets.getStore().list().stream()
          .flatMap(set -> set.getSpec().getPeers().stream()).map(WireGuardNodeConfigSpec.Peer::getName).collect(Collectors.toSet());
    }

    @Override
    public void close() {
      configs.close();
      peerSets.close();
      peers.close();
    }
  }

  /** Waits until a round of status checks started no write and no write ended since the round before. */
  static final class Quiet {
    private int rounds;
    private boolean quiet;
    private int writes = -1;

    synchronized void checked(int started, int writesSoFar, boolean unwritten) {
      rounds++;
      quiet = started == 0 && writesSoFar == writes && !unwritten;
      writes = writesSoFar;
      notifyAll();
    }

    synchronized void await() throws InterruptedException {
      int from = rounds;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
      while (rounds <= from + 1 || !quiet) { // a whole round after now, it wrote nothing, and nothing waits
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("the agents' statuses did not settle in 600 s");
        }
        wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
      }
    }
  }

  /** Waits until no component has written anything for {@link #SETTLE_MILLIS} (at most 10 minutes). */
  static void awaitNoWrites(WriteCounter counter) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    long last = WriteCounter.total(counter.snapshot()).requests();
    long quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the mesh's writes did not stop within 10 minutes");
      }
      Thread.sleep(200);
      long now = WriteCounter.total(counter.snapshot()).requests();
      if (now != last) {
        last = now;
        quietSince = System.nanoTime();
      }
    }
  }

  static Process startOperator(Path jar, StrictApiServer api, int metricsPort) throws IOException {
    Path log = Files.createTempFile("wgmesh-bench-operator", ".log");
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
        "operator", "--namespace", StrictApiServer.NAMESPACE, "--no-leader-election", "--metrics", "127.0.0.1:" + metricsPort);
    Map<String, String> env = pb.environment();
    env.putAll(api.environment(StrictApiServer.OPERATOR));
    String options = System.getProperty("operatorJavaOptions", ""); // e.g. a flight recording, to see where its time goes
    if (!options.isBlank()) {
      env.put("JDK_JAVA_OPTIONS", options);
    }
    env.put("POD_NAMESPACE", StrictApiServer.NAMESPACE);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    System.out.println("operator log: " + log);
    return pb.start();
  }

  static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The operator's successful reconciles as its {@code wgmesh_operator_reconcile} timer counts them at {@code /metrics}. */
  record Reconciles(long count, double sumSeconds) {
    private static final java.util.regex.Pattern SAMPLE =
        java.util.regex.Pattern.compile("^wgmesh_operator_reconcile_seconds_(count|sum)\\{[^}]*result=\"success\"[^}]*} (\\S+)$");

    static Reconciles scrape(int port) throws IOException, InterruptedException {
      var response = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      long count = 0;
      double sum = 0;
      for (String line : response.body().split("\n")) {
        var m = SAMPLE.matcher(line);
        if (m.matches() && m.group(1).equals("count")) {
          count = (long) Double.parseDouble(m.group(2));
        } else if (m.matches()) {
          sum = Double.parseDouble(m.group(2));
        }
      }
      return new Reconciles(count, sum);
    }

    Reconciles since(Reconciles before) {
      return new Reconciles(count - before.count, sumSeconds - before.sumSeconds);
    }

    double meanMillis() {
      return count == 0 ? 0 : sumSeconds / count * 1000;
    }
  }

  /** Heap used after a full GC, as {@code jcmd GC.heap_info} reports it. */
  static long heapAfterGc(long pid) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
    Process info = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String out = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    return heapUsed(out);
  }

  /**
   * The bytes in use in the Java heap by {@code jcmd GC.heap_info}: G1 prints one line for the heap
   * (" garbage-first heap   total 262144K, used 48765K [...]"), the serial and parallel collectors
   * one per generation (" def new generation   total 9792K, used 0K", " tenured generation   total
   * 21588K, used 12345K"); Metaspace, which is not heap, has no total before its use.
   */
  static long heapUsed(String heapInfo) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*(garbage-first heap|def new generation|tenured generation"
        + "|PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K").matcher(heapInfo);
    long used = 0;
    boolean found = false;
    while (m.find()) {
      used += Long.parseLong(m.group(2)) * 1024;
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("no heap in the operator's GC.heap_info: " + heapInfo.strip());
    }
    return used;
  }

  static void waitFor(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
      }
      Thread.sleep(CHECK_MILLIS);
    }
  }
}
