package dev.wgmesh.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events, as {@code kubectl describe} shows them. Events about cluster-scoped
 * objects (all of ours) go to the "default" namespace, as the kubelet does for Nodes. Recording
 * is best effort and happens on its own thread: an Event neither fails nor slows a reconcile.
 */
final class EventRecorder implements AutoCloseable {
  static final String NORMAL = "Normal";
  static final String WARNING = "Warning";
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final String COMPONENT = "wgmesh-operator";

  private final KubernetesClient client;
  private final String instance;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "wgmesh-events");
    t.setDaemon(true);
    return t;
  });

  EventRecorder(KubernetesClient client, String instance, OperatorMetrics metrics, Clock clock) {
    this.client = client;
    this.instance = instance;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Sends what is queued (for a few seconds at most), then stops. */
  @Override
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void normal(HasMetadata about, String reason, String message) {
    record(about, NORMAL, reason, message);
  }

  void warning(HasMetadata about, String reason, String message) {
    record(about, WARNING, reason, message);
  }

  private void record(HasMetadata about, String type, String reason, String message) {
    String namespace = about.getMetadata().getNamespace() == null ? "default" : about.getMetadata().getNamespace();
    String now = StatusConditions.timestamp(clock.instant());
    Event event = new EventBuilder()
        .withNewMetadata()
        .withName(about.getMetadata().getName() + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()))
        .withNamespace(namespace)
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion(about.getApiVersion())
        .withKind(about.getKind())
        .withName(about.getMetadata().getName())
        .withNamespace(about.getMetadata().getNamespace())
        .withUid(about.getMetadata().getUid())
        .withResourceVersion(about.getMetadata().getResourceVersion())
        .endInvolvedObject()
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .withNewSource().withComponent(COMPONENT).endSource()
        .withReportingComponent("wgmesh.dev/operator")
        .withReportingInstance(instance)
        .build();
    log.info("{} {}: {}", about.getKind(), about.getMetadata().getName(), message);
    try {
      sender.execute(() -> send(event, namespace));
    } catch (RejectedExecutionException e) {
      log.debug("not recording event {}: stopping", reason);
    }
  }

  private void send(Event event, String namespace) {
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
      metrics.eventRecorded(event.getReason());
    } catch (RuntimeException e) {
      log.warn("could not record event {} for {} {}: {}", event.getReason(), event.getInvolvedObject().getKind(),
          event.getInvolvedObject().getName(), e.getMessage());
    }
  }
}
