package dev.wgmesh.kube;

import dev.wgmesh.core.key.WireGuardKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.function.Predicate;

/**
 * When each peer of a node's configuration first appeared in it, so that its status can leave a
 * peer that is still finding its path unlisted for a grace period ({@link NodeStatus}). The peers
 * present when the daemon starts count as arrived then.
 */
public final class PeerArrivals {
  private final Map<WireGuardKey, Instant> arrived = new HashMap<>();

  /** Records the peers now configured: new ones arrive at {@code now}, gone ones are forgotten. */
  public synchronized void update(Collection<WireGuardKey> peers, Instant now) {
    arrived.keySet().retainAll(new HashSet<>(peers));
    peers.forEach(k -> arrived.putIfAbsent(k, now));
  }

  /** The peers that arrived less than {@code grace} before {@code now}, as the arrivals are when it is asked. */
  public Predicate<WireGuardKey> settling(Duration grace, Instant now) {
    Instant arrivedAfter = now.minus(grace);
    return k -> {
      Instant t;
      synchronized (this) {
        t = arrived.get(k);
      }
      return t != null && t.isAfter(arrivedAfter);
    };
  }
}
