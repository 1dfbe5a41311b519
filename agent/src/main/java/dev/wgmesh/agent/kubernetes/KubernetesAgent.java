package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.DesiredConfig;
import dev.wgmesh.kube.NodeController;
import dev.wgmesh.kube.NodeRole;
import dev.wgmesh.kube.NodeSettings;
import dev.wgmesh.kube.NodeStatus;
import dev.wgmesh.kube.ResourceWatch;
import dev.wgmesh.kube.client.KubeApi;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Map;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.net.IpPrefix;
import java.util.ArrayList;
import java.net.InetAddress;

/**
 * {@code wgmesh agent --kubernetes}: the standalone agent's discovery on an interface configured
 * from the node's {@code WireGuardNodeConfig} and its mesh's {@code WireGuardPeerSet}s. The loop,
 * the interface and the status are the {@link NodeController}'s; this is the agent's part of it:
 *
 * <ul>
 *   <li>Loads or creates the node's key pair ({@link KeyStore}); publishes the public key in the
 *       node's {@code WireGuardPeer} ({@link PeerPublisher}), retrying until the API server answers.
 *   <li>Follows the peer sets of its mesh ({@link ResourceWatch}). What it applies is their merge
 *       with the node config ({@link NodeConfigs#withPeerSets}): the node config's interface,
 *       registry peer and own peers, then every member listed in the peer sets but the node itself.
 *       It runs discovery ({@link DiscoveryLoop}) on the same device, restarting it only when the
 *       registry's coordinates change.
 *   <li>Applies a node config from the API server only once the peer sets were listed: the node
 *       config alone no longer names the mesh's members, so applying it early would strip them.
 *   <li>Keeps the last applied (merged) configuration on disk ({@link ConfigStore}) and starts from
 *       it, so a node that restarts while the API server is unreachable comes back configured,
 *       peers included.
 *   <li>Reports discovery's counts in the status ({@link StatusBuilder}); its
 *       {@code appliedGeneration} is the node config's generation (a change in the peer sets only
 *       is applied without changing it).
 * </ul>
 */
