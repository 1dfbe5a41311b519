package dev.wgmesh.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What every wgmesh daemon's metrics have in common: a Prometheus registry that a subclass fills,
 * its text form, and serving it (and the daemon's JSON documents) over HTTP ({@link MetricsEndpoint}) until closed.
 */
public abstract class PrometheusMetrics implements AutoCloseable {
  protected final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private MetricsEndpoint http;

  public MeterRegistry meterRegistry() {
    return registry;
  }

  /** The metrics in the Prometheus text format. */
  public String scrape() {
    return registry.scrape();
  }

  /** Serves /metrics and /healthz (always 200) on {@code at}; returns the address bound. */
  public InetSocketAddress serve(InetSocketAddress at) throws IOException {
    return serve(at, () -> true);
  }

  /** Serves /metrics and /healthz (200 while {@code healthy}, else 503); returns the address bound. */
  public synchronized InetSocketAddress serve(InetSocketAddress at, BooleanSupplier healthy) throws IOException {
    http = MetricsEndpoint.serve(at, this::scrape, healthy, documents());
    return http.address();
  }

  /** JSON documents served besides the metrics, by path; none by default. */
  protected Map<String, Supplier<String>> documents() {
    return Map.of();
  }

  @Override
  public synchronized void close() {
    if (http != null) {
      http.close();
      http = null;
    }
    registry.close();
  }
}
