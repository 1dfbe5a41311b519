package dev.wgmesh.agent.discovery;

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
 *   DISCOVERING --proof of a direct path--------------------------> DIRECT
 *   DIRECT --handshake stale, or data sent and nothing back--------> DISCOVERING (+ punch signal)
 *   DISCOVERING --registry knows the peer, no proof in relayAfter--> RELAYED
 *   any --the other side relays to us (endpoint roamed to relay)---> RELAYED
 *   RELAYED --every probeInterval: try direct for probeWindow------> DIRECT, or back to the relay
 * </pre>
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

  /** A change of mode, for the agent's log and status. */
  public record Transition(Mode from, Mode to, String reason) {}

  private static final int KEEPALIVE_BYTES = 32;
  /** WireGuard's Reject-After-Time: no session outlives a handshake by more than this. */
  static final Duration SESSION_LIFETIME = Duration.ofSeconds(180);

  private final PeerPathSettings settings;
  private final boolean leadsOnRelay;
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
  private Instant probeStartedAt;
  private boolean probeSignals = true;
  private Instant nextProbeAt;
  private Instant lastSignalAt;
  private long lastRx = -1;
  private long lastTx = -1;
  private Instant txWithoutRxSince;
  private long txBytesWithoutRx;
  private Transition lastTransition;
  private boolean observedOnce;
  private int failedProbes;
  private Optional<Instant> lastHandshake = Optional.empty();

  public PeerPathStateMachine(PeerPathSettings settings, Instant now) {
    this(settings, now, true);
  }

  /**
   * @param leadsOnRelay whether this side re-creates the peer when both give up on the direct path
   *     (exactly one side should: see the class comment); the agent decides by comparing keys
   */
  public PeerPathStateMachine(PeerPathSettings settings, Instant now, boolean leadsOnRelay) {
    this.leadsOnRelay = leadsOnRelay;
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
    }
    trackTraffic(now, seen);
    List<Action> actions = new ArrayList<>();
    if (!observedOnce) {
      observedOnce = true;
      attemptRx = seen.rxBytes();
      if (fresh(now, seen) && seen.endpoint().isPresent() && !seen.endpointIsRelay()) {
        enter(Mode.DIRECT, now, "fresh handshake with " + seen.endpoint().get());
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
      enter(Mode.RELAYED, now, "the peer relays to us");
      nextProbeAt = now.plus(settings.probeInterval());
    } else if (!fresh(now, seen)) {
      startDiscovery(now, "no handshake for " + settings.freshness().toSeconds() + " s", actions, false);
    } else if (stalled(now)) {
      startDiscovery(now, "sent data but received nothing for " + settings.stallTimeout().toSeconds() + " s", actions, true);
    }
  }

  private void tickDiscovering(Instant now, Observation seen, List<Action> actions) {
    if (provenDirect(seen)) {
      enter(Mode.DIRECT, now, "handshake with " + seen.endpoint().map(Object::toString).orElse("?"));
      return;
    }
    if (seen.endpointIsRelay() && settings.relayEnabled()) {
      enter(Mode.RELAYED, now, "the peer relays to us");
      nextProbeAt = now.plus(settings.probeInterval());
      return;
    }
    if (settings.relayEnabled() && registryKnowsPeer && !now.isBefore(modeSince.plus(settings.relayAfter()))) {
      enter(Mode.RELAYED, now, "no direct handshake within " + settings.relayAfter().toSeconds() + " s");
      nextProbeAt = now.plus(settings.probeInterval());
      actions.add(new Action.UseRelay());
      if (!sessionAlive(now) && leadsOnRelay) {
        actions.add(new Action.RestartPeer());
      }
      actions.add(new Action.TriggerHandshake());
      return;
    }
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
        enter(Mode.DIRECT, now, "direct path works again");
      } else if (!now.isBefore(probeStartedAt.plus(settings.probeWindow()))) {
        // Each failed probe costs a few seconds of relayed traffic: back off up to 8x the interval.
        probeStartedAt = null;
        failedProbes = Math.min(failedProbes + 1, 3);
        nextProbeAt = now.plus(settings.probeInterval().multipliedBy(1L << failedProbes));
        actions.add(new Action.UseRelay());
        actions.add(new Action.TriggerHandshake());
      }
      return;
    }
    if (!seen.endpointIsRelay() && seen.endpoint().isPresent()) {
      // Outside a probe, only an authenticated packet from a direct source moves the endpoint
      // off our relay socket (WireGuard roaming): the peer reached us directly.
      enter(Mode.DIRECT, now, "the peer reached us directly from " + seen.endpoint().get());
      return;
    }
    if (!queryInFlight && !now.isBefore(nextProbeAt)) {
      queryInFlight = true;
      actions.add(new Action.QueryRegistry());
    }
  }

  /** Feeds the registry's answer to the last QueryRegistry action. */
  public List<Action> onLookup(Instant now, Lookup result) {
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
      if (mode == Mode.DISCOVERING) {
        if (!currentEndpoint.equals(Optional.of(found.endpoint())) || currentIsRelay) {
          actions.add(new Action.SetEndpoint(found.endpoint()));
          markAttempt(now);
          if (!sessionAlive(now)) {
            actions.add(new Action.RestartPeer());
          }
        }
        actions.add(new Action.TriggerHandshake());
      } else if (mode == Mode.RELAYED) {
        probeStartedAt = now;
        markAttempt(now);
        actions.add(new Action.SetEndpoint(found.endpoint()));
        if (probeSignals) {
          signal(now, actions);
        }
        probeSignals = true;
        actions.add(new Action.TriggerHandshake());
      }
    } else {
      // No record, or no usable answer: keep whatever endpoint we have, and wait longer.
      nextQueryAt = now.plus(backoff);
      backoff = min(backoff.multipliedBy(2), settings.maxBackoff());
      if (mode == Mode.RELAYED) {
        nextProbeAt = now.plus(settings.probeInterval());
      }
    }
    return actions;
  }

  /** The other agent asked us to punch towards it now (it lost the path, or probes direct). */
  public List<Action> onPunchSignal(Instant now) {
    List<Action> actions = new ArrayList<>();
    switch (mode) {
      case DIRECT -> startDiscovery(now, "the peer asked to punch again", actions, false);
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

  private void startDiscovery(Instant now, String reason, List<Action> actions, boolean signal) {
    enter(Mode.DISCOVERING, now, reason);
    markAttempt(now);
    registryKnowsPeer = false;
    backoff = settings.queryInterval();
    nextQueryAt = now;
    queryInFlight = true;
    actions.add(new Action.QueryRegistry());
    if (signal) {
      signal(now, actions);
    }
  }

  private void signal(Instant now, List<Action> actions) {
    if (settings.relayEnabled() && (lastSignalAt == null || !now.isBefore(lastSignalAt.plus(settings.probeWindow())))) {
      lastSignalAt = now;
      actions.add(new Action.SignalPunch());
    }
  }

  private void enter(Mode next, Instant now, String reason) {
    lastTransition = new Transition(mode, next, reason);
    mode = next;
    modeSince = now;
    txWithoutRxSince = null;
    txBytesWithoutRx = 0;
  }

  private void markAttempt(Instant now) {
    attemptAt = now;
    attemptRx = lastRx;
  }

  private boolean provenDirect(Observation seen) {
    if (seen.endpointIsRelay() || seen.endpoint().isEmpty()) {
      return false;
    }
    boolean handshakeSinceAttempt = seen.lastHandshake().map(h -> h.isAfter(attemptAt)).orElse(false);
    return handshakeSinceAttempt || (attemptRx >= 0 && seen.rxBytes() > attemptRx);
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
    if (lastRx >= 0 && seen.rxBytes() != lastRx) {
      txWithoutRxSince = null;
      txBytesWithoutRx = 0;
    } else if (lastTx >= 0 && seen.txBytes() > lastTx) {
      if (txWithoutRxSince == null) {
        txWithoutRxSince = now;
      }
      txBytesWithoutRx += seen.txBytes() - lastTx;
    }
    lastRx = seen.rxBytes();
    lastTx = seen.txBytes();
  }

  private boolean stalled(Instant now) {
    return txWithoutRxSince != null && txBytesWithoutRx > 2 * KEEPALIVE_BYTES
        && !now.isBefore(txWithoutRxSince.plus(settings.stallTimeout()));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
