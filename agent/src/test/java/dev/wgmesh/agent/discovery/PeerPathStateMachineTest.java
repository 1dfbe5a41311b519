package dev.wgmesh.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertEquals(List.of(new SetEndpoint(NAT_B), new RestartPeer(), new TriggerHandshake()), answer);
    apply(answer);
    advance(1);
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
    assertEquals(List.of(new TriggerHandshake()), machine.onLookup(now, new Lookup.Found(NAT_B)));
  }

  @Test
  void unknownPeerIsQueriedWithExponentialBackoffAndNeverRelayed() {
    start();
    long[] expectedGaps = {1, 2, 4, 8, 16, 30, 30};
    assertTrue(has(tick(), QueryRegistry.class));
    machine.onLookup(now, new Lookup.NotFound());
    for (long gap : expectedGaps) {
      for (long s = 1; s < gap; s++) {
        advance(1);
        assertEquals(List.of(), tick(), "no query before the backoff has passed");
      }
      advance(1);
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
  void noHandshakeAfterDiscoveryFallsBackToRelayAfterTenSeconds() {
    start();
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    for (int s = 1; s < 10; s++) {
      advance(1);
      List<Action> actions = tick();
      assertTrue(!has(actions, UseRelay.class));
      if (has(actions, QueryRegistry.class)) {
        apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
      }
    }
    advance(1);
    List<Action> actions = tick();
    assertEquals(List.of(new UseRelay(), new RestartPeer(), new TriggerHandshake()), actions);
    assertEquals(Mode.RELAYED, machine.mode());
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
    advance(10);
    apply(tick());
    assertEquals(Mode.RELAYED, machine.mode());
    return machine;
  }

  @Test
  void relayedPeerProbesDirectPathWithPunchSignalAndReturnsToRelayOnFailure() {
    relayed();
    handshake = Optional.of(now); // relayed handshakes keep it fresh, but the endpoint is the relay
    for (int s = 1; s < 30; s++) {
      advance(1);
      rx += 100;
      assertEquals(List.of(), tick(), "relayed traffic flows; no probe before the interval");
    }
    advance(1);
    assertEquals(List.of(new QueryRegistry()), tick());
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    assertEquals(List.of(new SetEndpoint(NAT_B), new SignalPunch(), new TriggerHandshake()), probe);
    apply(probe);
    advance(5);
    List<Action> giveUp = tick();
    assertEquals(List.of(new UseRelay(), new TriggerHandshake()), giveUp);
    apply(giveUp);
    assertEquals(Mode.RELAYED, machine.mode());
    // The next probe waits twice as long after a failure.
    for (int s = 1; s < 60; s++) {
      advance(1);
      assertEquals(List.of(), tick());
    }
    advance(1);
    assertEquals(List.of(new QueryRegistry()), tick());
  }

  @Test
  void successfulProbeUpgradesToDirect() {
    relayed();
    advance(30);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(1);
    handshake = Optional.of(now);
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
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
  void dataWithoutAnswerForFiveSecondsRediscoversAndSignalsThePeer() {
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    for (int s = 1; s <= 5; s++) {
      advance(1);
      tx += 84; // pings go out, nothing comes back: the NAT mapping changed
      assertEquals(List.of(), tick());
    }
    advance(1);
    tx += 84;
    List<Action> actions = tick();
    assertEquals(List.of(new QueryRegistry(), new SignalPunch()), actions);
    // The registry has seen the new mapping: set it; answers then flow and the peer is direct again.
    List<Action> answer = machine.onLookup(now, new Lookup.Found(NAT_B_MOVED));
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new TriggerHandshake()), answer);
    apply(answer);
    advance(1);
    rx += 84;
    tick();
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
    handshake = Optional.of(now);
    endpoint = Optional.of(NAT_B);
    start();
    tick();
    List<Action> actions = machine.onPunchSignal(now);
    assertEquals(List.of(new QueryRegistry()), actions);
    assertEquals(Mode.DISCOVERING, machine.mode());
  }

  @Test
  void punchSignalWhileRelayedProbesAtOnceWithoutEcho() {
    relayed();
    advance(1);
    tick();
    machine.onPunchSignal(now);
    assertEquals(List.of(new QueryRegistry()), tick());
    List<Action> probe = machine.onLookup(now, new Lookup.Found(NAT_B));
    assertEquals(List.of(new SetEndpoint(NAT_B), new TriggerHandshake()), probe);
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
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    for (int s = 1; s < 10; s++) {
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
    advance(1);
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
    for (int s = 1; s <= 6; s++) {
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
    assertEquals(List.of(new SetEndpoint(NAT_B_MOVED), new RestartPeer(), new TriggerHandshake()),
        machine.onLookup(now, new Lookup.Found(NAT_B_MOVED)));
  }

  @Test
  void onTheWayToTheRelayOnlyTheLeadingSideRecreatesThePeer() {
    machine = new PeerPathStateMachine(settings, now, false);
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(10);
    List<Action> actions = tick();
    assertEquals(List.of(new UseRelay(), new TriggerHandshake()), actions,
        "the other side re-creates its peer; two initiations crossing in the relay would both fail");
    assertEquals(Mode.RELAYED, machine.mode());
  }

  @Test
  void relayedProbesNeverRecreateThePeer() {
    relayed();
    handshake = Optional.of(now); // the relayed session
    advance(30);
    tick();
    assertTrue(!has(machine.onLookup(now, new Lookup.Found(NAT_B)), RestartPeer.class));
  }

  @Test
  void receivedBytesProveTheDirectPathAfterTheCountersRestartedAtZero() {
    start();
    rx = 5_000; // what the old peer had received
    tick();
    apply(machine.onLookup(now, new Lookup.Found(NAT_B)));
    advance(1);
    rx = 0; // re-created: counters start again
    tick();
    assertEquals(Mode.DISCOVERING, machine.mode(), "nothing received yet");
    advance(1);
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
    for (int s = 1; s < 5; s++) {
      advance(1);
      tick();
      assertEquals(Mode.DISCOVERING, machine.mode());
    }
    advance(1);
    rx += 92;
    tick();
    assertEquals(Mode.DIRECT, machine.mode());
  }

  @Test
  void settingsDefaultsMatchTheDocumentedBounds() {
    assertEquals(Duration.ofSeconds(180), settings.freshness());
    assertEquals(Duration.ofSeconds(10), settings.relayAfter());
    assertEquals(Duration.ofSeconds(30), settings.probeInterval());
  }
}
