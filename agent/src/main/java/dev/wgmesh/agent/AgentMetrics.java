package dev.wgmesh.agent;

import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.core.metrics.PrometheusMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.function.Supplier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's Prometheus metrics: {@code wgmesh_agent_peers{path}} (lan, ipv6, direct, relayed,
 * pending: {@link PathKind}), {@code wgmesh_agent_path_switches_total{from,to}}, {@code
 * wgmesh_agent_time_to_path_seconds{path}} (a histogram of how long a peer was pending before it
 * reached a path), {@code wgmesh_agent_relay_bytes_total{direction}} and {@code
 * wgmesh_agent_registry_up{registry}} (1 while the registry at that tunnel address answers through
 * the tunnel, 0 when its last question went unanswered). Besides, {@code /peers}: every peer's
 * {@link PeerDetail} as of the last discovery pass, as JSON (the per-peer detail a node config's
 * status leaves out; {@code wgmeshctl peers}).
 */
public final class AgentMetrics extends PrometheusMetrics implements AgentObserver {
  private volatile Map<PathKind, Integer> paths = Map.of();
  private volatile List<PeerDetail> peers = List.of();
  private final Counter relayedOut;
  private final Counter relayedIn;
  private final Map<String, AtomicInteger> registriesUp = new ConcurrentHashMap<>();

  public AgentMetrics() {
    for (PathKind kind : PathKind.values()) {
      Gauge.builder("wgmesh_agent_peers", this, m -> m.paths.getOrDefault(kind, 0)).tag("path", kind.label())
          .description("Peers per path, as of the last discovery pass").register(registry);
    }
    relayedOut = Counter.builder("wgmesh_agent_relay_bytes").tag("direction", "to_registry")
        .description("WireGuard ciphertext sent through the registry's relay").baseUnit("bytes").register(registry);
    relayedIn = Counter.builder("wgmesh_agent_relay_bytes").tag("direction", "from_registry")
        .description("WireGuard ciphertext received through the registry's relay").baseUnit("bytes").register(registry);
  }

  @Override
  public void paths(Map<PathKind, Integer> counts) {
    paths = Map.copyOf(new EnumMap<>(counts));
  }

  @Override
  public void peers(List<PeerDetail> peers) {
    this.peers = List.copyOf(peers);
  }

  /** {@code /peers}: {@code {"peers": [...]}}. */
  public String peersJson() {
    return PeerDetail.toJson(peers);
  }

  @Override
  protected Map<String, Supplier<String>> documents() {
    return Map.of("/peers", this::peersJson);
  }

  @Override
  public void switched(PathKind from, PathKind to, Duration sinceDiscovering) {
    Counter.builder("wgmesh_agent_path_switches").tag("from", from.label()).tag("to", to.label())
        .description("Changes of a peer's path").register(registry).increment();
    if (sinceDiscovering != null) {
      Timer.builder("wgmesh_agent_time_to_path").tag("path", to.label()).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(50)).maximumExpectedValue(Duration.ofMinutes(5))
          .description("How long a peer was pending before it reached a path").register(registry).record(sinceDiscovering);
    }
  }

  @Override
  public void registry(String label, boolean reachable) {
    registriesUp.computeIfAbsent(label, l -> {
      AtomicInteger up = new AtomicInteger();
      Gauge.builder("wgmesh_agent_registry_up", up, AtomicInteger::get).tag("registry", l)
          .description("1 while the registry answers through the tunnel, else 0").register(registry);
      return up;
    }).set(reachable ? 1 : 0);
  }

  @Override
  public void relayed(boolean toRegistry, int bytes) {
    (toRegistry ? relayedOut : relayedIn).increment(bytes);
  }
}
