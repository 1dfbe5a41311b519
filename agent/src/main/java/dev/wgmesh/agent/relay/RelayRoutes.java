package dev.wgmesh.agent.relay;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which registry carries the frames for each relayed peer; no sockets. Every registry relays
 * between the nodes it has, so the sides of a relayed pair need not use the same one: each sends
 * through the registry it prefers among those that answer ({@link #prefer}). A registry that
 * answers UNREACHABLE for a peer (the peer has not said HELLO to it: it cannot reach that registry,
 * or the registry just restarted) is avoided for that peer for {@link #AVOID_FOR}, or until a frame
 * from the peer comes through it.
 */
public final class RelayRoutes {
  /** How long a registry that does not know a peer is avoided for it. */
  static final Duration AVOID_FOR = Duration.ofSeconds(30);

  private List<Integer> preference;
  private final Map<InetAddress, Map<Integer, Instant>> avoided = new HashMap<>();

  public RelayRoutes(int registries) {
    List<Integer> all = new java.util.ArrayList<>();
    for (int i = 0; i < registries; i++) {
      all.add(i);
    }
    preference = List.copyOf(all);
  }

  /** The registries to send through, best first (the agent's registry health; never empty). */
  public synchronized void prefer(List<Integer> order) {
    if (order.isEmpty()) {
      throw new IllegalArgumentException("no registry to prefer");
    }
    preference = List.copyOf(order);
  }

  /** Registry {@code registry} answered that it cannot reach {@code peer}. */
  public synchronized void unreachableVia(InetAddress peer, int registry, Instant now) {
    avoided.computeIfAbsent(peer, p -> new HashMap<>()).put(registry, now.plus(AVOID_FOR));
  }

  /** A frame from {@code peer} came through {@code registry}: it knows the peer now, avoid it no longer. */
  public synchronized void heardVia(InetAddress peer, int registry) {
    Map<Integer, Instant> avoid = avoided.get(peer);
    if (avoid != null && avoid.remove(registry) != null && avoid.isEmpty()) {
      avoided.remove(peer);
    }
  }

  /** The registry to send a peer's frames through: the first preferred one not avoided for it. */
  public synchronized int registryFor(InetAddress peer, Instant now) {
    Map<Integer, Instant> avoid = avoided.get(peer);
    if (avoid != null) {
      avoid.values().removeIf(until -> !now.isBefore(until));
      if (avoid.isEmpty()) {
        avoided.remove(peer);
      } else {
        for (int r : preference) {
          if (!avoid.containsKey(r)) {
            return r;
          }
        }
      }
    }
    return preference.get(0);
  }
}
