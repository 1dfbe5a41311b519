package dev.wgmesh.agent.discovery;

import static dev.wgmesh.agent.discovery.RegistryRehandshakes.Decision.KEEP_SESSION;
import static dev.wgmesh.agent.discovery.RegistryRehandshakes.Decision.NOTHING;
import static dev.wgmesh.agent.discovery.RegistryRehandshakes.Decision.RECREATE;
import static dev.wgmesh.agent.discovery.RegistryRehandshakes.Decision.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryRehandshakesTest {
  static final Duration INTERVAL = Duration.ofSeconds(2);
  final RegistryRehandshakes r = new RegistryRehandshakes(INTERVAL);
  final Instant t0 = Instant.parse("2026-11-29T12:00:00Z");
  /** The handshake of the session from before the outage. */
  final Optional<Instant> beforeTheOutage = Optional.of(t0.minusSeconds(30));

  Instant at(double seconds) {
    return t0.plusMillis(Math.round(seconds * 1000));
  }

  @Test
  void aRegistryThatAnswersIsLeftAlone() {
    assertEquals(NOTHING, r.decide(0, false, beforeTheOutage, at(0)));
    assertEquals(NOTHING, r.decide(0, false, Optional.empty(), at(10)));
  }

  @Test
  void aSilentRegistrysPeerIsReCreatedOneIntervalAfterItWasFoundSilentAndEveryIntervalWhileNoHandshakeFollows() {
    assertEquals(WAIT, r.decide(0, true, beforeTheOutage, at(0)), "not at once: a registry may be silent for a moment");
    assertEquals(WAIT, r.decide(0, true, beforeTheOutage, at(1.9)));
    assertEquals(RECREATE, r.decide(0, true, beforeTheOutage, at(2)),
        "the session from before the outage is no reason to wait: its handshake is older than any re-creation");
    // A re-created peer has no handshake until WireGuard reaches the registry.
    assertEquals(WAIT, r.decide(0, true, Optional.empty(), at(3)));
    assertEquals(RECREATE, r.decide(0, true, Optional.empty(), at(4)));
    assertEquals(RECREATE, r.decide(0, true, Optional.empty(), at(6.1)));
    assertEquals(WAIT, r.decide(0, true, Optional.empty(), at(8)), "due again an interval after the last one, at 8.1 s");
    assertEquals(RECREATE, r.decide(0, true, Optional.empty(), at(8.1)));
  }

  @Test
  void aHandshakeSinceTheLastReCreationKeepsThePeerWhileTheRegistryIsStillSilent() {
    r.decide(0, true, beforeTheOutage, at(0));
    assertEquals(RECREATE, r.decide(0, true, beforeTheOutage, at(2)));
    // The registry's device is back (its process not yet): WireGuard handshook at once.
    Optional<Instant> handshake = Optional.of(at(2.01));
    // The pass that would have re-created the peer again, while the self-check's question or
    // its answer may be in flight in the new session: the seen flake.
    assertEquals(KEEP_SESSION, r.decide(0, true, handshake, at(4)));
    assertEquals(KEEP_SESSION, r.decide(0, true, handshake, at(6)), "however long the registry's process takes");
    assertEquals(WAIT, r.decide(0, true, handshake, at(7)), "and still on the interval");
  }

  @Test
  void aReCreationThatWasNotAnsweredIsRepeatedEvenAfterAnEarlierHandshake() {
    r.decide(0, true, beforeTheOutage, at(0));
    assertEquals(RECREATE, r.decide(0, true, beforeTheOutage, at(2)));
    assertEquals(KEEP_SESSION, r.decide(0, true, Optional.of(at(2.5)), at(4)));
    // Something else (another agent pass, an operator) replaced the peer: no handshake on it.
    assertEquals(RECREATE, r.decide(0, true, Optional.empty(), at(6)));
    assertEquals(RECREATE, r.decide(0, true, Optional.of(at(2.5)), at(8)),
        "a handshake older than the last re-creation belongs to a session that is gone");
  }

  @Test
  void answeringAgainStartsOverAndRegistriesAreScheduledApart() {
    r.decide(0, true, beforeTheOutage, at(0));
    r.decide(1, true, beforeTheOutage, at(1));
    assertEquals(RECREATE, r.decide(0, true, beforeTheOutage, at(2)));
    assertEquals(WAIT, r.decide(1, true, beforeTheOutage, at(2)));
    assertEquals(KEEP_SESSION, r.decide(0, true, Optional.of(at(2.1)), at(4)));
    assertEquals(NOTHING, r.decide(0, false, Optional.of(at(2.1)), at(4.5)), "it answers");
    assertEquals(WAIT, r.decide(0, true, Optional.of(at(2.1)), at(20)), "silent again: an interval first");
    assertEquals(RECREATE, r.decide(0, true, Optional.of(at(2.1)), at(22)),
        "and the handshake of the session before that outage does not count");
    assertEquals(RECREATE, r.decide(1, true, beforeTheOutage, at(3)));
  }

  @Test
  void theIntervalIsPositive() {
    assertThrows(IllegalArgumentException.class, () -> new RegistryRehandshakes(Duration.ZERO));
  }
}
