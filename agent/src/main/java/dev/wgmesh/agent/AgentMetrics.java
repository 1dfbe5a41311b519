package dev.wgmesh.agent;

import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.core.metrics.PrometheusMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's Prometheus metrics: {@code wgmesh_agent_peers{path}} (discovering, direct,
 * relayed), {@code wgmesh_agent_path_switches_total{from,to}}, {@code
 * wgmesh_agent_time_to_path_seconds{path}} (a histogram of how long a peer was discovering before
 * it reached a path) and {@code wgmesh_agent_relay_bytes_total{direction}}.
 */
public final class AgentMetrics extends PrometheusMetrics implements AgentObserver {
  private volatile Map<PeerPathStateMachine.Mode, Integer> paths = Map.of();
  private final Counter relayedOut;
  private final Counter relayedIn;

  public AgentMetrics() {
    for (PeerPathStateMachine.Mode mode : PeerPathStateMachine.Mode.values()) {
      Gauge.builder("wgmesh_agent_peers", this, m -> m.paths.getOrDefault(mode, 0)).tag("path", name(mode))
          .description("Peers per path, as of the last discovery pass").register(registry);
    }
    relayedOut = Counter.builder("wgmesh_agent_relay_bytes").tag("direction", "to_registry")
        .description("WireGuard ciphertext sent through the registry's relay").baseUnit("bytes").register(registry);
    relayedIn = Counter.builder("wgmesh_agent_relay_bytes").tag("direction", "from_registry")
        .description("WireGuard ciphertext received through the registry's relay").baseUnit("bytes").register(registry);
  }

  private static String name(PeerPathStateMachine.Mode mode) {
    return mode.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void paths(Map<PeerPathStateMachine.Mode, Integer> counts) {
    paths = Map.copyOf(new EnumMap<>(counts));
  }

  @Override
  public void switched(PeerPathStateMachine.Mode from, PeerPathStateMachine.Mode to, Duration sinceDiscovering) {
    Counter.builder("wgmesh_agent_path_switches").tag("from", name(from)).tag("to", name(to))
        .description("Changes of a peer's path").register(registry).increment();
    if (sinceDiscovering != null) {
      Timer.builder("wgmesh_agent_time_to_path").tag("path", name(to)).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(50)).maximumExpectedValue(Duration.ofMinutes(5))
          .description("How long a peer was discovering before it reached a path").register(registry).record(sinceDiscovering);
    }
  }

  @Override
  public void relayed(boolean toRegistry, int bytes) {
    (toRegistry ? relayedOut : relayedIn).increment(bytes);
  }
}
