package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.ResourceWatch;
import dev.wgmesh.kube.StatusWriter;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
 * {@code wgmesh agent --kubernetes}: the standalone agent's discovery on an interface configured
 * from the node's {@code WireGuardNodeConfig} and its mesh's {@code WireGuardPeerSet}s.
 *
 * <ul>
 *   <li>Loads or creates the node's key pair ({@link KeyStore}); publishes the public key in the
 *       node's {@code WireGuardPeer} ({@link PeerPublisher}), retrying until the API server answers.
 *   <li>Follows the node's configuration and the peer sets of its mesh ({@link ResourceWatch}).
 *       What it applies is their merge ({@link NodeConfigs#withPeerSets}): the node config's
 *       interface, registry peer and own peers, then every member listed in the peer sets but the
 *       node itself. It applies that with {@link InterfaceReconciler}, on every change of either
 *       and again every {@code reconcileInterval} (which repairs drift, such as a crashed
 *       wireguard-go); runs discovery ({@link Discovery}) on the same device, restarting it only
 *       when the registry's coordinates change.
 *   <li>Applies a node config from the API server only once the peer sets were listed: the node
 *       config alone no longer names the mesh's members, so applying it early would strip them.
 *   <li>Keeps the last applied (merged) configuration on disk ({@link ConfigStore}) and starts from
 *       it, so a node that restarts while the API server is unreachable comes back configured,
 *       peers included.
 *   <li>Reports status ({@link StatusBuilder}, {@link StatusWriter}) at a bounded rate; its
 *       {@code appliedGeneration} is the node config's generation (a change in the peer sets only
 *       is applied without changing it).
 * </ul>
 *
 * <p>Nothing the API server does or fails to do tears the interface down: an outage only delays
 * changes and status, and a deleted configuration leaves the interface as it is (changes of the
 * peer sets wait until a configuration appears again).
 *
 * <p>Threads: one loop thread owns the interface and discovery; the informers and the status
 * writer hand over to it.
 */
public final class KubernetesAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesAgent.class);
  private static final Duration SETS_WAIT_WARNING = Duration.ofSeconds(10);

  /**
   * @param tick how often discovery looks at the device
   * @param reconcileInterval how often the configuration is applied again without a change
   * @param statusMinInterval at most one status write per this
   * @param statusHandshakeInterval at most one write per this when only handshake times changed
   * @param resync the informer's resync period
   * @param retryMax the longest wait between attempts to publish the peer
   */
  public record Settings(String nodeName, String mesh, Path stateDir, Duration tick, Duration reconcileInterval,
      Duration statusMinInterval, Duration statusHandshakeInterval, Duration resync, Duration retryMax) {

    public static Settings defaults(String nodeName, String mesh, Path stateDir) {
      return new Settings(nodeName, mesh, stateDir, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(5),
          Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(30));
    }

    public Settings withTick(Duration t) {
      return new Settings(nodeName, mesh, stateDir, t, reconcileInterval, statusMinInterval, statusHandshakeInterval, resync, retryMax);
    }

    public Settings withReconcileInterval(Duration r) {
      return new Settings(nodeName, mesh, stateDir, tick, r, statusMinInterval, statusHandshakeInterval, resync, retryMax);
    }

    public Settings withStatusIntervals(Duration min, Duration handshakes) {
      return new Settings(nodeName, mesh, stateDir, tick, reconcileInterval, min, handshakes, resync, retryMax);
    }

    public Settings withRetryMax(Duration r) {
      return new Settings(nodeName, mesh, stateDir, tick, reconcileInterval, statusMinInterval, statusHandshakeInterval, resync, r);
    }
  }

  private final Settings settings;
  private final KubernetesClient client;
  private final InterfaceReconciler reconciler;
  private final Discovery.Factory discoveryFactory;
  private final Clock clock;
  private final ConfigStore store;
  /** The configuration saved on disk, until the loop takes it. */
  private final AtomicReference<ConfigStore.Saved> incoming = new AtomicReference<>();
  /** The node config as the API server has it (its own spec, not merged); null when none or deleted. */
  private volatile ConfigStore.Saved nodeConfig;
  /** The mesh's peer sets; null until they were first listed. */
  private volatile List<WireGuardPeerSet> peerSets;
  /** Set by the watches when {@link #nodeConfig} or {@link #peerSets} changed. */
  private final AtomicBoolean apiChanged = new AtomicBoolean();
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean running;
  private volatile boolean configPresent = true;
  private Thread loop;
  private Thread publisher;
  private ResourceWatch<WireGuardNodeConfig> configWatch;
  private ResourceWatch<WireGuardPeerSet> setWatch;
  private StatusWriter statusWriter;
  private KeyPair keys;

  // Owned by the loop thread.
  private ConfigStore.Saved desired;
  private ConfigStore.Saved saved;
  private NodeConfigs.Translated applied;
  private Long appliedGeneration;
  private String lastError;
  private Discovery discovery;
  private DiscoveryTarget discoveryTarget;
  private WireGuardDevice discoveryDevice;
  private boolean discoveryFailing;
  private Instant nextApply = Instant.MAX;
  /** Since when a node config from the API server waits for the peer sets to be listed; null when not waiting. */
  private Instant waitingSince;
  private boolean waitLogged;
  private volatile boolean peerPublished;
  private volatile Optional<WireGuardNodeConfigStatus> lastStatus = Optional.empty();

  public KubernetesAgent(Settings settings, KubernetesClient client, InterfaceReconciler reconciler, Discovery.Factory discoveryFactory,
      Clock clock) {
    this.settings = settings;
    this.client = client;
    this.reconciler = reconciler;
    this.discoveryFactory = discoveryFactory;
    this.clock = clock;
    this.store = new ConfigStore(settings.stateDir());
  }

  /**
   * Loads the key, applies the configuration saved on disk if there is one, and starts following
   * the API server; returns at once, whether or not the API server answers.
   *
   * @throws IOException when the key cannot be loaded or created
   */
  public synchronized void start() throws IOException {
    keys = KeyStore.loadOrCreate(settings.stateDir());
    saved = store.load().orElse(null);
    if (saved != null) {
      log.info("applying the configuration saved in {} (generation {}) until the API server answers", store.file(), saved.generation());
      incoming.set(saved);
    }
    statusWriter = new StatusWriter(client, settings.nodeName(), settings.statusMinInterval(), settings.statusHandshakeInterval(), clock);
    running = true;
    loop = new Thread(this::runLoop, "wgmesh-agent");
    loop.start();
    setWatch = ResourceWatch.peerSets(client, settings.mesh(), settings.resync(), this::onPeerSets);
    setWatch.start();
    configWatch = ResourceWatch.nodeConfig(client, settings.nodeName(), settings.resync(), this::onConfig, this::onDelete);
    configWatch.start();
    publisher = new Thread(this::publishPeer, "peer-publisher");
    publisher.setDaemon(true);
    publisher.start();
  }

  public KeyPair keys() {
    return keys;
  }

  /** True once the node's WireGuardPeer was created or found up to date. */
  public boolean peerPublished() {
    return peerPublished;
  }

  /** The last status the loop built (written or not), for tests and diagnostics. */
  public Optional<WireGuardNodeConfigStatus> lastStatus() {
    return lastStatus;
  }

  public int statusWrites() {
    return statusWriter.writes();
  }

  private void onConfig(WireGuardNodeConfig config) {
    if (!configPresent) {
      statusWriter.reset(); // a new object: its status is empty
    }
    configPresent = true;
    nodeConfig = new ConfigStore.Saved(config.getMetadata().getName(), config.getMetadata().getGeneration(), config.getSpec());
    apiChanged.set(true);
    wake.release();
  }

  private void onPeerSets(List<WireGuardPeerSet> sets) {
    peerSets = sets;
    apiChanged.set(true);
    wake.release();
  }

  private void onDelete(WireGuardNodeConfig config) {
    configPresent = false;
    nodeConfig = null; // the interface stays as it is: peer set changes wait for a configuration too
    apiChanged.set(true);
    log.warn("WireGuardNodeConfig {} was deleted; the interface stays as it is until a configuration appears again",
        settings.nodeName());
  }

  /** Publishes the WireGuardPeer, retrying with backoff; then checks it again every resync period. */
  private void publishPeer() {
    PeerPublisher peers = new PeerPublisher(client, settings.nodeName(), settings.mesh(), keys.publicKey());
    Duration backoff = Duration.ofSeconds(1);
    boolean failing = false;
    while (running) {
      Duration wait;
      try {
        peers.ensure();
        peerPublished = true;
        if (failing) {
          log.info("WireGuardPeer {} published", settings.nodeName());
        }
        failing = false;
        backoff = Duration.ofSeconds(1);
        wait = settings.resync();
      } catch (RuntimeException e) {
        if (!failing) {
          log.warn("cannot publish WireGuardPeer {}: {}; retrying", settings.nodeName(), Errors.shortMessage(e));
        }
        failing = true;
        wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(settings.retryMax()) > 0 ? settings.retryMax() : backoff.multipliedBy(2);
      }
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void runLoop() {
    Instant nextStatus = Instant.MIN;
    while (running) {
      try {
        ConfigStore.Saved next = incoming.getAndSet(null);
        if (apiChanged.getAndSet(false)) {
          next = fromApiServer().orElse(next);
        }
        Instant now = clock.instant();
        if (next != null && !next.sameAs(desired)) {
          desired = next;
          nextApply = now;
        }
        if (desired != null && !now.isBefore(nextApply)) {
          apply();
        }
        logLongWait(now);
        tickDiscovery();
        if (!clock.instant().isBefore(nextStatus)) {
          reportStatus();
          nextStatus = clock.instant().plus(Duration.ofSeconds(1));
        }
      } catch (RuntimeException e) {
        log.error("unexpected error in the agent loop; going on", e);
      }
      try {
        wake.tryAcquire(settings.tick().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * The node config merged with the peer sets, when both are known. A node config alone is not
   * applied: it would strip all members of the mesh from the interface.
   */
  private Optional<ConfigStore.Saved> fromApiServer() {
    ConfigStore.Saved config = nodeConfig;
    List<WireGuardPeerSet> sets = peerSets;
    if (config == null) {
      waitingSince = null; // nothing waits
      return Optional.empty();
    }
    if (sets == null) {
      if (waitingSince == null) {
        waitingSince = clock.instant();
      }
      return Optional.empty();
    }
    if (waitLogged) {
      log.info("the WireGuardPeerSets of mesh {} are listed: applying WireGuardNodeConfig {} (generation {})", settings.mesh(),
          config.name(), config.generation());
    }
    waitingSince = null;
    waitLogged = false;
    return Optional.of(new ConfigStore.Saved(config.name(), config.generation(),
        NodeConfigs.withPeerSets(config.spec(), sets, keys.publicKey())));
  }

  /** Says so, once, when a node config has waited long for the peer sets (say, the agent may not list them). */
  private void logLongWait(Instant now) {
    if (waitingSince != null && !waitLogged && peerSets == null && now.isAfter(waitingSince.plus(SETS_WAIT_WARNING))) {
      ConfigStore.Saved config = nodeConfig;
      log.warn("WireGuardNodeConfig {} (generation {}) is not applied yet: the WireGuardPeerSets of mesh {} could not be listed for"
          + " {} s; {}", config == null ? settings.nodeName() : config.name(), config == null ? null : config.generation(), settings.mesh(),
          Duration.between(waitingSince, now).toSeconds(),
          desired == null ? "nothing is applied until they are" : "the interface stays as it is until they are");
      waitLogged = true;
    }
  }

  private void apply() {
    Instant now = clock.instant();
    nextApply = now.plus(settings.reconcileInterval());
    if (desired.spec().getMesh() != null && !desired.spec().getMesh().equals(settings.mesh())) {
      setError("WireGuardNodeConfig " + desired.name() + " belongs to mesh " + desired.spec().getMesh() + ", this agent serves mesh "
          + settings.mesh() + ": not applied");
      return;
    }
    NodeConfigs.Translated translated;
    try {
      translated = NodeConfigs.translate(desired.spec(), keys.publicKey());
    } catch (IllegalArgumentException e) {
      setError("invalid configuration (generation " + desired.generation() + "): " + e.getMessage() + "; not applied");
      return;
    }
    InterfaceReconciler.Result result;
    try {
      result = reconciler.apply(keys.privateKey(), translated.config());
    } catch (IOException | RuntimeException e) {
      setError("cannot configure " + reconciler.iface() + ": " + e.getMessage());
      nextApply = now.plus(min(settings.reconcileInterval(), Duration.ofSeconds(5)));
      return;
    }
    boolean newGeneration = !Objects.equals(appliedGeneration, desired.generation()) || applied == null;
    applied = translated;
    appliedGeneration = desired.generation();
    List<String> problems = new ArrayList<>(translated.problems());
    problems.addAll(result.warnings());
    String error = problems.isEmpty() ? null : String.join("; ", problems);
    if (!Objects.equals(error, lastError) && error != null) {
      log.warn("configuration {} applied with problems: {}", desired.generation(), error);
    }
    lastError = error;
    if (newGeneration || result.changedAnything()) {
      log.info("configuration generation {} applied to {} ({} peers){}", desired.generation(), reconciler.iface(),
          translated.config().peers().size(), result.changedAnything() ? "" : ", nothing to change");
    }
    if (!desired.sameAs(saved)) {
      try {
        store.save(desired);
        saved = desired;
      } catch (IOException e) {
        log.warn("cannot save the configuration to {}: {}", store.file(), e.getMessage());
      }
    }
    updateDiscovery(translated.discovery());
  }

  private void setError(String error) {
    if (!error.equals(lastError)) {
      log.warn("{}", error);
    }
    lastError = error;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  /**
   * Starts discovery, or restarts it when the registry's coordinates changed or the interface was
   * created anew.
   */
  private void updateDiscovery(Optional<DiscoveryTarget> target) {
    WireGuardDevice device = reconciler.currentDevice().orElse(reconciler.device());
    if (Objects.equals(target.orElse(null), discoveryTarget) && (discovery != null || target.isEmpty()) && device == discoveryDevice) {
      return;
    }
    if (discovery != null) {
      log.info("{}: restarting discovery", device != discoveryDevice ? "interface created anew" : "registry settings changed");
      discovery.close();
      discovery = null;
    }
    discoveryDevice = device;
    discoveryTarget = target.orElse(null);
    if (target.isEmpty()) {
      log.info("no registry in the configuration yet: discovery waits");
      return;
    }
    try {
      discovery = discoveryFactory.start(target.get(), device);
    } catch (IOException | RuntimeException e) {
      setError("cannot start discovery: " + e.getMessage());
      discoveryTarget = null; // tried again at the next apply
    }
  }

  private void tickDiscovery() {
    if (discovery == null) {
      return;
    }
    try {
      discovery.tick();
      if (discoveryFailing) {
        log.info("device {} readable again", reconciler.iface());
        discoveryFailing = false;
      }
    } catch (IOException | RuntimeException e) {
      if (!discoveryFailing) {
        log.warn("discovery cannot read {}: {}; tunnels stay as they are, retrying", reconciler.iface(), e.getMessage());
        discoveryFailing = true;
      }
    }
  }

  private void reportStatus() {
    if (applied == null && lastError == null) {
      return; // nothing to say yet
    }
    Optional<DeviceState> state;
    try {
      state = Optional.of(reconciler.device().read());
    } catch (IOException | RuntimeException e) {
      state = Optional.empty();
    }
    Discovery d = discovery;
    List<PeerConfig> peers = applied == null ? List.of() : applied.config().peers();
    WireGuardNodeConfigStatus status = StatusBuilder.build(appliedGeneration, lastError, keys.publicKey(), peers, state,
        d == null ? Optional.empty() : Optional.of(d.modeCounts()), e -> d != null && d.isRelayEndpoint(e), clock.instant());
    lastStatus = Optional.of(status);
    if (configPresent) {
      statusWriter.offer(status);
    }
  }

  /** Stops following the API server and stops discovery. A kernel interface stays configured. */
  @Override
  public synchronized void close() {
    running = false;
    if (configWatch != null) {
      configWatch.close();
    }
    if (setWatch != null) {
      setWatch.close();
    }
    if (publisher != null) {
      publisher.interrupt();
    }
    if (loop != null) {
      wake.release();
      try {
        loop.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (discovery != null) {
      discovery.close();
      discovery = null;
    }
    if (statusWriter != null) {
      statusWriter.close();
    }
    reconciler.close();
  }
}