public final class KubernetesAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesAgent.class);
  private static final Duration SETS_WAIT_WARNING = Duration.ofSeconds(10);

  /**
   * The loop's timings ({@link NodeSettings}: status built every second) and the agent's own:
   * where its key and saved configuration live, and the longest wait between attempts to publish
   * the peer.
   */
  public static final class Settings extends NodeSettings<Settings> {
    private final Path stateDir;
    private Duration retryMax = Duration.ofSeconds(30);

    private Settings(String nodeName, String mesh, Path stateDir) {
      super(nodeName, mesh);
      this.stateDir = stateDir;
    }

    public static Settings defaults(String nodeName, String mesh, Path stateDir) {
      return new Settings(nodeName, mesh, stateDir).withStatusCheck(Duration.ofSeconds(1));
    }

    public Settings withRetryMax(Duration r) {
      retryMax = r;
      return this;
    }
  }

  private final Settings settings;
  private final KubeApi client;
  private final InterfaceReconciler reconciler;
  private final DiscoveryLoop.Factory discoveryFactory;
  private final Clock clock;
  private final ConfigStore store;
  private final NodeController<NodeConfigs.Translated> controller;
  /** The mesh's peer sets; null until they were first listed. */
  private volatile List<WireGuardPeerSet> peerSets;
  private volatile boolean running;
  private volatile boolean peerPublished;
  private volatile KeyPair keys;
  private Thread publisher;
  private ResourceWatch<WireGuardPeerSet> setWatch;

  // Owned by the loop thread.
  private ConfigStore.Saved saved;
  private boolean anythingDesired;
  /** The node config as last seen, for the log. */
  private DesiredConfig nodeConfig;
  private DiscoveryLoop discovery;
  private RegistryAccess discoveryTarget;
  private WireGuardDevice discoveryDevice;
  /** The Node's addresses as last published in the WireGuardPeer's endpoint hints. */
  private volatile List<InetAddress> nodeAddresses = List.of();
  private boolean discoveryFailing;
  /** Since when a node config from the API server waits for the peer sets to be listed; null when not waiting. */
  private Instant waitingSince;
  private boolean waitLogged;

  public KubernetesAgent(Settings settings, KubeApi client, InterfaceReconciler reconciler, DiscoveryLoop.Factory discoveryFactory,
      Clock clock) {
    this.settings = settings;
    this.client = client;
    this.reconciler = reconciler;
    this.discoveryFactory = discoveryFactory;
    this.clock = clock;
    this.store = new ConfigStore(settings.stateDir);
    this.controller = new NodeController<>("agent", settings, client, reconciler, new Role(), clock);
  }

  /**
   * Loads the key, applies the configuration saved on disk if there is one, and starts following
   * the API server; returns at once, whether or not the API server answers.
   *
   * @throws IOException when the key cannot be loaded or created
   */
  public synchronized void start() throws IOException {
    controller.start();
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
    return controller.lastStatus();
  }

  public int statusWrites() {
    return controller.statusWrites();
  }

  /** Stops following the API server and stops discovery. A kernel interface stays configured. */
  @Override
  public synchronized void close() {
    controller.close();
  }

  /** The agent's part of the loop. */
  private final class Role implements NodeRole<NodeConfigs.Translated> {
    @Override
    public String whenDeleted() {
      return "the interface stays as it is until a configuration appears again"; // peer set changes wait for one too
    }

    @Override
    public Optional<DesiredConfig> start(Runnable changed) throws IOException {
      keys = KeyStore.loadOrCreate(settings.stateDir);
      saved = store.load().orElse(null);
      if (saved != null) {
        log.info("applying the configuration saved in {} (generation {}) until the API server answers", store.file(), saved.generation());
        anythingDesired = true;
      }
      running = true;
      setWatch = ResourceWatch.peerSets(client, settings.mesh(), settings.resync(), sets -> {
        peerSets = sets;
        changed.run();
      });
      setWatch.start();
      publisher = new Thread(KubernetesAgent.this::publishPeer, "peer-publisher");
      publisher.setDaemon(true);
      publisher.start();
      return Optional.ofNullable(saved).map(s -> new DesiredConfig(s.name(), s.generation(), s.spec()));
    }

    @Override
    public Optional<KeyPair> keys() {
      return Optional.of(keys);
    }

    /**
     * The node config merged with the peer sets, when both are known. A node config alone is not
     * applied: it would strip all members of the mesh from the interface.
     */
    @Override
    public Optional<DesiredConfig> desired(DesiredConfig config) {
      nodeConfig = config;
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
      anythingDesired = true;
      return Optional.of(new DesiredConfig(config.name(), config.generation(),
          NodeConfigs.withPeerSets(config.spec(), sets, keys.publicKey())));
    }

    @Override
    public NodeConfigs.Translated translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey) {
      return NodeConfigs.translate(spec, ownPublicKey);
    }

    @Override
    public Optional<String> applied(DesiredConfig desired, NodeConfigs.Translated translation) {
      ConfigStore.Saved next = new ConfigStore.Saved(desired.name(), desired.generation(), desired.spec());
      if (!next.sameAs(saved)) {
        try {
          store.save(next);
          saved = next;
        } catch (IOException e) {
          log.warn("cannot save the configuration to {}: {}", store.file(), e.getMessage());
        }
      }
      return updateDiscovery(translation.discovery());
    }

    @Override
    public void tick(Instant now) {
      logLongWait(now);
      tickDiscovery();
    }

    @Override
    public List<PeerConfig> reportedPeers(NodeConfigs.Translated applied) {
      return StatusBuilder.reported(applied.config().peers());
    }

    @Override
    public Optional<NodeStatus.PathCounts> pathCounts() {
      DiscoveryLoop d = discovery;
      return d == null ? Optional.empty() : Optional.of(StatusBuilder.counts(d.modeCounts()));
    }

    @Override
    public Map<WireGuardKey, String> peerPaths() {
      DiscoveryLoop d = discovery;
      return d == null ? Map.of() : d.peerPaths();
    }

    @Override
    public Map<String, Boolean> registriesReachable() {
      DiscoveryLoop d = discovery;
      return d == null ? Map.of() : StatusBuilder.reachable(d.registries());
    }

    @Override
    public boolean isRelayEndpoint(InetSocketAddress endpoint) {
      DiscoveryLoop d = discovery;
      return d != null && d.isRelayEndpoint(endpoint);
    }

    @Override
    public void close() {
      running = false;
      if (setWatch != null) {
        setWatch.close();
      }
      if (publisher != null) {
        publisher.interrupt();
      }
      if (discovery != null) {
        discovery.close();
        discovery = null;
      }
    }
  }

  /** The Node's addresses (InternalIP, ExternalIP) as last published: host candidates for discovery. */
  public List<InetAddress> nodeAddresses() {
    return nodeAddresses;
  }

  static List<InetAddress> addressesOf(WireGuardPeer peer) {
    List<InetAddress> out = new ArrayList<>();
    if (peer != null && peer.getSpec() != null && peer.getSpec().getEndpointHints() != null) {
      for (String hint : peer.getSpec().getEndpointHints()) {
        try {
          out.add(IpPrefix.parseAddress(hint));
        } catch (IllegalArgumentException e) {
          // a host name or garbage in a hint: not an address candidate
        }
      }
    }
    return List.copyOf(out);
  }

  /** Publishes the WireGuardPeer, retrying with backoff; then checks it again every resync period. */
  private void publishPeer() {
    PeerPublisher peers = new PeerPublisher(client, settings.configName(), settings.mesh(), keys.publicKey());
    Duration backoff = Duration.ofSeconds(1);
    boolean failing = false;
    while (running) {
      Duration wait;
      try {
        WireGuardPeer published = peers.ensure();
        nodeAddresses = addressesOf(published);
        peerPublished = true;
        if (failing) {
          log.info("WireGuardPeer {} published", settings.configName());
        }
        failing = false;
        backoff = Duration.ofSeconds(1);
        wait = settings.resync();
      } catch (RuntimeException e) {
        if (!failing) {
          log.warn("cannot publish WireGuardPeer {}: {}; retrying", settings.configName(), Errors.shortMessage(e));
        }
        failing = true;
        wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(settings.retryMax) > 0 ? settings.retryMax : backoff.multipliedBy(2);
      }
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Says so, once, when a node config has waited long for the peer sets (say, the agent may not list them). */
  private void logLongWait(Instant now) {
    if (waitingSince != null && !waitLogged && peerSets == null && now.isAfter(waitingSince.plus(SETS_WAIT_WARNING))) {
      DesiredConfig config = nodeConfig;
      log.warn("WireGuardNodeConfig {} (generation {}) is not applied yet: the WireGuardPeerSets of mesh {} could not be listed for"
          + " {} s; {}", config == null ? settings.configName() : config.name(), config == null ? null : config.generation(), settings.mesh(),
          Duration.between(waitingSince, now).toSeconds(),
          anythingDesired ? "the interface stays as it is until they are" : "nothing is applied until they are");
      waitLogged = true;
    }
  }

  /**
   * Starts discovery, or restarts it when the registry's coordinates changed or the interface was
   * created anew.
   *
   * @return the problem when discovery cannot start
   */
  private Optional<String> updateDiscovery(Optional<RegistryAccess> target) {
    WireGuardDevice device = reconciler.currentDevice().orElse(reconciler.device());
    if (Objects.equals(target.orElse(null), discoveryTarget) && (discovery != null || target.isEmpty()) && device == discoveryDevice) {
      return Optional.empty();
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
      return Optional.empty();
    }
    try {
      discovery = discoveryFactory.start(target.get(), device);
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      discoveryTarget = null; // tried again at the next apply
      return Optional.of("cannot start discovery: " + e.getMessage());
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
}
