package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.util.Durations;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The endpoint-discovery state machine of one peer: pure, driven by observations of the device,
 * registry answers and punch signals, each stamped with the time. It returns actions for the
 * agent to carry out and never does I/O itself, so every transition is testable with a fake clock.
 *
 * <pre>
 *   DISCOVERING --proof of a path to one of the candidates---------> DIRECT (lan, ipv6 or direct)
 *   DIRECT --handshake stale, or data sent and nothing back--------> DISCOVERING (+ punch signal)
 *   DISCOVERING --no proof within relayAfter of the first attempt----> RELAYED
 *   any --the other side relays to us (endpoint roamed to relay)---> RELAYED
 *   RELAYED --the peer's candidates changed, or a probe timer-------> probe the candidates: DIRECT, or back
 * </pre>
 *
 * <p>Candidates: each lookup gives the registry's observed mapping and the peer's host
 * candidates; {@link PathCandidates#order} turns them into the endpoints to try (LAN, then IPv6,
 * then the mapping). Each but the last is tried for {@code attemptWindow}; the last stays until
 * the relay takes over. The leading side (lower public key) initiates at once; the other waits
 * {@code followerDelay} and initiates only if no proof came by then, so that where nothing
 * filters (a LAN, IPv6, a full-cone NAT) the leader's initiation arrives alone, and where a NAT
 * filters, the follower's initiation passes the hole the leader's opened.
 *
 * "Proof" is a handshake, or received bytes, after the agent last set the endpoint, while the
 * endpoint is still the direct one: WireGuard would have roamed the endpoint if those bytes had
 * come another way. A working tunnel is never torn down because the registry is unreachable:
 * failed lookups only delay the next lookup.
 *
 * <p>Handshakes at once: WireGuard sends at most one handshake initiation per peer every 5 s and
 * counts one that failed for want of an endpoint (a keepalive or a packet for the peer before the
 * agent set one). Without help, the first initiation to the new endpoint would wait for its
 * retry timer, up to 5 s, on both sides; and a port-restricted NAT lets one side's initiation
 * in only after its own side has sent one out. So when a discovering peer without a live session
 * (no handshake within WireGuard's 180 s Reject-After-Time) gets a new endpoint, or the relay,
 * the machine asks for {@link Action.RestartPeer}: a re-created peer initiates at once. Both
 * sides do this when they learn the other's endpoint, and the later one's initiation passes the
 * earlier one's NAT. A peer with a session is never re-created; its data packets are not limited.
 * On the way to the relay only one side re-creates its peer (the agent picks the side with the
 * lower public key): the relay filters nothing, so two initiations sent at once would both
 * arrive, each side would answer the other's and so discard its own, both answers would be
 * rejected, and WireGuard would retry only 5 s later. The other side answers the initiation.
 */
public final class PeerPathStateMachine {
  public enum Mode {
    DISCOVERING,
    DIRECT,
    RELAYED
  }

  /** A change of mode, and of the path users see, for the agent's log, status and metrics. */
  public record Transition(Mode from, Mode to, PathKind fromPath, PathKind toPath, String reason) {}

  private static final int KEEPALIVE_BYTES = 32;
  /** How long after a change of mode the agent keeps looking closely. */
  static final Duration SETTLING = Duration.ofSeconds(2);
  /** A direct peer heard from within this long does not rediscover on the peer's PUNCH. */
  static final Duration PUNCH_GRACE = Duration.ofSeconds(1);
  /** At most one PUNCH signal to the peer per this long. */
  static final Duration SIGNAL_SPACING = Duration.ofSeconds(1);
  /** WireGuard's Reject-After-Time: no session outlives a handshake by more than this. */
  static final Duration SESSION_LIFETIME = Duration.ofSeconds(180);

  private final PeerPathSettings settings;
  private final boolean leads;
  private Mode mode = Mode.DISCOVERING;
  private Instant modeSince;
  private Instant nextQueryAt;
  private Duration backoff;
  private boolean queryInFlight;
  private boolean registryKnowsPeer;
  private Optional<InetSocketAddress> currentEndpoint = Optional.empty();
  private boolean currentIsRelay;
  private Instant attemptAt;
  private long attemptRx;
  /** Where the current attempt points WireGuard; received bytes prove it only once a pass saw it in place. */
  private Optional<InetSocketAddress> attemptTarget = Optional.empty();
  private boolean rxBaselinePending;
  /** The candidates of the last lookup, in the order they are tried. */
  private List<PathCandidates.Candidate> plan = List.of();
  /** The candidate being tried, or -1. */
  private int attempt = -1;
  private boolean followerPending;
  private PathKind directKind = PathKind.DIRECT;
  private Instant probeStartedAt;
  private boolean probeSignals = true;
  private Instant nextProbeAt;
  private Instant nextWatchAt;
  private Instant lastSignalAt;
  private long lastRx = -1;
  private long lastTx = -1;
  private Instant txWithoutRxSince;
  private long txBytesWithoutRx;
  /** When a pass last saw the received bytes change (or the machine start). */
  private Instant lastRxChangeAt;
  private boolean stallProbeSent;
  /**
   * When this episode of discovery first pointed WireGuard at a candidate: the relay bound counts
   * from there, not from when the peer appeared (it may register with the registry seconds later).
   */
  private Instant firstAttemptAt;
  private Transition lastTransition;
  private boolean observedOnce;
  private int failedProbes;
  private Optional<Instant> lastHandshake = Optional.empty();

  public PeerPathStateMachine(PeerPathSettings settings, Instant now) {
    this(settings, now, true);
  }

  /**
   * @param leads whether this side initiates at once on each candidate, and re-creates the peer
   *     on the way to the relay (exactly one side should: see the class comment); the agent
   *     decides by comparing keys
   */
  public PeerPathStateMachine(PeerPathSettings settings, Instant now, boolean leads) {
    this.leads = leads;
    this.settings = settings;
    this.modeSince = now;
    this.nextQueryAt = now;
    this.backoff = settings.queryInterval();
    this.attemptAt = now;
  }

  public Mode mode() {
    return mode;
  }

  public Instant modeSince() {
    return modeSince;
  }

  /** The path as users see it: pending while discovering, the kind of the direct path, or relayed. */
  public PathKind path() {
    return switch (mode) {
      case DISCOVERING -> PathKind.PENDING;
      case RELAYED -> PathKind.RELAYED;
      case DIRECT -> directKind;
    };
  }

  /**
   * Whether a relayed peer is trying the direct path right now: WireGuard points at a candidate,
   * and the pair's traffic is lost until the probe proves the path or gives up after
   * {@code probeWindow}.
   */
  public boolean probing() {
    return mode == Mode.RELAYED && probeStartedAt != null;
  }

  /**
   * When a relayed peer next tries the direct path (at once, or sooner, when its candidates or
   * this node's mapping change); empty while it tries it, and for a peer that is not relayed.
   */
  public Optional<Instant> nextProbe() {
    return mode == Mode.RELAYED && probeStartedAt == null ? Optional.of(nextProbeAt) : Optional.empty();
  }

  /**
   * Whether the machine is in the middle of trying candidates or waiting for the relay bound:
   * the agent then looks at the device more often than its interval, so that each attempt lasts
   * what the settings say.
   */
  public boolean busy(Instant now) {
    if (probeStartedAt != null || (mode == Mode.DIRECT && txWithoutRxSince != null && txBytesWithoutRx > 2 * KEEPALIVE_BYTES)) {
      return true; // probing, or a direct path may be breaking: judge it to the tenth of a second
    }
    if (now.isBefore(modeSince.plus(SETTLING))) {
      return true; // just changed: the other side may still move the path (WireGuard roams with it)
    }
    return mode == Mode.DISCOVERING && now.isBefore(triesSince().plus(settings.relayAfter()).plus(settings.attemptWindow()));
  }

  /** The last transition, consumed: returns it once, then null until the next one. */
  public Transition takeTransition() {
    Transition t = lastTransition;
    lastTransition = null;
    return t;
  }

  /** Feeds one observation of the device; returns what to do now. */
  public List<Action> tick(Instant now, Observation seen) {
    currentEndpoint = seen.endpoint();
    currentIsRelay = seen.endpointIsRelay();
    lastHandshake = seen.lastHandshake();
    if (lastRx >= 0 && seen.rxBytes() < lastRx) {
      // The peer was re-created (RestartPeer): its counters start again at zero, after the attempt.
      attemptRx = 0;
      rxBaselinePending = false;
    } else if (rxBaselinePending && !seen.endpointIsRelay() && seen.endpoint().equals(attemptTarget)) {
      // The first pass that sees the attempt's endpoint in place: bytes counted before it may
      // have come through the relay between the last pass and the endpoint change.
      attemptRx = seen.rxBytes();
      rxBaselinePending = false;
    }
    trackTraffic(now, seen);
    List<Action> actions = new ArrayList<>();
    if (!observedOnce) {
      observedOnce = true;
      attemptRx = seen.rxBytes();
      if (fresh(now, seen) && seen.endpoint().isPresent() && !seen.endpointIsRelay()) {
        enterDirect(now, seen.endpoint().get(), "fresh handshake with " + seen.endpoint().get());
        return actions; // a working tunnel is left alone
      }
    }
    switch (mode) {
      case DIRECT -> tickDirect(now, seen, actions);
      case DISCOVERING -> tickDiscovering(now, seen, actions);
      case RELAYED -> tickRelayed(now, seen, actions);
    }
    return actions;
  }

  private void tickDirect(Instant now, Observation seen, List<Action> actions) {
    if (seen.endpointIsRelay()) {
      enterRelayed(now, "the peer relays to us");
      return;
    }
    PathKind roamed = seen.endpoint().map(e -> PathCandidates.kindOf(e, plan)).orElse(directKind);
    if (roamed != directKind) {
      // WireGuard follows the peer's authenticated packets: it reached us another way (its
      // IPv6 or LAN address, say), and answers now go there.
      enter(Mode.DIRECT, roamed, now, "the peer reached us from " + seen.endpoint().get() + " (" + roamed.label() + ")");
    }
    if (!fresh(now, seen)) {
      startDiscovery(now, "no handshake for " + settings.freshness().toSeconds() + " s", actions, false);
    } else if (stalled(now)) {
      startDiscovery(now, "sent data but received nothing for " + Durations.format(settings.stallTimeout()), actions, true);
    } else if (suspect(now) && !stallProbeSent) {
      // Unanswered data for a third of the stall bound: send one packet the peer's kernel answers
      // (the discard port: an ICMP port unreachable comes back through the tunnel), so that a
      // one-way flow on a working path is not taken for a stall.
      stallProbeSent = true;
      actions.add(new Action.TriggerHandshake());
    }
  }

  private void tickDiscovering(Instant now, Observation seen, List<Action> actions) {
    if (provenDirect(seen)) {
      enterDirect(now, seen.endpoint().get(), "handshake with " + seen.endpoint().get());
      return;
    }
    if (seen.endpointIsRelay() && settings.relayEnabled()) {
      enterRelayed(now, "the peer relays to us");
      return;
    }
    if (settings.relayEnabled() && registryKnowsPeer && firstAttemptAt != null && !now.isBefore(firstAttemptAt.plus(settings.relayAfter()))) {
      enterRelayed(now, "no direct handshake within " + Durations.format(settings.relayAfter()));
      actions.add(new Action.UseRelay());
      if (!sessionAlive(now) && leads) {
        actions.add(new Action.RestartPeer());
      }
      actions.add(new Action.TriggerHandshake());
      return;
    }
    continueAttempts(now, actions, false);
    if (!queryInFlight && !now.isBefore(nextQueryAt)) {
      queryInFlight = true;
      actions.add(new Action.QueryRegistry());
    }
  }

  private void tickRelayed(Instant now, Observation seen, List<Action> actions) {
    if (probeStartedAt != null) {
      if (provenDirect(seen)) {
        probeStartedAt = null;
        failedProbes = 0;
        enterDirect(now, seen.endpoint().get(), "direct path works again");
      } else if (attempt == plan.size() - 1 && !now.isBefore(attemptAt.plus(settings.probeWindow()))) {
        // Each failed probe costs up to probeWindow of traffic, and one that failed fails again
        // until something changes, which the watch sees and probes at once: the timer only
        // catches what the registry cannot see (a firewall opened, say), rarely.
        probeStartedAt = null;
        attempt = -1;
        failedProbes = Math.min(failedProbes + 1, 4);
        nextProbeAt = now.plus(min(settings.retryProbeInterval().multipliedBy(1L << (failedProbes - 1)), settings.maxProbeInterval()));
        actions.add(new Action.UseRelay());
        actions.add(new Action.TriggerHandshake());
      } else {
        continueAttempts(now, actions, true);
      }
      return;
    }
    if (!seen.endpointIsRelay() && seen.endpoint().isPresent()) {
      // Outside a probe, only an authenticated packet from a direct source moves the endpoint
      // off our relay socket (WireGuard roaming): the peer reached us directly.
      enterDirect(now, seen.endpoint().get(), "the peer reached us directly from " + seen.endpoint().get());
      return;
    }
    if (!queryInFlight && (!now.isBefore(nextProbeAt) || !now.isBefore(nextWatchAt))) {
      queryInFlight = true;
      actions.add(new Action.QueryRegistry());
    }
  }

  /** Feeds the registry's answer to the last QueryRegistry action; {@code self} is what this node knows of itself. */
  public List<Action> onLookup(Instant now, Lookup result) {
    return onLookup(now, result, PathCandidates.Self.UNKNOWN);
  }

  public List<Action> onLookup(Instant now, Lookup result, PathCandidates.Self self) {
    queryInFlight = false;
    List<Action> actions = new ArrayList<>();
    if (result instanceof Lookup.Found found) {
      registryKnowsPeer = true;
      if (now.isBefore(modeSince.plus(settings.relayAfter()))) {
        backoff = settings.queryInterval();
        nextQueryAt = now.plus(settings.queryInterval());
      } else {
        // Long past the relay bound (relay off, or a peer we cannot reach): stop polling hard.
        nextQueryAt = now.plus(backoff);
        backoff = min(backoff.multipliedBy(2), settings.maxBackoff());
      }
      List<PathCandidates.Candidate> next = PathCandidates.order(found, self);
      if (mode == Mode.DISCOVERING) {
        if (!next.equals(plan) || attempt < 0) {
          plan = next;
          startAttempt(0, now, actions);
          if (!sessionAlive(now)) {
            signal(now, actions); // the other side starts its attempts now rather than at its next lookup
          }
        } else if (attempt == plan.size() - 1 && (leads || !followerPending)) {
          actions.add(new Action.TriggerHandshake());
        }
      } else if (mode == Mode.RELAYED && probeStartedAt == null) {
        nextWatchAt = now.plus(settings.watchInterval());
        boolean changed = !next.equals(plan);
        if (changed || !now.isBefore(nextProbeAt)) {
          plan = next;
          probeStartedAt = now;
          if (probeSignals) {
            signal(now, actions);
          }
          probeSignals = true;
          startAttempt(0, now, actions);
        }
      }
    } else {
      // No record, or no usable answer: keep whatever endpoint we have, and wait longer.
      nextQueryAt = now.plus(backoff);
      backoff = min(backoff.multipliedBy(2), settings.maxBackoff());
      if (mode == Mode.RELAYED) {
        nextWatchAt = now.plus(settings.watchInterval());
      }
    }
    return actions;
  }

  /**
   * The agent applied this pass's endpoint change and read the device again before sending
   * anything: {@code rxBytes} is where proof by received bytes starts counting, so that nothing
   * relayed before the change counts, and nothing answered after it is missed.
   */
  public void endpointApplied(Optional<InetSocketAddress> endpoint, boolean endpointIsRelay, long rxBytes) {
    if (rxBaselinePending && !endpointIsRelay && endpoint.equals(attemptTarget)) {
      attemptRx = rxBytes;
      rxBaselinePending = false;
    }
    lastRx = rxBytes;
  }

  /** The other agent asked us to punch towards it now (it lost the path, or probes direct). */
  public List<Action> onPunchSignal(Instant now) {
    List<Action> actions = new ArrayList<>();
    switch (mode) {
      case DIRECT -> {
        if (heardFrom(now, PUNCH_GRACE)) {
          // The peer is starting its attempts while its packets already reach us (it found our
          // path first): answer on this path instead of looking again.
          actions.add(new Action.TriggerHandshake());
        } else {
          startDiscovery(now, "the peer asked to punch again", actions, false);
        }
      }
      case DISCOVERING -> nextQueryAt = now;
      case RELAYED -> {
        if (probeStartedAt == null) {
          nextProbeAt = now;
          probeSignals = false; // it is already probing: do not signal back
        }
      }
    }
    return actions;
  }

  /**
   * This node's mapping or addresses changed (a NAT remapped it, an interface got an address):
   * a direct path may be broken for the peer, who must learn the new mapping, so a direct peer
   * rediscovers and asks the peer to punch again; a relayed peer probes and a discovering one
   * looks up at once.
   */
  public List<Action> onOwnChange(Instant now) {
    List<Action> actions = new ArrayList<>();
    switch (mode) {
      case DIRECT -> startDiscovery(now, "this node's mapping or addresses changed", actions, true);
      case DISCOVERING -> nextQueryAt = now;
      case RELAYED -> {
        if (probeStartedAt == null) {
          nextProbeAt = now;
        }
      }
    }
    return actions;
  }

  /**
   * Points WireGuard at candidate {@code index}. With a live session both sides just send (data
   * packets do not collide); without one, the leader re-creates the peer so it initiates at once,
   * and the follower waits ({@link #continueAttempts}).
   */
  private void startAttempt(int index, Instant now, List<Action> actions) {
    attempt = index;
    if (mode == Mode.DISCOVERING && firstAttemptAt == null) {
      firstAttemptAt = now;
    }
    InetSocketAddress target = plan.get(index).endpoint();
    markAttempt(now, Optional.of(target));
    boolean differs = !currentEndpoint.equals(Optional.of(target)) || currentIsRelay;
    if (differs) {
      actions.add(new Action.SetEndpoint(target));
    }
    if (sessionAlive(now) || mode == Mode.RELAYED) {
      // Data through a live session does not collide; a relayed peer is never re-created (the
      // relay carries its session, and a probe must not break it).
      followerPending = false;
      actions.add(new Action.TriggerHandshake());
    } else if (leads) {
      followerPending = false;
      if (differs) {
        actions.add(new Action.RestartPeer());
      }
      actions.add(new Action.TriggerHandshake());
    } else {
      followerPending = true;
    }
  }

  /** Moves an attempt on: the follower's delayed initiation, then the next candidate when the window ends. */
  private void continueAttempts(Instant now, List<Action> actions, boolean probing) {
    if (attempt < 0) {
      return;
    }
    if (followerPending && !now.isBefore(attemptAt.plus(settings.followerDelay()))) {
      followerPending = false;
      if (!sessionAlive(now) && !currentIsRelay) {
        actions.add(new Action.RestartPeer());
      }
      actions.add(new Action.TriggerHandshake());
    }
    if (attempt < plan.size() - 1 && !now.isBefore(attemptAt.plus(settings.attemptWindow()))) {
      startAttempt(attempt + 1, now, actions);
    }
  }

  private void startDiscovery(Instant now, String reason, List<Action> actions, boolean signal) {
    enter(Mode.DISCOVERING, now, reason);
    markAttempt(now, currentIsRelay ? Optional.empty() : currentEndpoint);
    registryKnowsPeer = false;
    attempt = -1;
    backoff = settings.queryInterval();
    nextQueryAt = now;
    queryInFlight = true;
    actions.add(new Action.QueryRegistry());
    if (signal) {
      signal(now, actions);
    }
  }

  private void signal(Instant now, List<Action> actions) {
    if (settings.relayEnabled() && (lastSignalAt == null || !now.isBefore(lastSignalAt.plus(SIGNAL_SPACING)))) {
      lastSignalAt = now;
      actions.add(new Action.SignalPunch());
    }
  }

  private void enterDirect(Instant now, InetSocketAddress endpoint, String reason) {
    PathKind kind = PathCandidates.kindOf(endpoint, plan);
    attempt = -1;
    enter(Mode.DIRECT, kind, now, reason + " (" + kind.label() + ")");
  }

  private void enterRelayed(Instant now, String reason) {
    attempt = -1;
    enter(Mode.RELAYED, now, reason);
    nextProbeAt = now.plus(settings.probeInterval());
    nextWatchAt = now.plus(settings.watchInterval());
  }

  private void enter(Mode next, Instant now, String reason) {
    enter(next, directKind, now, reason);
  }

  private void enter(Mode next, PathKind kind, Instant now, String reason) {
    Mode from = mode;
    PathKind before = path();
    if (next == Mode.DISCOVERING) {
      firstAttemptAt = null;
    }
    mode = next;
    directKind = kind;
    lastTransition = new Transition(from, next, before, path(), reason);
    modeSince = now;
    txWithoutRxSince = null;
    txBytesWithoutRx = 0;
    stallProbeSent = false;
  }

  private void markAttempt(Instant now, Optional<InetSocketAddress> target) {
    attemptAt = now;
    attemptRx = lastRx;
    attemptTarget = target;
    rxBaselinePending = true;
  }

  private boolean provenDirect(Observation seen) {
    if (seen.endpointIsRelay() || seen.endpoint().isEmpty()) {
      return false;
    }
    boolean handshakeSinceAttempt = seen.lastHandshake().map(h -> h.isAfter(attemptAt)).orElse(false);
    return handshakeSinceAttempt || (!rxBaselinePending && attemptRx >= 0 && seen.rxBytes() > attemptRx);
  }

  /** Whether WireGuard may still hold a session with the peer, which re-creating it would drop. */
  private boolean sessionAlive(Instant now) {
    return lastHandshake.map(h -> h.plus(SESSION_LIFETIME).isAfter(now)).orElse(false);
  }

  private boolean fresh(Instant now, Observation seen) {
    return seen.lastHandshake().map(h -> h.plus(settings.freshness()).isAfter(now)).orElse(false);
  }

  /**
   * Tracks whether data goes out with nothing coming back. A lone keepalive (32 bytes) does not
   * count: the two sides' keepalives are not in step, so one may go unanswered for a while.
   */
  private void trackTraffic(Instant now, Observation seen) {
    if (lastRxChangeAt == null || (lastRx >= 0 && seen.rxBytes() != lastRx)) {
      lastRxChangeAt = now;
    }
    if (lastRx >= 0 && seen.rxBytes() != lastRx) {
      txWithoutRxSince = null;
      txBytesWithoutRx = 0;
      stallProbeSent = false;
    } else if (lastTx >= 0 && seen.txBytes() > lastTx) {
      if (txWithoutRxSince == null) {
        // Counted from the last pass that saw something arrive: what went out since is unanswered.
        txWithoutRxSince = lastRxChangeAt;
      }
      txBytesWithoutRx += seen.txBytes() - lastTx;
    }
    lastRx = seen.rxBytes();
    lastTx = seen.txBytes();
  }

  private boolean stalled(Instant now) {
    return stallProbeSent && suspect(now) && !now.isBefore(txWithoutRxSince.plus(settings.stallTimeout()));
  }

  private Instant triesSince() {
    return firstAttemptAt != null ? firstAttemptAt : modeSince;
  }

  /** Whether bytes or a handshake from the peer arrived within {@code window}, as of the last pass. */
  private boolean heardFrom(Instant now, Duration window) {
    Instant since = now.minus(window);
    return (lastRxChangeAt != null && lastRxChangeAt.isAfter(since) && lastRx > 0)
        || lastHandshake.map(h -> h.isAfter(since)).orElse(false);
  }

  /** Data went out and nothing came back for a third of the stall bound. */
  private boolean suspect(Instant now) {
    return txWithoutRxSince != null && txBytesWithoutRx > 2 * KEEPALIVE_BYTES
        && !now.isBefore(txWithoutRxSince.plus(settings.stallTimeout().dividedBy(3)));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
