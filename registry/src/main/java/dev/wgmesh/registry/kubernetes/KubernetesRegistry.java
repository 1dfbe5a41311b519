package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.kube.ResourceWatch;
import dev.wgmesh.kube.StatusWriter;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.registry.RegistryMetrics;
import dev.wgmesh.registry.RegistryService;
import dev.wgmesh.registry.dns.DnsServer;
import dev.wgmesh.registry.dns.ZoneIndex;
import dev.wgmesh.registry.relay.RelayServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code wgmesh registry --kubernetes}: the standalone registry ({@link RegistryService},
 * {@link DnsServer}, {@link RelayServer}) on an interface configured from the operator's resources:
 * the private key from the Secret {@code <mesh>-registry-key}, the peers from the
 * {@code WireGuardNodeConfig} {@code <mesh>-registry}, the zone from the {@code WireGuardMesh}. The
 * interface is brought to the configuration with the agent's own reconciliation
 * ({@link InterfaceReconciler}), so the endpoints the registry learns from its peers' handshakes are
 * never reset. DNS-SD and the relay are served on the tunnel addresses, and moved when they change.
 *
 * <p>An API server outage changes nothing: the registry keeps serving what its device observes.
 */
public final class KubernetesRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesRegistry.class);
  /** Handshake times alone never make a status write: they change every two minutes per peer. */
  private static final Duration HANDSHAKE_TIMES_ALONE = ChronoUnit.CENTURIES.getDuration();

  /**
   * @param zone overrides the mesh's zone when present
   * @param listen where to serve DNS; empty: every tunnel address, port {@code dnsPort}
   * @param relayListen where to relay; empty: every tunnel address, port {@code relayPort}
   */
  public record Settings(String mesh, String namespace, Optional<String> zone, List<InetSocketAddress> listen, int dnsPort,
      List<InetSocketAddress> relayListen, int relayPort, Optional<Duration> maxHandshakeAge, Duration refresh, int maxUdpPayload,
      int udpWorkers, Duration reconcileInterval, Duration statusMinInterval, Duration resync) {

    public String configName() {
      return mesh + "-registry";
    }
  }

  private final Settings settings;
  private final KubernetesClient client;
  private final InterfaceReconciler reconciler;
  private final RegistryMetrics metrics;
  private final Clock clock;
  private final AtomicReference<WireGuardNodeConfig> incoming = new AtomicReference<>();
  private final Semaphore wake = new Semaphore(0);
  private final StatusWriter statusWriter;
  private volatile boolean running;
  private Thread loop;
  private ResourceWatch<WireGuardNodeConfig> watch;

  // Owned by the loop thread.
  private KeyPair keys;
  private String zone;
  private WireGuardNodeConfig desired;
  private RegistryConfigs.Translated applied;
  private Long appliedGeneration;
  private String lastError;
  private Serving serving;
  private Instant nextApply = Instant.MIN;
  private Instant nextKeyCheck = Instant.MIN;
  private Instant nextStatus = Instant.MIN;
  private final java.util.Map<String, String> loggedProblems = new java.util.HashMap<>();

  /** What is being served, and where (as asked for: port 0 stays 0 here). */
  private record Serving(String zone, List<InetAddress> tunnel, List<InetSocketAddress> dns, List<InetSocketAddress> relay,
      RegistryService service, DnsServer dnsServer, RelayServer relayServer) {
    boolean sameAs(String z, List<InetAddress> t, List<InetSocketAddress> d, List<InetSocketAddress> r) {
      return zone.equals(z) && tunnel.equals(t) && dns.equals(d) && relay.equals(r);
    }

    void close() {
      dnsServer.close();
      if (relayServer != null) {
        relayServer.close();
      }
    }
  }

  public KubernetesRegistry(Settings settings, KubernetesClient client, InterfaceReconciler reconciler, RegistryMetrics metrics, Clock clock) {
    this.settings = settings;
    this.client = client;
    this.reconciler = reconciler;
    this.metrics = metrics;
    this.clock = clock;
    this.statusWriter = new StatusWriter(client, settings.configName(), settings.statusMinInterval(), HANDSHAKE_TIMES_ALONE, clock);
  }

  /** Starts following the API server; returns at once. */
  public synchronized void start() {
    running = true;
    watch = ResourceWatch.nodeConfig(client, settings.configName(), settings.resync(), c -> {
      incoming.set(c);
      wake.release();
    }, c -> log.warn("WireGuardNodeConfig {} was deleted; the registry keeps its interface and goes on serving", settings.configName()));
    watch.start();
    loop = new Thread(this::runLoop, "wgmesh-registry");
    loop.start();
  }

  /** The addresses DNS is served on (UDP and TCP), once serving. */
  public List<InetSocketAddress> dnsAddresses() {
    Serving s = serving;
    return s == null ? List.of() : s.dnsServer().addresses();
  }

  public List<InetSocketAddress> relayAddresses() throws IOException {
    Serving s = serving;
    return s == null || s.relayServer() == null ? List.of() : s.relayServer().addresses();
  }

  public Optional<KeyPair> keys() {
    return Optional.ofNullable(keys);
  }

  public int statusWrites() {
    return statusWriter.writes();
  }

  private void runLoop() {
    while (running) {
      try {
        step();
      } catch (RuntimeException e) {
        log.error("unexpected error in the registry loop; going on", e);
      }
      try {
        wake.tryAcquire(settings.refresh().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void step() {
    Instant now = clock.instant();
    if (!now.isBefore(nextKeyCheck)) {
      nextKeyCheck = now.plus(settings.reconcileInterval());
      readKey();
      readZone();
    }
    WireGuardNodeConfig next = incoming.getAndSet(null);
    if (next != null && (desired == null || !Objects.equals(next.getSpec(), desired.getSpec())
        || !Objects.equals(next.getMetadata().getGeneration(), desired.getMetadata().getGeneration()))) {
      desired = next;
      nextApply = now;
    }
    if (keys != null && desired != null && !now.isBefore(nextApply)) {
      apply();
    }
    if (serving != null) {
      serving.service().refresh();
    }
    if (!now.isBefore(nextStatus) && keys != null && (applied != null || lastError != null)) {
      nextStatus = now.plus(settings.statusMinInterval());
      writeStatus();
    }
  }

  private void readKey() {
    try {
      Secret secret = client.secrets().inNamespace(settings.namespace()).withName(RegistryKey.secretName(settings.mesh())).get();
      if (secret == null) {
        problem("key", "Secret " + settings.namespace() + "/" + RegistryKey.secretName(settings.mesh()) + " does not exist yet; waiting");
        return;
      }
      KeyPair read = RegistryKey.parse(secret);
      solved("key");
      if (keys == null || !keys.privateKey().equals(read.privateKey())) {
        log.info("registry key {}: public key {}", keys == null ? "loaded" : "changed", read.publicKey().toBase64());
        keys = read;
        nextApply = Instant.MIN;
      }
    } catch (KubernetesClientException | IllegalArgumentException e) {
      problem("key", "cannot read the registry's key: " + Errors.shortMessage(e) + (keys == null ? "; waiting" : "; keeping the current key"));
    }
  }

  private void readZone() {
    if (settings.zone().isPresent()) {
      zone = settings.zone().get();
      return;
    }
    try {
      WireGuardMesh mesh = client.resources(WireGuardMesh.class).withName(settings.mesh()).get();
      if (mesh == null) {
        problem("mesh", "WireGuardMesh " + settings.mesh() + " does not exist; waiting");
        return;
      }
      solved("mesh");
      String z = mesh.getSpec() == null || mesh.getSpec().getRegistry() == null ? null : mesh.getSpec().getRegistry().getZone();
      if (z != null && !z.equals(zone)) {
        log.info("zone {}", z);
        zone = z;
        nextApply = Instant.MIN;
      }
    } catch (KubernetesClientException e) {
      problem("mesh", "cannot read WireGuardMesh " + settings.mesh() + ": " + Errors.shortMessage(e)
          + (e.getCode() == 403 ? " (give the registry --zone, or the right to get wireguardmeshes)" : "")
          + (zone == null ? "; waiting" : ""));
    }
  }

  /** Logs a problem of a source once, until it is solved or changes. */
  private void problem(String source, String message) {
    if (!message.equals(loggedProblems.put(source, message))) {
      log.warn("{}", message);
    }
  }

  private void solved(String source) {
    if (loggedProblems.remove(source) != null) {
      log.info("{}: readable again", source);
    }
  }

  private void apply() {
    Instant now = clock.instant();
    nextApply = now.plus(settings.reconcileInterval());
    WireGuardNodeConfigSpec spec = desired.getSpec();
    RegistryConfigs.Translated translated;
    try {
      translated = RegistryConfigs.translate(spec, keys.publicKey());
    } catch (IllegalArgumentException e) {
      setError("invalid configuration (generation " + desired.getMetadata().getGeneration() + "): " + e.getMessage() + "; not applied");
      return;
    }
    InterfaceReconciler.Result result;
    try {
      result = reconciler.apply(keys.privateKey(), translated.config());
    } catch (IOException | RuntimeException e) {
      setError("cannot configure " + reconciler.iface() + ": " + e.getMessage());
      nextApply = now.plus(Duration.ofSeconds(5).compareTo(settings.reconcileInterval()) < 0 ? Duration.ofSeconds(5) : settings.reconcileInterval());
      return;
    }
    if (!Objects.equals(appliedGeneration, desired.getMetadata().getGeneration()) || result.changedAnything()) {
      log.info("configuration generation {} applied to {} ({} peers)", desired.getMetadata().getGeneration(), reconciler.iface(),
          translated.config().peers().size());
    }
    applied = translated;
    appliedGeneration = desired.getMetadata().getGeneration();
    List<String> problems = new ArrayList<>(translated.problems());
    problems.addAll(result.warnings());
    String servingError = ensureServing(translated);
    if (servingError != null) {
      problems.add(servingError);
    }
    String error = problems.isEmpty() ? null : String.join("; ", problems);
    if (error != null && !error.equals(lastError)) {
      log.warn("{}", error);
    }
    lastError = error;
  }

  private void setError(String error) {
    if (!error.equals(lastError)) {
      log.warn("{}", error);
    }
    lastError = error;
  }

  /** Starts serving, or moves the servers when the zone or the tunnel addresses changed; null when all is well. */
  private String ensureServing(RegistryConfigs.Translated translated) {
    if (zone == null) {
      return "no DNS zone yet (WireGuardMesh " + settings.mesh() + " not readable): not serving";
    }
    List<InetAddress> tunnel = translated.config().addresses().stream().map(IpPrefix::address)
        .sorted(Comparator.comparing(a -> a instanceof Inet6Address)).toList();
    List<InetSocketAddress> dns = settings.listen().isEmpty()
        ? tunnel.stream().map(a -> new InetSocketAddress(a, settings.dnsPort())).toList() : settings.listen();
    List<InetSocketAddress> relay = !translated.relay() ? List.of() : settings.relayListen().isEmpty()
        ? tunnel.stream().map(a -> new InetSocketAddress(a, settings.relayPort())).toList() : settings.relayListen();
    if (serving != null && serving.sameAs(zone, tunnel, dns, relay)) {
      return null;
    }
    if (serving != null) {
      log.info("zone or tunnel addresses changed: moving DNS-SD and the relay");
      serving.close();
      serving = null;
    }
    RegistryService service;
    try {
      ZoneIndex.parseZone(zone);
      service = new RegistryService(reconciler.device(), new RegistryService.Config(zone, settings.maxHandshakeAge(),
          settings.refresh(), Optional.empty(), tunnel, settings.maxUdpPayload()), clock, metrics);
    } catch (IOException | IllegalArgumentException e) {
      return "cannot serve zone " + zone + ": " + e.getMessage();
    }
    DnsServer dnsServer;
    try {
      dnsServer = DnsServer.start(service.processor(), dns, settings.udpWorkers());
    } catch (DnsServer.ListenException e) {
      return e.getMessage();
    }
    RelayServer relayServer = null;
    if (!relay.isEmpty()) {
      try {
        relayServer = RelayServer.start(relay, clock, metrics.meterRegistry());
      } catch (IOException e) {
        dnsServer.close();
        return e.getMessage();
      }
    }
    serving = new Serving(zone, tunnel, dns, relay, service, dnsServer, relayServer);
    log.info("serving zone {} on {}{}", zone, dnsServer.addresses().stream().map(Endpoints::format).toList(),
        relayServer == null ? ", relay off" : ", relay on " + relayAddressesOf(relayServer));
    return null;
  }

  private static List<String> relayAddressesOf(RelayServer server) {
    try {
      return server.addresses().stream().map(Endpoints::format).toList();
    } catch (IOException e) {
      return List.of("?");
    }
  }

  private void writeStatus() {
    Optional<DeviceState> state;
    try {
      state = Optional.of(reconciler.device().read());
    } catch (IOException | RuntimeException e) {
      state = Optional.empty();
    }
    statusWriter.offer(RegistryStatus.build(appliedGeneration, lastError, keys.publicKey(),
        applied == null ? List.of() : applied.config().peers(), state, clock.instant()));
  }

  @Override
  public synchronized void close() {
    running = false;
    if (watch != null) {
      watch.close();
    }
    if (loop != null) {
      wake.release();
      try {
        loop.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (serving != null) {
      serving.close();
      serving = null;
    }
    statusWriter.close();
    reconciler.close();
  }
}
