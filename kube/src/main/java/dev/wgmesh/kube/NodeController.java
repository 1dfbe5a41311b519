package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.kube.client.KubeApi;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop both node daemons run in Kubernetes mode (the agent and the registry): follow the
 * daemon's {@code WireGuardNodeConfig} ({@link ResourceWatch}) and what its {@link NodeRole} follows
 * besides; from that, the desired state; bring the interface to it ({@link InterfaceReconciler}) on
 * every change and again every {@code reconcileInterval} (which repairs drift, such as a crashed
 * wireguard-go; a failed attempt is tried again within 5 s); report status ({@link NodeStatus},
 * written by {@link StatusWriter} at a bounded rate, with back-off).
 *
 * <p>Nothing the API server does or fails to do tears the interface down: an outage only delays
 * changes and status, and a deleted configuration leaves the interface as it is. A configuration
 * of another mesh is not applied.
 *
 * <p>Threads: one loop thread owns the interface and calls the role; the informers hand over to
 * it.
 */
public final class NodeController<T extends NodeRole.Translation> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeController.class);
  /** The longest wait before an interface that could not be configured is tried again. */
  static final Duration RETRY = Duration.ofSeconds(5);

  private final String daemon;
  private final NodeSettings<?> settings;
  private final KubeApi client;
  private final InterfaceReconciler reconciler;
  private final NodeRole<T> role;
  private final Clock clock;
  private final StatusWriter statusWriter;
  /** A configuration to apply before the API server answers (the agent's saved one), until the loop takes it. */
  private final AtomicReference<DesiredConfig> incoming = new AtomicReference<>();
  /** The node config as the API server has it; null when none or deleted. */
  private volatile DesiredConfig nodeConfig;
  /** Set when {@link #nodeConfig} or what the role follows changed. */
  private final AtomicBoolean changed = new AtomicBoolean();
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean running;
  private volatile boolean configPresent = true;
  private volatile Optional<WireGuardNodeConfigStatus> lastStatus = Optional.empty();
  private final PeerArrivals arrivals = new PeerArrivals();
  private Thread loop;
  private ResourceWatch<WireGuardNodeConfig> watch;

  // Owned by the loop thread.
  private DesiredConfig desired;
  private T applied;
  private Long appliedGeneration;
  private String lastError;
  private Instant nextApply = Instant.MIN;
  private Instant nextStatus = Instant.MIN;
  /** The last translation, of {@link #translatedFrom} with the public key {@link #translatedFor}. */
  private T translation;
  private DesiredConfig translatedFrom;
  private WireGuardKey translatedFor;
  /** The peers the status reports, and the translation they were taken from. */
  private List<PeerConfig> reported = List.of();
  private T reportedOf;

  /** @param daemon "agent" or "registry": names the loop thread and the daemon in messages */
  public NodeController(String daemon, NodeSettings<?> settings, KubeApi client, InterfaceReconciler reconciler, NodeRole<T> role,
      Clock clock) {
    this.daemon = daemon;
    this.settings = settings;
    this.client = client;
    this.reconciler = reconciler;
    this.role = role;
    this.clock = clock;
    this.statusWriter = new StatusWriter(client, settings.configName(), settings.statusMinInterval(), clock);
  }

  /**
   * Starts the role, the loop and the watch; returns at once, whether or not the API server answers.
   *
   * @throws IOException when the role cannot start
   */
  public synchronized void start() throws IOException {
    role.start(this::changed).ifPresent(incoming::set);
    running = true;
    loop = new Thread(this::runLoop, "wgmesh-" + daemon);
    loop.start();
    watch = ResourceWatch.nodeConfig(client, settings.configName(), settings.resync(), this::onConfig, this::onDelete);
    watch.start();
  }

  /** The last status the loop built (written or not), for tests and diagnostics. */
  public Optional<WireGuardNodeConfigStatus> lastStatus() {
    return lastStatus;
  }

  public int statusWrites() {
    return statusWriter.writes();
  }

  void onConfig(WireGuardNodeConfig config) {
    if (!configPresent) {
      statusWriter.reset(); // a new object: its status is empty
    }
    configPresent = true;
    nodeConfig = DesiredConfig.of(config);
    changed();
  }

  void onDelete(WireGuardNodeConfig config) {
    configPresent = false;
    nodeConfig = null;
    changed.set(true);
    log.warn("WireGuardNodeConfig {} was deleted; {}", settings.configName(), role.whenDeleted());
  }

  private void changed() {
    changed.set(true);
    wake.release();
  }

  private void runLoop() {
    while (running) {
      try {
        step();
      } catch (RuntimeException e) {
        log.error("unexpected error in the {} loop; going on", daemon, e);
      }
      try {
        wake.tryAcquire(settings.tick().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One pass of the loop: what changed, apply when due, the role's tick, status when due. */
  void step() {
    Instant now = clock.instant();
    if (role.refresh(now)) {
      nextApply = now;
    }
    DesiredConfig next = incoming.getAndSet(null);
    if (changed.getAndSet(false)) {
      next = role.desired(nodeConfig).orElse(next);
    }
    if (next != null && !next.sameAs(desired)) {
      desired = next;
      nextApply = now;
    }
    Optional<KeyPair> keys = role.keys();
    if (keys.isPresent() && desired != null && !now.isBefore(nextApply)) {
      apply(keys.get());
    }
    role.tick(now);
    now = clock.instant();
    if (!now.isBefore(nextStatus) && keys.isPresent() && (applied != null || lastError != null)) {
      nextStatus = now.plus(settings.statusCheck());
      reportStatus(keys.get());
    }
  }

  private void apply(KeyPair keys) {
    Instant now = clock.instant();
    nextApply = now.plus(settings.reconcileInterval());
    String mesh = desired.spec().getMesh();
    if (mesh != null && !mesh.equals(settings.mesh())) {
      setError("WireGuardNodeConfig " + desired.name() + " belongs to mesh " + mesh + ", this " + daemon + " serves mesh "
          + settings.mesh() + ": not applied");
      return;
    }
    T translated;
    if (desired == translatedFrom && keys.publicKey().equals(translatedFor)) {
      translated = translation; // the reconcile of an unchanged configuration: translated once
    } else {
      try {
        translated = role.translate(desired.spec(), keys.publicKey());
      } catch (IllegalArgumentException e) {
        setError("invalid configuration (generation " + desired.generation() + "): " + e.getMessage() + "; not applied");
        return;
      }
      translation = translated;
      translatedFrom = desired;
      translatedFor = keys.publicKey();
    }
    InterfaceReconciler.Result result;
    try {
      result = reconciler.apply(keys.privateKey(), translated.config());
    } catch (IOException | RuntimeException e) {
      setError("cannot configure " + reconciler.iface() + ": " + e.getMessage());
      nextApply = now.plus(settings.reconcileInterval().compareTo(RETRY) < 0 ? settings.reconcileInterval() : RETRY);
      return;
    }
    boolean newGeneration = !Objects.equals(appliedGeneration, desired.generation()) || applied == null;
    applied = translated;
    appliedGeneration = desired.generation();
    if (newGeneration || result.changedAnything()) {
      log.info("configuration generation {} applied to {} ({} peers){}", desired.generation(), reconciler.iface(),
          translated.config().peers().size(), result.changedAnything() ? "" : ", nothing to change");
    }
    List<String> problems = new ArrayList<>(translated.problems());
    problems.addAll(result.warnings());
    role.applied(desired, translated).ifPresent(problems::add);
    String error = problems.isEmpty() ? null : String.join("; ", problems);
    if (error != null && !error.equals(lastError)) {
      log.warn("configuration {} applied with problems: {}", desired.generation(), error);
    }
    lastError = error;
  }

  private void setError(String error) {
    if (!error.equals(lastError)) {
      log.warn("{}", error);
    }
    lastError = error;
  }

  private void reportStatus(KeyPair keys) {
    Optional<DeviceState> state;
    try {
      state = Optional.of(reconciler.device().read());
    } catch (IOException | RuntimeException e) {
      state = Optional.empty();
    }
    Instant now = clock.instant();
    if (applied != reportedOf || reportedOf == null) {
      // the peers change only with what was applied: not worked out again for every status
      reported = applied == null ? List.of() : role.reportedPeers(applied);
      reportedOf = applied;
      arrivals.update(reported.stream().map(PeerConfig::publicKey).toList(), now);
    }
    WireGuardNodeConfigStatus status = NodeStatus.build(appliedGeneration, lastError, keys.publicKey(), reported, state, role.pathCounts(),
        role.peerPaths(), arrivals.settling(settings.pendingGrace(), now), role::isRelayEndpoint, now, role.statusListing());
    status.setRegistries(NodeStatus.registries(desired == null ? List.of() : desired.spec().effectiveRegistryPeers(),
        role.registriesReachable()));
    lastStatus = Optional.of(status);
    if (configPresent) {
      statusWriter.offer(status);
    }
  }

  /** Stops following the API server, the loop and the role's services. A kernel interface stays configured. */
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
    role.close();
    statusWriter.close();
    reconciler.close();
  }
}
