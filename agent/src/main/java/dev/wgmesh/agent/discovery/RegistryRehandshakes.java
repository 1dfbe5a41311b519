package dev.wgmesh.agent.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * When the agent re-creates the WireGuard peer of a registry that does not answer, which makes
 * WireGuard initiate a handshake at once instead of after its own timers. Pure and clock-driven:
 * the agent tells it, per registry and pass, whether the registry is unreachable and the latest
 * handshake its device shows for the registry's peer.
 *
 * <p>A registry's peer is re-created one interval after the registry was found unreachable, and
 * every interval after that while it stays unreachable, <em>unless WireGuard completed a handshake
 * with it since the last re-creation</em>. A re-created peer starts without a handshake, so such a
 * handshake was made with the registry's current device (a restarted one included): WireGuard
 * already reaches it, and the registry is only not answering yet (its process may be starting).
 * Re-creating the peer again could not bring the answer sooner; it would throw that session away
 * together with whatever is in flight in it, the self-check's question or its answer among them,
 * and the self-check is what tells the agent that the registry answers again. The handshake time
 * of the session from before the outage does not count: it is older than the first re-creation.
 */
public final class RegistryRehandshakes {
  private final Duration interval;
  /** Per unreachable registry: when its peer is due to be re-created. */
  private final Map<Integer, Instant> due = new HashMap<>();
  /** Per unreachable registry: when its peer was last re-created. */
  private final Map<Integer, Instant> recreated = new HashMap<>();

  public RegistryRehandshakes(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("a positive interval, not " + interval);
    }
    this.interval = interval;
  }

  /** What to do with one registry's peer in this pass. */
  public enum Decision {
    /** The registry answers (or was never found silent): leave its peer alone. */
    NOTHING,
    /** Silent, but not due yet. */
    WAIT,
    /** Silent, due, and WireGuard handshook with it since the last re-creation: keep that session. */
    KEEP_SESSION,
    /** Silent and due: re-create the peer now (the caller does; it counts as done at {@code now}). */
    RECREATE
  }

  /**
   * @param registry the registry's index
   * @param unreachable whether the registry is known not to answer
   * @param lastHandshake the latest handshake the device shows for the registry's peer
   */
  public Decision decide(int registry, boolean unreachable, Optional<Instant> lastHandshake, Instant now) {
    if (!unreachable) {
      due.remove(registry);
      recreated.remove(registry);
      return Decision.NOTHING;
    }
    Instant at = due.putIfAbsent(registry, now.plus(interval));
    if (at == null || now.isBefore(at)) {
      return Decision.WAIT;
    }
    due.put(registry, now.plus(interval));
    Instant last = recreated.get(registry);
    if (last != null && lastHandshake.isPresent() && !lastHandshake.get().isBefore(last)) {
      return Decision.KEEP_SESSION;
    }
    recreated.put(registry, now);
    return Decision.RECREATE;
  }
}
