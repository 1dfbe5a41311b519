package dev.wgmesh.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.Action.QueryRegistry;
import dev.wgmesh.agent.discovery.Action.RestartPeer;
import dev.wgmesh.agent.discovery.Action.SetEndpoint;
import dev.wgmesh.agent.discovery.Action.SignalPunch;
import dev.wgmesh.agent.discovery.Action.TriggerHandshake;
import dev.wgmesh.agent.discovery.Action.UseRelay;
import dev.wgmesh.agent.discovery.PeerPathStateMachine.Mode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The discovery state machine under a fake clock: every step is a value in, actions out. */
class PeerPathStateMachineTest {
  static final InetSocketAddress NAT_B = new InetSocketAddress("203.0.113.20", 40123);
  static final InetSocketAddress NAT_B_MOVED = new InetSocketAddress("203.0.113.20", 50999);
  static final InetSocketAddress RELAY_SOCKET = new InetSocketAddress("127.0.0.1", 39001);

  final PeerPathSettings settings = PeerPathSettings.defaults();
  Instant now = Instant.parse("2026-11-24T12:00:00Z");
  // What the fake device shows.
  Optional<Instant> handshake = Optional.empty();
  Optional<InetSocketAddress> endpoint = Optional.empty();
  boolean relayEndpoint;
  long rx;
  long tx;

  PeerPathStateMachine machine;

  List<Action> tick() {
    return machine.tick(now, new Observation(handshake, endpoint, relayEndpoint, rx, tx));
  }

  void advance(long seconds) {
    now = now.plusSeconds(seconds);
  }

  void advance(Duration d) {
    now = now.plus(d);
  }

  /** Carries out endpoint actions on the fake device, as the agent would. */
  void apply(List<Action> actions) {
    for (Action a : actions) {
      if (a instanceof SetEndpoint set) {
        endpoint = Optional.of(set.endpoint());
        relayEndpoint = false;
      } else if (a instanceof UseRelay) {
        endpoint = Optional.of(RELAY_SOCKET);
        relayEndpoint = true;
      }
    }
  }

  static boolean has(List<Action> actions, Class<? extends Action> type) {
    return actions.stream().anyMatch(type::isInstance);
  }

  PeerPathStateMachine start() {
    machine = new PeerPathStateMachine(settings, now);
    return machine;
  }

  @Test
  void peerWithFreshHandshakeIsLeftAlone() {
    handshake = Optional.of(now.minusSeconds(30));
    endpoint = Optional.of(NAT_B);
    start();
    for (int i = 0; i < 100; i++) {
      assertEquals(List.of(), tick(), "no queries, no changes for a working tunnel");
      advance(1);
    }
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void discoversEndpointTriggersHandshakeAndGoesDirect() {
    start();
    List<Action> first = tick();
    assertEquals(List.of(new QueryRegistry()), first);
    List<Action> answer = machine.onLookup(now, new Lookup.Found(NAT_B));
    assertEquals(List.of(new SetEndpoint(NAT_B), new RestartPeer(), new TriggerHandshake(), new SignalPunch()), answer,
        "the punch signal starts the other side's attempts now");
    apply(answer);
    advance(Duration.ofMillis(300));
    handshake = Optional.of(now);
    rx += 92;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
    assertEquals(Mode.DISCOVERING, machine.takeTransition().from());
  }

  @Test
  void sameEndpointIsNotSetAgainButStillTriggered() {
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    assertEquals(List.of(new TriggerHandshake(), new SignalPunch()), machine.onLookup(now, new Lookup.Found(NAT_B)));
  }

  @Test
  void unknownPeerIsQueriedWithExponentialBackoffAndNeverRelayed() {
    start();
    // In steps of the query interval (500 ms): 1, 2, 4, ... up to the 30 s maximum.
    long step = settings.queryInterval().toMillis();
    long[] expectedGaps = {1, 2, 4, 8, 16, 32, 60, 60};
    assertTrue(has(tick(), QueryRegistry.class));
    machine.onLookup(now, new Lookup.NotFound());
    for (long gap : expectedGaps) {
      for (long s = 1; s < gap; s++) {
        advance(Duration.ofMillis(step));
        assertEquals(List.of(), tick(), "no query before the backoff has passed");
      }
      advance(Duration.ofMillis(step));
      assertEquals(List.of(new QueryRegistry()), tick());
      machine.onLookup(now, new Lookup.NotFound());
    }
    assertEquals(Mode.DISCOVERING, machine.mode(), "the registry never knew the peer: the relay cannot reach it either");
  }

  @Test
  void failedLookupKeepsTheEndpoint() {
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    List<Action> actions = machine.onLookup(now, new Lookup.Failed("timeout"));
    assertEquals(List.of(), actions);
    assertEquals(Optional.of(NAT_B), endpoint);
  }

  @Test
  void noHandshakeAfterDiscoveryFallsBackToRelayWithinASecond() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    for (int ms = 100; ms < settings.relayAfter().toMillis(); ms += 100) {
      advance(Duration.ofMillis(100));
      List<Action> actions = tick();
      assertTrue(!has(actions, UseRelay.class));
      if (has(actions, QueryRegistry.class)) {
        apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
      }
    }
    advance(Duration.ofMillis(100));
    List<Action> actions = tick();
    assertEquals(List.of(new UseRelay(), new RestartPeer(), new TriggerHandshake()), actions);
    assertEquals(Mode.RELAYED, machine.mode());
    assertEquals(PathKind.RELAYED, machine.path());
  }

