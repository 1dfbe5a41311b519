package dev.wgmesh.agent;

import dev.wgmesh.agent.discovery.Action;
import dev.wgmesh.agent.discovery.PeerPathSettings;
import dev.wgmesh.agent.discovery.Lookup;
import dev.wgmesh.agent.discovery.Observation;
import dev.wgmesh.agent.discovery.PathCandidates;
import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.agent.discovery.Registries;
import dev.wgmesh.agent.discovery.RegistryHealth;
import dev.wgmesh.agent.discovery.RegistryQueries;
import dev.wgmesh.agent.discovery.RegistryRehandshakes;
import dev.wgmesh.agent.discovery.RegistryTarget;
import dev.wgmesh.agent.relay.RelayLink;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's I/O shell around one {@link PeerPathStateMachine} per peer: reads the device, feeds each
 * machine, and carries out what they ask (registry lookups, endpoint changes, handshake
 * triggers, relay use). The registries' own peers (those whose AllowedIPs hold a registry's
 * address) are never touched: they are configured with the registries' public endpoints.
 *
 * <p>With several registries ({@link Registries}), lookups go to the first that answers; the
 * self-check asks every registry, which is what tells which ones answer (their health), and
 * reports this node's candidates to each, since each serves only what it was told and observed.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  /** The discard port: a trigger packet needs no listener, only a route into the tunnel. */
  static final int TRIGGER_PORT = 9;
  /** How often a busy agent looks at the device (see {@link #busy()}). */
  public static final Duration FAST_TICK = Duration.ofMillis(100);
  /**
   * How often the agent looks itself up at the registry (its own mapping, whether its candidates
   * are served) and reads its interfaces. The lookup also refreshes the registry's view of this
   * node's mapping right after a NAT change, long before the next keepalive.
   */
  static final Duration SELF_CHECK_INTERVAL = Duration.ofSeconds(2);
  /**
   * How often the WireGuard peer of a registry that does not answer is re-created, which makes
   * WireGuard initiate a handshake at once: a registry that restarted with a new device (a new
   * pod) forgot the session, and WireGuard alone would wait up to 15 s before it handshakes again.
   */
  static final Duration REGISTRY_REHANDSHAKE_INTERVAL = Duration.ofSeconds(2);

  private final WireGuardDevice device;
  private final Registries registries;
  private final PeerPathSettings settings;
  private final Optional<RelayLink> relay;
  private final Clock clock;
  private final Map<WireGuardKey, PeerPathStateMachine> machines = new HashMap<>();
  private final Map<WireGuardKey, InetAddress> tunnelAddresses = new HashMap<>();
  /** Each mesh peer as the last device read showed it (for re-creating it). */
  private final Map<WireGuardKey, PeerState> lastSeen = new HashMap<>();
  private final PresharedKeys presharedKeys;
  private final Queue<InetAddress> punchRequests = new ConcurrentLinkedQueue<>();
  private final Semaphore wake = new Semaphore(0);
  private final ExecutorService lookups = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "registry-lookup");
    t.setDaemon(true);
    return t;
  });
  private final DatagramSocket triggerSocket;
  private volatile Map<PeerPathStateMachine.Mode, Integer> modeCounts = Map.of();
  private volatile Map<WireGuardKey, PeerPath> peerPaths = Map.of();
  /** Each peer as the device showed it when {@link #countModes} last rebuilt the paths and details; null before the first pass. */
  private Map<WireGuardKey, PeerState> shown;
  /** Each peer's path as {@link #countModes} last reported it, probes included. */
  private Map<WireGuardKey, PeerDetail.Path> shownPaths = Map.of();
  private final Supplier<List<InetAddress>> hostAddresses;
  /** What this node knows of itself (its public address as the registry sees it; global IPv6). */
  private volatile PathCandidates.Self self = PathCandidates.Self.UNKNOWN;
  private volatile Optional<InetSocketAddress> ownMapping = Optional.empty();
  private volatile List<InetSocketAddress> candidates = List.of();
  /** Per registry: the candidates last reported to it, and those it served at the last self-check. */
  private final Map<Integer, List<InetSocketAddress>> reported = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<Integer, List<InetSocketAddress>> served = new java.util.concurrent.ConcurrentHashMap<>();
  private Instant nextSelfCheckAt = Instant.MIN;
  private CompletableFuture<Void> selfCheck = CompletableFuture.completedFuture(null);
  private boolean firstSelfCheckDone;
  /** Set from the self-check thread when this node's mapping or addresses changed: peers look again. */
  private volatile boolean ownChange;
  private final AgentObserver observer;
  /** When each unreachable registry's peer is re-created ({@link #REGISTRY_REHANDSHAKE_INTERVAL}). */
  private final RegistryRehandshakes rehandshakes = new RegistryRehandshakes(REGISTRY_REHANDSHAKE_INTERVAL);
  /** When each peer started discovering (its machine starts so), for the time-to-path metric. */
  private final Map<WireGuardKey, Instant> discoveringSince = new HashMap<>();

  /**
   * @param targets the mesh's registries, in the mesh's order (every agent prefers the same one)
   * @param queries one client per target, same order
   * @param relay the relay link, with the targets' relay addresses in the same order
   * @param hostAddresses this node's host candidate addresses (read again every {@link
   *     #SELF_CHECK_INTERVAL}); reported to the registries with the device's listen port
   */
  public Agent(WireGuardDevice device, List<RegistryTarget> targets, List<RegistryQueries> queries, PeerPathSettings settings,
      Optional<RelayLink> relay, Clock clock, AgentObserver observer, Supplier<List<InetAddress>> hostAddresses) throws IOException {
    this.hostAddresses = hostAddresses;
    this.observer = observer;
    this.device = device;
    this.registries = new Registries(targets, queries, this::registryChanged);
    this.settings = settings;
    this.relay = relay;
    this.clock = clock;
    this.presharedKeys = PresharedKeys.of(device);
    this.triggerSocket = new DatagramSocket();
  }

  /** A registry stopped or started answering: log it, and relay through those that answer. */
  private void registryChanged(RegistryHealth.Change change) {
    RegistryTarget target = registries.targets().get(change.index());
    if (change.to() == RegistryHealth.State.UNREACHABLE) {
      log.warn("registry {}: unreachable ({}); using the others", target.label(), change.reason());
    } else {
      log.info("registry {}: reachable again", target.label());
      relay.ifPresent(r -> r.helloTo(change.index()));
    }
    relay.ifPresent(r -> r.prefer(registries.health().usable()));
    observer.registry(target.label(), change.to() != RegistryHealth.State.UNREACHABLE);
  }

  /** One registry as this agent sees it: whether it answers through the tunnel. */
  public record RegistryReach(RegistryTarget target, RegistryHealth.State state) {}

  /** The mesh's registries in the mesh's order, with what the last questions showed of each. */
  public List<RegistryReach> registries() {
    List<RegistryReach> out = new ArrayList<>();
    for (int i = 0; i < registries.targets().size(); i++) {
      out.add(new RegistryReach(registries.targets().get(i), registries.health().state(i)));
    }
    return out;
  }

  /** Called from the relay thread: the peer at this tunnel address asks us to punch now. */
  public void punchRequested(InetAddress peerTunnelAddress) {
    punchRequests.add(peerTunnelAddress);
    wake.release();
  }

  /**
   * Waits up to {@code max} for the next pass, returning early when there is work: a punch
   * request from a peer (whose attempts have started) or {@link #wakeUp()}.
   */
  public void awaitWork(Duration max) throws InterruptedException {
    wake.tryAcquire(max.toMillis(), TimeUnit.MILLISECONDS);
    wake.drainPermits();
  }

  /** Ends an {@link #awaitWork} early (for shutdown). */
  public void wakeUp() {
    wake.release();
  }

  /** True when a tunnel address belongs to one of this device's mesh peers. */
  public boolean isKnownPeer(InetAddress tunnelAddress) {
    synchronized (tunnelAddresses) {
      return tunnelAddresses.containsValue(tunnelAddress);
    }
  }

  public Map<PeerPathStateMachine.Mode, Integer> modeCounts() {
    return modeCounts;
  }

  /** One peer's path as of the last pass: its kind and the endpoint WireGuard uses. */
  public record PeerPath(PathKind kind, Optional<InetSocketAddress> endpoint) {}

  /** Every mesh peer's path, as of the last pass. */
  public Map<WireGuardKey, PeerPath> peerPaths() {
    return peerPaths;
  }

  /** Whether some peer is trying candidates: the caller should call {@link #tick()} again within {@link #FAST_TICK}. */
  public boolean busy() {
    Instant now = clock.instant();
    return machines.values().stream().anyMatch(m -> m.busy(now));
  }

  /** One pass over every peer. Never throws for a peer's trouble; only a device read can fail. */
  public void tick() throws IOException {
    DeviceState state = device.read();
    Instant now = clock.instant();
    List<PeerState> peers = meshPeers(state);
    forgetRemovedPeers(peers);
    Map<WireGuardKey, List<Action>> todo = new HashMap<>();
    for (PeerState peer : peers) {
      lastSeen.put(peer.publicKey(), peer);
      PeerPathStateMachine machine = machines.computeIfAbsent(peer.publicKey(), k -> {
        discoveringSince.put(k, now);
        return new PeerPathStateMachine(settings, now, leadsOnRelay(state.publicKey(), k));
      });
      List<Action> actions = new ArrayList<>(machine.tick(now, observe(peer)));
      todo.put(peer.publicKey(), actions);
    }
    // Before the self-check: a question it sends now must not go into a registry's peer that is
    // re-created a moment later, which would drop the question or its answer (RegistryRehandshakes).
    rehandshakeSilentRegistries(state, now);
    checkSelf(state, now);
    if (!firstSelfCheckDone) {
      // The first lookups should know this node's mapping (for LAN candidates) and which
      // registries answer (a dead first registry would cost each lookup its timeout): wait a
      // moment for the self-check, a little longer than a registry's timeout.
      firstSelfCheckDone = true;
      try {
        selfCheck.get(Registries.TIMEOUT.plusMillis(500).toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        log.debug("first self-check not done: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownChange) {
      ownChange = false;
      machines.forEach((key, machine) -> todo.get(key).addAll(machine.onOwnChange(now)));
    }
    InetAddress punch;
    while ((punch = punchRequests.poll()) != null) {
      WireGuardKey key = keyOf(punch);
      if (key != null && machines.containsKey(key)) {
        log.debug("peer {} asks us to punch", punch.getHostAddress());
        todo.computeIfAbsent(key, k -> new ArrayList<>()).addAll(machines.get(key).onPunchSignal(now));
      }
    }
    runLookups(todo);
    execute(todo);
    logTransitions(now);
    countModes();
  }

  /**
   * Re-creates the WireGuard peer of each registry that has not answered for a while, every
   * {@link #REGISTRY_REHANDSHAKE_INTERVAL}: WireGuard then initiates a handshake at once, so a
   * registry that comes back with a new device is reached within seconds. Not once WireGuard has
   * handshaken with it since the last re-creation: that session reaches the registry's current
   * device, and re-creating the peer would only drop it with what is in flight in it (see {@link
   * RegistryRehandshakes}). Its configuration (public endpoint, AllowedIPs, keepalive) stays as it
   * was; a peer that may have a preshared key, which the agent cannot restore, is left alone.
   * Runs before the pass's self-check, whose questions then go to the re-created peer.
   */
  private void rehandshakeSilentRegistries(DeviceState state, Instant now) {
    List<PeerChange> changes = new ArrayList<>();
    for (int i = 0; i < registries.targets().size(); i++) {
      InetAddress address = registries.targets().get(i).address();
      boolean unreachable = registries.health().state(i) == RegistryHealth.State.UNREACHABLE;
      // The device's peers are looked through only for a registry that does not answer: not on every pass.
      List<PeerState> peers = !unreachable ? List.of() : state.peers().stream()
          .filter(p -> p.allowedIps().stream().anyMatch(a -> a.contains(address))).toList();
      Optional<Instant> handshake = peers.stream().flatMap(p -> p.lastHandshake().stream()).max(Instant::compareTo);
      String label = registries.targets().get(i).label();
      switch (rehandshakes.decide(i, unreachable, handshake, now)) {
        case RECREATE -> {
          for (PeerState p : peers) {
            if (!presharedKeys.mayHave(p.publicKey())) {
              log.debug("registry {}: re-created its peer to handshake at once", label);
              changes.add(PeerChange.removePeer(p.publicKey()));
              changes.add(PeerChange.upsert(p.publicKey(), p.endpoint(), p.allowedIps(), p.persistentKeepalive()));
            }
          }
        }
        case KEEP_SESSION -> log.debug("registry {}: silent, but WireGuard handshook with it at {} since its peer was re-created:"
            + " the peer is kept", label, handshake.map(Instant::toString).orElse("?"));
        case NOTHING, WAIT -> { }
      }
    }
    if (!changes.isEmpty()) {
      try {
        device.apply(DeviceChange.peers(changes));
      } catch (IOException e) {
        log.debug("cannot re-create a registry's peer on {}: {}", device.name(), e.getMessage());
      }
    }
  }

  /**
   * Every {@link #SELF_CHECK_INTERVAL}, in the background: reads the interfaces, looks this node
   * up at every registry (which is how the agent learns which registries answer), and reports the
   * candidates to each registry that does not serve them (a restarted registry, say). This node's
   * mapping is the preferred registry's view. A change of the mapping or of the addresses makes
   * every peer look again at the next pass.
   */
  private void checkSelf(DeviceState state, Instant now) {
    Optional<WireGuardKey> own = state.publicKey();
    if (own.isEmpty() || now.isBefore(nextSelfCheckAt) || !selfCheck.isDone()) {
      return;
    }
    nextSelfCheckAt = now.plus(SELF_CHECK_INTERVAL);
    int port = state.listenPort();
    selfCheck = CompletableFuture.supplyAsync(hostAddresses::get, lookups).thenCompose(addresses -> {
      List<InetSocketAddress> next = addresses.stream().map(a -> new InetSocketAddress(a, port)).toList();
      List<CompletableFuture<Lookup>> answers = new ArrayList<>();
      for (int i = 0; i < registries.targets().size(); i++) {
        int index = i;
        answers.add(CompletableFuture.supplyAsync(() -> checkAt(index, own.get(), next), lookups));
      }
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
          .thenRun(() -> learnSelf(addresses, next, answers.stream().map(CompletableFuture::join).toList()));
    });
  }

  /** Looks this node up at one registry, and reports the candidates there when it lacks them. */
  private Lookup checkAt(int index, WireGuardKey own, List<InetSocketAddress> next) {
    Lookup me = registries.lookupAt(index, own);
    observer.registry(registries.targets().get(index).label(), registries.health().state(index) != RegistryHealth.State.UNREACHABLE);
    if (me instanceof Lookup.Failed f && f.unreachable()) {
      return me;
    }
    List<InetSocketAddress> servedNow = me instanceof Lookup.Found f ? f.hostCandidates() : served.getOrDefault(index, List.of());
    served.put(index, servedNow);
    boolean registryHasThem = me instanceof Lookup.Found && servedNow.containsAll(next) && next.containsAll(servedNow);
    if (!registryHasThem && (me instanceof Lookup.Found || !next.equals(reported.get(index)))) {
      Optional<String> problem = registries.report(index, own, next);
      if (problem.isEmpty()) {
        reported.put(index, next);
        log.debug("reported host candidates {} to registry {}", next.stream().map(Endpoints::format).toList(),
            registries.targets().get(index).label());
      } else {
        log.debug("cannot report host candidates to registry {}: {}", registries.targets().get(index).label(), problem.get());
      }
    }
    return me;
  }

  /** This node's mapping (the preferred registry's answer) and addresses, after a self-check. */
  private void learnSelf(List<InetAddress> addresses, List<InetSocketAddress> next, List<Lookup> answers) {
    boolean v6 = addresses.stream().anyMatch(HostCandidates::isGlobalIpv6);
    Optional<InetSocketAddress> mapping = ownMapping;
    for (int i : registries.health().usable()) {
      if (answers.get(i) instanceof Lookup.Found f) {
        mapping = Optional.of(f.endpoint());
        break;
      }
    }
    boolean changed = !next.equals(candidates) || !mapping.equals(ownMapping);
    if (changed && (!candidates.isEmpty() || ownMapping.isPresent())) {
      log.info("this node: mapping {}, host candidates {}", mapping.map(Endpoints::format).orElse("unknown"),
          next.stream().map(Endpoints::format).toList());
      ownChange = true;
      wake.release();
    }
    candidates = next;
    ownMapping = mapping;
    self = new PathCandidates.Self(mapping.map(InetSocketAddress::getAddress), v6);
  }

  /** For cron users: discover every peer without a fresh handshake once, no relay. */
  public int once() throws IOException {
    DeviceState state = device.read();
    Instant now = clock.instant();
    Map<WireGuardKey, List<Action>> todo = new HashMap<>();
    for (PeerState peer : meshPeers(state)) {
      lastSeen.put(peer.publicKey(), peer);
      PeerPathStateMachine machine = new PeerPathStateMachine(settings.withRelay(false), now);
      machines.put(peer.publicKey(), machine);
      todo.put(peer.publicKey(), new ArrayList<>(machine.tick(now, observe(peer))));
    }
    runLookups(todo);
    execute(todo);
    return 0;
  }

  private List<PeerState> meshPeers(DeviceState state) {
    List<PeerState> out = new ArrayList<>();
    synchronized (tunnelAddresses) {
      for (PeerState peer : state.peers()) {
        if (lastSeen.get(peer.publicKey()) == peer) {
          out.add(peer); // the same object as the last read gave (UapiDevice): a mesh peer at the same address
          continue;
        }
        if (registries.targets().stream().anyMatch(r -> peer.allowedIps().stream().anyMatch(p -> p.contains(r.address())))) {
          continue; // a registry's own peer keeps its configured public endpoint
        }
        out.add(peer);
        tunnelAddress(peer).ifPresent(a -> tunnelAddresses.put(peer.publicKey(), a));
      }
    }
    return out;
  }

  /**
   * Whether this side re-creates the peer when both sides switch to the relay: the side with the
   * lower public key, so that exactly one of the two initiates at once (see PeerPathStateMachine).
   */
  static boolean leadsOnRelay(Optional<WireGuardKey> own, WireGuardKey peer) {
    return own.map(k -> k.toHex().compareTo(peer.toHex()) < 0).orElse(true);
  }

  /** The address that identifies a peer inside the tunnel: its first host route in AllowedIPs. */
  static Optional<InetAddress> tunnelAddress(PeerState peer) {
    return peer.allowedIps().stream()
        .filter(p -> p.length() == (p.isIpv4() ? 32 : 128))
        .map(IpPrefix::address)
        .findFirst();
  }

  private void forgetRemovedPeers(List<PeerState> peers) {
    if (peers.size() == machines.size() && peers.stream().allMatch(p -> machines.containsKey(p.publicKey()))) {
      return; // the same peers: nothing to forget
    }
    Set<WireGuardKey> present = peers.stream().map(PeerState::publicKey).collect(Collectors.toSet());
    machines.keySet().retainAll(present);
    lastSeen.keySet().retainAll(present);
    discoveringSince.keySet().retainAll(present);
    synchronized (tunnelAddresses) {
      tunnelAddresses.keySet().retainAll(present);
    }
  }

  private WireGuardKey keyOf(InetAddress tunnelAddress) {
    synchronized (tunnelAddresses) {
      return tunnelAddresses.entrySet().stream()
          .filter(e -> e.getValue().equals(tunnelAddress)).map(Map.Entry::getKey).findFirst().orElse(null);
    }
  }

  private Observation observe(PeerState peer) {
    boolean viaRelay = relay.isPresent() && peer.endpoint().map(e -> relay.get().isRelayEndpoint(e)).orElse(false);
    return new Observation(peer.lastHandshake(), peer.endpoint(), viaRelay, peer.rxBytes(), peer.txBytes());
  }

  /** Runs the lookups the machines asked for, in parallel, and feeds the answers back. */
  private void runLookups(Map<WireGuardKey, List<Action>> todo) {
    Map<WireGuardKey, CompletableFuture<Lookup>> pending = new HashMap<>();
    todo.forEach((key, actions) -> {
      if (actions.removeIf(a -> a instanceof Action.QueryRegistry)) {
        pending.put(key, CompletableFuture.supplyAsync(() -> registries.lookup(key), lookups));
      }
    });
    pending.forEach((key, future) -> {
      Lookup result = future.join();
      if (result instanceof Lookup.Failed failed) {
        log.debug("lookup of {} failed: {}", key.toBase64(), failed.reason());
      }
      todo.get(key).addAll(machines.get(key).onLookup(clock.instant(), result, self));
    });
  }

  private void execute(Map<WireGuardKey, List<Action>> todo) {
    List<PeerChange> changes = new ArrayList<>();
    List<WireGuardKey> triggers = new ArrayList<>();
    todo.forEach((key, actions) -> {
      InetAddress peerAddress = tunnelAddresses.get(key);
      Optional<InetSocketAddress> endpoint = Optional.empty();
      boolean restart = false;
      for (Action action : actions) {
        if (action instanceof Action.SetEndpoint set) {
          log.debug("peer {}: endpoint {}", key.toBase64(), Endpoints.format(set.endpoint()));
          endpoint = Optional.of(set.endpoint());
        } else if (action instanceof Action.UseRelay && relay.isPresent() && peerAddress != null) {
          try {
            endpoint = Optional.of(relay.get().endpointFor(peerAddress));
          } catch (IOException e) {
            log.warn("cannot open a relay socket for {}: {}", key.toBase64(), e.getMessage());
          }
        } else if (action instanceof Action.RestartPeer) {
          restart = true;
        } else if (action instanceof Action.SignalPunch && relay.isPresent() && peerAddress != null) {
          relay.get().signalPunch(peerAddress);
        } else if (action instanceof Action.TriggerHandshake) {
          triggers.add(key);
        }
      }
      PeerState seen = lastSeen.get(key);
      if (restart && seen != null && !presharedKeys.mayHave(key)) {
        // Removed and added again in one transaction: WireGuard forgets when it last initiated
        // a handshake with the peer and initiates one now (see Action.RestartPeer).
        Optional<InetSocketAddress> target = endpoint.isPresent() ? endpoint : seen.endpoint();
        log.debug("peer {}: re-created with endpoint {} to handshake at once", key.toBase64(),
            target.map(Endpoints::format).orElse("(none)"));
        changes.add(PeerChange.removePeer(key));
        changes.add(PeerChange.upsert(key, target, seen.allowedIps(), seen.persistentKeepalive()));
      } else {
        if (restart) {
          log.debug("peer {}: not re-created (it may have a preshared key, which the agent cannot restore)", key.toBase64());
        }
        endpoint.ifPresent(e -> changes.add(PeerChange.setEndpoint(key, e)));
      }
    });
    if (!changes.isEmpty()) {
      try {
        device.apply(DeviceChange.peers(changes));
        // Where the new endpoints start counting received bytes: read before the triggers go out.
        for (PeerState peer : device.read().peers()) {
          PeerPathStateMachine machine = machines.get(peer.publicKey());
          if (machine != null && todo.containsKey(peer.publicKey())) {
            Observation seen = observe(peer);
            machine.endpointApplied(seen.endpoint(), seen.endpointIsRelay(), seen.rxBytes());
          }
        }
      } catch (IOException e) {
        log.warn("cannot update endpoints on {}: {}", device.name(), e.getMessage());
      }
    }
    for (WireGuardKey key : triggers) {
      trigger(key);
    }
  }

  /** Sends one packet into the tunnel: WireGuard handshakes (or sends) to the new endpoint at once. */
  private void trigger(WireGuardKey key) {
    InetAddress address = tunnelAddresses.get(key);
    if (address == null) {
      return;
    }
    try {
      byte[] nothing = new byte[1];
      triggerSocket.send(new DatagramPacket(nothing, nothing.length, new InetSocketAddress(address, TRIGGER_PORT)));
    } catch (IOException e) {
      log.debug("trigger to {} failed: {}", address.getHostAddress(), e.toString());
    }
  }

  private void logTransitions(Instant now) {
    machines.forEach((key, machine) -> {
      PeerPathStateMachine.Transition t = machine.takeTransition();
      if (t != null) {
        InetAddress address = tunnelAddresses.get(key);
        log.info("peer {} ({}): {} -> {}: {}", key.toBase64(), address == null ? "?" : address.getHostAddress(),
            t.fromPath().label(), t.toPath().label(), t.reason());
        Duration sinceDiscovering = null;
        if (t.to() == PeerPathStateMachine.Mode.DISCOVERING) {
          discoveringSince.put(key, now);
        } else if (t.from() == PeerPathStateMachine.Mode.DISCOVERING && discoveringSince.containsKey(key)) {
          sinceDiscovering = Duration.between(discoveringSince.remove(key), now);
        }
        if (t.fromPath() != t.toPath()) {
          observer.switched(t.fromPath(), t.toPath(), sinceDiscovering);
        }
      }
    });
  }

  /**
   * The counts, paths and details of the peers, rebuilt only when some peer's path, endpoint,
   * handshake or AllowedIPs changed, or a peer came or went: a steady pass over a large mesh builds
   * nothing for its status and metrics.
   */
  private void countModes() {
    if (shown != null && shownAsIs()) {
      return;
    }
    shown = Map.copyOf(lastSeen);
    Map<PeerPathStateMachine.Mode, Integer> counts = new EnumMap<>(PeerPathStateMachine.Mode.class);
    for (PeerPathStateMachine.Mode m : PeerPathStateMachine.Mode.values()) {
      counts.put(m, 0);
    }
    machines.values().forEach(m -> counts.merge(m.mode(), 1, Integer::sum));
    modeCounts = Map.copyOf(counts);
    Map<PathKind, Integer> kinds = new EnumMap<>(PathKind.class);
    for (PathKind k : PathKind.values()) {
      kinds.put(k, 0);
    }
    Map<WireGuardKey, PeerPath> paths = new HashMap<>();
    Map<WireGuardKey, PeerDetail.Path> details = new HashMap<>();
    machines.forEach((key, m) -> {
      kinds.merge(m.path(), 1, Integer::sum);
      PeerState seen = lastSeen.get(key);
      paths.put(key, new PeerPath(m.path(), seen == null ? Optional.empty() : seen.endpoint()));
      details.put(key, pathOf(m));
    });
    peerPaths = Map.copyOf(paths);
    shownPaths = Map.copyOf(details);
    observer.paths(Map.copyOf(kinds));
    synchronized (tunnelAddresses) {
      observer.peers(PeerDetail.of(shownPaths, lastSeen, tunnelAddresses));
    }
  }

  private static PeerDetail.Path pathOf(PeerPathStateMachine m) {
    return new PeerDetail.Path(m.path(), m.probing(), m.nextProbe());
  }

  /** Whether {@code shownPath} is still what {@code m} says (without building a new path for every peer of every pass). */
  private static boolean shows(PeerDetail.Path shownPath, PeerPathStateMachine m) {
    return shownPath.kind() == m.path() && shownPath.probing() == m.probing()
        && (m.path() != PathKind.RELAYED || shownPath.nextProbe().equals(m.nextProbe()));
  }

  /** True when every peer shows what {@link #countModes} last reported of it (path, probe, and what the device showed). */
  private boolean shownAsIs() {
    if (shownPaths.size() != machines.size() || shown.size() != lastSeen.size()) {
      return false;
    }
    for (Map.Entry<WireGuardKey, PeerPathStateMachine> e : machines.entrySet()) {
      PeerDetail.Path before = shownPaths.get(e.getKey());
      PeerState was = shown.get(e.getKey());
      PeerState is = lastSeen.get(e.getKey());
      if (before == null || !shows(before, e.getValue()) || was == null || is == null || (was != is
          && !(was.endpoint().equals(is.endpoint()) && was.lastHandshake().equals(is.lastHandshake())
              && was.allowedIps().equals(is.allowedIps())))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    lookups.shutdownNow();
    triggerSocket.close();
    relay.ifPresent(RelayLink::close);
  }
}
