package dev.wgmesh.agent;

import dev.wgmesh.agent.discovery.PathKind;
import java.time.Duration;
import java.util.Map;

/** What the agent tells its metrics: paths and their changes, and relayed bytes. Every method may be left as is. */
public interface AgentObserver {
  AgentObserver NONE = new AgentObserver() {};

  /** The peers per path after a discovery pass that changed some peer's path or detail (not after a pass that changed nothing). */
  default void paths(Map<PathKind, Integer> counts) {}

  /** Every peer's detail after a discovery pass that changed some peer's path or detail (served at /peers). */
  default void peers(java.util.List<PeerDetail> peers) {}

  /**
   * A peer changed path; {@code sinceDiscovering} is how long it had been pending when it reached
   * a path (null for other changes).
   */
  default void switched(PathKind from, PathKind to, Duration sinceDiscovering) {}

  /** Bytes of WireGuard ciphertext the relay link sent to the registry, or received from it. */
  default void relayed(boolean toRegistry, int bytes) {}

  /** Whether the registry with this label (its tunnel address) answered the last question asked of it. */
  default void registry(String label, boolean reachable) {}
}