  @Test
  void withRelayOffDiscoveryContinuesButSlowsDown() {
    machine = new PeerPathStateMachine(settings.withRelay(false), now);
    int queries = 0;
    for (int s = 0; s < 120; s++) {
      List<Action> actions = tick();
      assertTrue(!has(actions, UseRelay.class));
      if (has(actions, QueryRegistry.class)) {
        queries++;
        apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
      }
      advance(1);
    }
    assertEquals(Mode.DISCOVERING, machine.mode());
    assertTrue(queries < 25, "queries back off once past the relay bound: " + queries);
  }

  PeerPathStateMachine relayed() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(settings.relayAfter());
    apply(tick());
    assertEquals(Mode.RELAYED, machine.mode());
    return machine;
  }

  @Test
  void relayedPeerProbesDirectPathWithPunchSignalAndReturnsToRelayOnFailure() {
    relayed();
    assertEquals(Optional.of(now.plus(settings.probeInterval())), machine.nextProbe(), "the first probe is due soon after the relay took over");
    assertFalse(machine.probing());
    handshake = Optional.of(now); // relayed handshakes keep it fresh, but the endpoint is the relay
    for (int s = 1; s < 2; s++) {
      advance(1);
      rx += 100;
      assertEquals(List.of(), tick(), "relayed traffic flows; no probe before the interval");
    }
    advance(1);
    assertEquals(List.of(new QueryRegistry()), tick());
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    assertEquals(List.of(new SignalPunch(), new SetEndpoint(NAT_B), new TriggerHandshake()), probe);
    assertTrue(machine.probing(), "what the agent's /peers shows while the pair's traffic waits for the probe");
    assertEquals(Optional.empty(), machine.nextProbe());
    apply(probe);
    advance(settings.probeWindow());
    List<Action> giveUp = tick();
    assertEquals(List.of(new UseRelay(), new TriggerHandshake()), giveUp);
    apply(giveUp);
    assertEquals(Mode.RELAYED, machine.mode());
    assertFalse(machine.probing());
    assertEquals(Optional.of(now.plus(settings.retryProbeInterval())), machine.nextProbe());
    // After a failure the next probe waits a minute, then two, four, five at most; lookups in
    // between (the watch) probe only when the peer's candidates changed.
    long last = 0;
    List<Long> probedAfter = new java.util.ArrayList<>();
    for (int s = 1; s <= 1100; s++) {
      advance(1);
      if (has(tick(), QueryRegistry.class)) {
        List<Action> watch = machine.onLookup(now, new Lookup.Found(NAT_B));
        if (has(watch, SetEndpoint.class)) {
          probedAfter.add(s - last);
          apply(watch);
          advance(settings.probeWindow());
          apply(tick());
          last = s;
        }
      }
    }
    assertEquals(List.of(60L, 120L, 240L, 300L, 300L), probedAfter.subList(0, 5));
  }

  @Test
  void aRelayedPeerWhoseCandidatesChangeIsProbedAtOnce() {
    relayed();
    handshake = Optional.of(now);
    advance(settings.watchInterval());
    assertEquals(List.of(new QueryRegistry()), tick());
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B_MOVED));
    assertEquals(List.of(new SignalPunch(), new SetEndpoint(NAT_B_MOVED), new TriggerHandshake()), probe,
        "the registry saw the peer's mapping change: try it now, not at the next probe");
  }

  @Test
  void successfulProbeUpgradesToDirect() {
    relayed();
    advance(settings.probeInterval());
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(1);
    handshake = Optional.of(now);
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
    assertFalse(machine.probing());
    assertEquals(Optional.empty(), machine.nextProbe(), "a direct peer has no probe due");
  }

  @Test
  void endpointRoamedToRelaySocketMeansRelayedNotDirect() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
    advance(1);
    endpoint = Optional.of(RELAY_SOCKET); // WireGuard roamed: the other side sends via the relay
    relayEndpoint = true;
    handshake = Optional.of(now);
    tick();
    assertEquals(Mode.RELAYED, machine.mode());
  }

  @Test
  void relayedPeerThatReachesUsDirectlyIsDirect() {
    relayed();
    advance(1);
    endpoint = Optional.of(NAT_B); // roamed off the relay socket by an authenticated direct packet
    relayEndpoint = false;
    rx += 100;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void staleHandshakeSendsDirectPeerBackToDiscovery() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    advance(179);
    assertEquals(List.of(), tick());
    advance(2);
    assertEquals(List.of(new QueryRegistry()), tick());
    assertEquals(Mode.DISCOVERING, machine.mode());
  }

  @Test
  void dataWithoutAnswerIsProbedThenRediscoveredAndThePeerSignalled() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    List<Action> seen = new java.util.ArrayList<>();
    Duration step = Duration.ofMillis(100);
    for (Duration t = step; t.compareTo(settings.stallTimeout()) < 0; t = t.plus(step)) {
      advance(step);
      tx += 84; // pings go out, nothing comes back: the NAT mapping changed
      seen.addAll(tick());
      assertTrue(machine.busy(now), "a path that may be breaking is watched closely");
    }
    assertEquals(List.of(new TriggerHandshake()), seen, "one probe the peer's kernel would answer");
    advance(step);
    tx += 84;
    List<Action> actions = tick();
    assertEquals(List.of(new QueryRegistry(), new SignalPunch()), actions);
    // The registry has seen the new mapping: set it; answers then flow and the peer is direct again.
    List<Action> answer = machine.onLookup(now, new Lookup.Found(NAT_B_MOVED));
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new TriggerHandshake()), answer);
    apply(answer);
    machine.endpointApplied(endpoint, false, rx); // the agent reads the device after the change, before the trigger
    advance(Duration.ofMillis(100));
    rx += 84;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void aOneWayFlowWhoseProbeIsAnsweredIsNoStall() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    for (int i = 0; i < 50; i++) {
      advance(Duration.ofMillis(100));
      tx += 1400; // a one-way stream
      List<Action> actions = tick();
      if (has(actions, TriggerHandshake.class)) {
        rx += 112; // the ICMP answer to the probe, through the tunnel
      }
      assertTrue(!has(actions, QueryRegistry.class), "no rediscovery at " + i);
    }
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void lonelyKeepalivesAreNotAStall() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    for (int s = 0; s < 25; s++) {
      advance(1);
      if (s == 0) {
        tx += 32; // our keepalive; theirs comes later
      }
      assertEquals(List.of(), tick());
    }
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void punchSignalMakesADirectPeerLookAgainWithoutSignallingBack() {
    handshake = Optional.of(now.minusSeconds(30));
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    advance(2);
    tick();
    List<Action> actions = machine.onPunchSignal(now);
    assertEquals(List.of(new QueryRegistry()), actions);
    assertEquals(Mode.DISCOVERING, machine.mode());
  }

  @Test
  void punchSignalFromAPeerWeJustHeardFromIsAnsweredOnThePath() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(Duration.ofMillis(100));
    handshake = Optional.of(now); // the peer's initiation reached us first
    rx += 92;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
    assertEquals(List.of(new TriggerHandshake()), machine.onPunchSignal(now), "its attempts start as ours succeeded: no new lookup");
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void punchSignalWhileRelayedProbesAtOnceWithoutEcho() {
    relayed();
    advance(1);
    tick();
    machine.onPunchSignal(now);
    assertEquals(List.of(new QueryRegistry()), tick());
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    assertEquals(List.of(new SetEndpoint(NAT_B), new TriggerHandshake()), probe, "a probe never re-creates the peer, nor signals back");
  }

  // ---- re-creating the peer so that WireGuard initiates a handshake at once ----

  @Test
  void newEndpointForAPeerThatNeverHadASessionRecreatesIt() {
    start();
    tick();
    assertTrue(has(machine.onLookup(now, new Lookup.Found(NAT_B)), RestartPeer.class));
  }

  @Test
  void theSameAnswerAgainTriggersButDoesNotRecreateThePeerAgain() {
    start();
    tick();
    machine = new PeerPathStateMachine(settings.withRelay(false), now);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    for (int s = 1; s < 3; s++) {
      advance(1);
      assertTrue(has(tick(), QueryRegistry.class));
      assertEquals(List.of(new TriggerHandshake()), machine.onLookup(now, new Lookup.Found(NAT_B)));
    }
  }

  @Test
  void aMovedEndpointRecreatesThePeerAgain() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(Duration.ofMillis(500));
    tick();
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new RestartPeer(), new TriggerHandshake()),
        machine.onLookup(now, new Lookup.Found(NAT_B_MOVED)), "the earlier initiation went to the old mapping");
  }

  @Test
  void peerWithALiveSessionIsNeverRecreated() {
    // A working tunnel whose path broke: the session's keys still work, data is not rate-limited.
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    for (int s = 1; s <= 3; s++) {
      advance(1);
      tx += 84;
      tick();
    }
    assertEquals(Mode.DISCOVERING, machine.mode());
    List<Action> answer = machine.onLookup(now, new Lookup.Found(NAT_B_MOVED));
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new TriggerHandshake()), answer);
    apply(answer);
    // Still no answer after the relay bound: the relay takes over, with the session kept.
    for (int s = 1; s <= 10; s++) {
      advance(1);
      tx += 84;
      List<Action> actions = tick();
      if (has(actions, QueryRegistry.class)) {
        assertTrue(!has(machine.onLookup(now, new Lookup.Found(NAT_B_MOVED)), RestartPeer.class));
      }
      if (has(actions, UseRelay.class)) {
        assertEquals(List.of(new UseRelay(), new TriggerHandshake()), actions);
        return;
      }
    }
    throw new AssertionError("never fell back to the relay");
  }

  @Test
  void peerWhoseSessionExpiredIsRecreated() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    advance(181); // no handshake for longer than WireGuard keeps a session
    assertEquals(List.of(new QueryRegistry()), tick());
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new RestartPeer(), new TriggerHandshake(), new SignalPunch()),
        machine.onLookup(now, new Lookup.Found(NAT_B_MOVED)));
  }

  @Test
  void onTheWayToTheRelayOnlyTheLeadingSideRecreatesThePeer() {
    machine = new PeerPathStateMachine(settings, now, false);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(settings.relayAfter());
    List<Action> actions = tick();
    assertEquals(List.of(new UseRelay(), new TriggerHandshake()), actions,
        "the other side re-creates its peer; two initiations crossing in the relay would both fail");
    assertEquals(Mode.RELAYED, machine.mode());
  }

  @Test
  void relayedProbesNeverRecreateThePeer() {
    relayed();
    handshake = Optional.of(now); // the relayed session
    advance(settings.probeInterval());
    tick();
    assertTrue(!has(machine.onLookup(now, new Lookup.Found(NAT_B)), RestartPeer.class));
  }

  @Test
  void receivedBytesProveTheDirectPathAfterTheCountersRestartedAtZero() {
    start();
    rx = 5_000; // what the old peer had received
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(Duration.ofMillis(300));
    rx = 0; // re-created: counters start again
    tick();
    assertEquals(Mode.DISCOVERING, machine.mode(), "nothing received yet");
    advance(Duration.ofMillis(300));
    rx = 92; // the peer's data, through the new endpoint
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void withoutARestartOldBytesAreNoProof() {
    // The agent may skip the re-creation (a preshared key): the counters then keep counting.
    start();
    rx = 5_000;
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    for (int ms = 100; ms < settings.relayAfter().toMillis() - 100; ms += 100) {
      advance(Duration.ofMillis(100));
      tick();
      assertEquals(Mode.DISCOVERING, machine.mode());
    }
    advance(Duration.ofMillis(100));
    rx += 92;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void settingsDefaultsMatchTheDocumentedBounds() {
    assertEquals(Duration.ofSeconds(180), settings.freshness());
    assertTrue(settings.relayAfter().compareTo(Duration.ofSeconds(1)) < 0, "connected within a second, through the relay if need be");
    assertEquals(Duration.ofSeconds(2), settings.probeInterval());
    assertEquals(Duration.ofMillis(1500), settings.stallTimeout());
    assertTrue(settings.followerDelay().compareTo(settings.attemptWindow()) < 0, "the follower initiates within the leader's attempt");
  }

  // ---- candidates: LAN, IPv6, the observed mapping ----

  static final InetSocketAddress LAN_B = new InetSocketAddress("10.201.0.3", 51820);
  static final InetSocketAddress V6_B = new InetSocketAddress("2001:db8:200::3", 51820);
  static final PathCandidates.Self BEHIND_B_NAT = new PathCandidates.Self(Optional.of(NAT_B.getAddress()), false);
  static final PathCandidates.Self ELSEWHERE_V6 = new PathCandidates.Self(Optional.of(new InetSocketAddress("198.51.100.9", 1).getAddress()), true);

  @Test
  void behindTheSameNatTheLanAddressIsTriedFirstThenTheMapping() {
    start();
    tick();
    List<Action> first = machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B, V6_B)), BEHIND_B_NAT);
    assertEquals(List.of(new SetEndpoint(LAN_B), new RestartPeer(), new TriggerHandshake(), new SignalPunch()), first);
    apply(first);
    advance(settings.attemptWindow());
    List<Action> next = tick();
    assertEquals(List.of(new SetEndpoint(NAT_B), new RestartPeer(), new TriggerHandshake()),
        next.stream().filter(a -> !(a instanceof QueryRegistry)).toList(), "the LAN attempt had its window");
  }

  @Test
  void aHandshakeOnTheLanAddressMakesALanPath() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B)), BEHIND_B_NAT));
    advance(Duration.ofMillis(100));
    handshake = Optional.of(now);
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
    assertEquals(PathKind.LAN, machine.path());
    PeerPathStateMachine.Transition t = machine.takeTransition();
    assertEquals(PathKind.PENDING, t.fromPath());
    assertEquals(PathKind.LAN, t.toPath());
  }

  @Test
  void withGlobalIpv6OnBothSidesIpv6IsTriedBeforeTheMapping() {
    start();
    tick();
    List<Action> first = machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B, V6_B)), ELSEWHERE_V6);
    assertEquals(new SetEndpoint(V6_B), first.get(0), "not behind the same NAT: no LAN attempt");
    apply(first);
    advance(Duration.ofMillis(50));
    handshake = Optional.of(now);
    tick();
    assertEquals(PathKind.IPV6, machine.path());
  }

  @Test
  void theFollowerWaitsSoThatTheLeadersInitiationArrivesAlone() {
    machine = new PeerPathStateMachine(settings, now, false);
    tick();
    List<Action> first = machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B)), BEHIND_B_NAT);
    assertEquals(List.of(new SetEndpoint(LAN_B), new SignalPunch()), first, "no initiation yet");
    apply(first);
    advance(settings.followerDelay());
    assertEquals(List.of(new RestartPeer(), new TriggerHandshake()), tick(), "no proof came: initiate, opening our NAT too");
  }

  @Test
  void theFollowerDoesNotInitiateWhenTheLeadersHandshakeArrived() {
    machine = new PeerPathStateMachine(settings, now, false);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B)), BEHIND_B_NAT));
    advance(Duration.ofMillis(100));
    handshake = Optional.of(now);
    tick();
    assertEquals(PathKind.LAN, machine.path());
    advance(settings.followerDelay());
    assertEquals(List.of(), tick());
  }

  @Test
  void learningOwnMappingLaterChangesThePlanAndRestartsTheAttempts() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B))));
    advance(Duration.ofMillis(600));
    tick();
    List<Action> again = machine.onLookup(now, new Lookup.Found(NAT_B, List.of(LAN_B)), BEHIND_B_NAT);
    assertEquals(new SetEndpoint(LAN_B), again.get(0), "now known to share the NAT: the LAN address comes first");
  }

  @Test
  void aDirectPeerRediscoversAndSignalsWhenThisNodesMappingChanges() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    assertEquals(List.of(new QueryRegistry(), new SignalPunch()), machine.onOwnChange(now));
    assertEquals(Mode.DISCOVERING, machine.mode());
  }

  @Test
  void theMachineIsBusyOnlyWhileItTriesCandidates() {
    start();
    tick();
    assertTrue(machine.busy(now));
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(Duration.ofMillis(100));
    handshake = Optional.of(now);
    tick();
    assertTrue(machine.busy(now), "just direct: the other side may still move the path");
    advance(PeerPathStateMachine.SETTLING);
    tick();
    assertTrue(!machine.busy(now), "direct and settled: back to the normal interval");
  }

  @Test
  void candidatesAreOrderedLanIpv6ThenTheMappingAndKindsFollowTheEndpoint() {
    List<PathCandidates.Candidate> both = PathCandidates.order(new Lookup.Found(NAT_B, List.of(V6_B, LAN_B)),
        new PathCandidates.Self(Optional.of(NAT_B.getAddress()), true));
    assertEquals(List.of(PathKind.LAN, PathKind.IPV6, PathKind.DIRECT), both.stream().map(PathCandidates.Candidate::kind).toList());
    assertEquals(List.of(PathKind.DIRECT), PathCandidates.order(new Lookup.Found(NAT_B, List.of(V6_B, LAN_B)), PathCandidates.Self.UNKNOWN)
        .stream().map(PathCandidates.Candidate::kind).toList(), "nothing known of this node: only the mapping");
    assertEquals(PathKind.LAN, PathCandidates.kindOf(new InetSocketAddress("192.168.1.4", 51820), List.of()),
        "a private address found without a plan (after a restart) is a LAN path");
    assertEquals(PathKind.DIRECT, PathCandidates.kindOf(NAT_B, List.of()));
    assertEquals(PathKind.IPV6, PathCandidates.kindOf(V6_B, List.of()));
  }

  @Test
  void bytesThatCameThroughTheRelayBeforeTheProbeMovedTheEndpointAreNoProof() {
    relayed();
    handshake = Optional.of(now); // the relayed session
    advance(settings.probeInterval());
    tick();
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    rx += 300; // relayed packets counted after this pass read the device, before the endpoint moved
    apply(probe);
    advance(Duration.ofMillis(100));
    tick();
    assertEquals(Mode.RELAYED, machine.mode(), "the endpoint only just moved: nothing came the direct way yet");
    advance(Duration.ofMillis(100));
    tick();
    assertEquals(Mode.RELAYED, machine.mode(), "no bytes since the endpoint moved");
    advance(Duration.ofMillis(100));
    rx += 92; // the peer's packet, the direct way (a relayed one would have moved the endpoint back)
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void anAnswerRightAfterTheEndpointMovedProvesTheProbe() {
    relayed();
    handshake = Optional.of(now);
    advance(settings.probeInterval());
    tick();
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    rx += 300; // relayed, before the change
    apply(probe);
    machine.endpointApplied(endpoint, false, rx);
    rx += 60; // the answer to the trigger, the direct way, before the next pass
    advance(Duration.ofMillis(100));
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void aDirectPeerThatRoamsToItsIpv6AddressIsOnAnIpv6Path() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    assertEquals(PathKind.DIRECT, machine.path());
    advance(1);
    endpoint = Optional.of(V6_B); // WireGuard followed the peer's packets from its IPv6 address
    rx += 92;
    tick();
    assertEquals(PathKind.IPV6, machine.path());
    assertEquals(PathKind.IPV6, machine.takeTransition().toPath());
  }

  @Test
  void theRelayBoundCountsFromTheFirstAttemptNotFromWhenThePeerAppeared() {
    start();
    tick();
    machine.onLookup(now, new Lookup.NotFound()); // the peer has not reached the registry yet
    advance(3);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B))); // now it has: the attempts start
    advance(Duration.ofMillis(500));
    assertTrue(!has(tick(), UseRelay.class), "punching gets its full bound");
    advance(settings.relayAfter());
    assertTrue(has(tick(), UseRelay.class));
    assertEquals(Mode.RELAYED, machine.mode());
  }
}
