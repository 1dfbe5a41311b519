package dev.wgmesh.operator;

import dev.wgmesh.core.metrics.PrometheusMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator's Prometheus metrics: JOSDK's reconcile loop (this class is its {@link Metrics};
 * JOSDK's own Micrometer module does not resolve here) and what the reconciler writes. Served at
 * {@code /metrics}, next to {@code /healthz}.
 */
public final class OperatorMetrics extends PrometheusMetrics implements Metrics {
  private final Counter eventsReceived;
  private final Counter reconciliationsStarted;
  private final Counter reconciliationsRetried;
  private final Timer reconcileSuccess;
  private final Timer reconcileFailure;
  private final AtomicInteger leader = new AtomicInteger();

  public OperatorMetrics() {
    eventsReceived = Counter.builder("wgmesh_operator_events_received")
        .description("Events from the informers that may trigger a reconcile").register(registry);
    reconciliationsStarted = Counter.builder("wgmesh_operator_reconciliations_started")
        .description("Reconciliations started").register(registry);
    reconciliationsRetried = Counter.builder("wgmesh_operator_reconciliations_retried")
        .description("Reconciliations that were retries of a failed one").register(registry);
    reconcileSuccess = Timer.builder("wgmesh_operator_reconcile").tag("result", "success")
        .description("Duration of a mesh reconcile").register(registry);
    reconcileFailure = Timer.builder("wgmesh_operator_reconcile").tag("result", "failure")
        .description("Duration of a mesh reconcile").register(registry);
    registry.gauge("wgmesh_operator_leader", leader);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    eventsReceived.increment();
  }

  @Override
  public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    reconciliationsStarted.increment();
    if (retryInfo != null && retryInfo.getAttemptCount() > 0) {
      reconciliationsRetried.increment();
    }
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    Timer.Sample sample = Timer.start(registry);
    try {
      T result = execution.execute();
      sample.stop(reconcileSuccess);
      return result;
    } catch (Exception e) {
      sample.stop(reconcileFailure);
      throw e;
    }
  }

  /**
   * A WireGuardNodeConfig ({@code kind} node-config) or WireGuardPeerSet ({@code peer-set})
   * written: {@code create}, {@code update} (a diff), {@code replace} (the whole spec, when the
   * diff did not apply to a stale view) or {@code delete}.
   */
  public void meshObjectWritten(String kind, String operation) {
    registry.counter("wgmesh_operator_mesh_object_writes", "kind", kind, "operation", operation).increment();
  }

  public void peerStatusWritten() {
    registry.counter("wgmesh_operator_peer_status_writes").increment();
  }

  public void eventRecorded(String reason) {
    registry.counter("wgmesh_operator_kubernetes_events", "reason", reason).increment();
  }

  public void leading(boolean leading) {
    leader.set(leading ? 1 : 0);
  }

  @Override
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }
}
