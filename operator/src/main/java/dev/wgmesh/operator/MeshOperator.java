package dev.wgmesh.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wgmesh operator: JOSDK's {@link Operator} with the {@link MeshReconciler} registered and
 * configured the way wgmesh runs everywhere, a real cluster or the mock API server alike:
 *
 * <ul>
 *   <li>no server-side apply, for the primary's status nor for dependents: statuses are patched
 *       with JSON (merge) patches, which every API server and fabric8's CRUD mock accept;
 *   <li>the client belongs to the caller and stays open on {@link #stop()} (tests restart the
 *       operator on the same client);
 *   <li>leader election, when on, never calls {@code System.exit} from inside {@code stop()}: JOSDK
 *       exits when leadership ends, which a graceful stop also ends.
 * </ul>
 */
public final class MeshOperator extends Operator {
  private static final Logger log = LoggerFactory.getLogger(MeshOperator.class);

  private final AtomicBoolean stopping;
  private MeshReconciler reconciler;

  private MeshOperator(AtomicBoolean stopping, Consumer<ConfigurationServiceOverrider> overrider) {
    super(overrider);
    this.stopping = stopping;
  }

  /** Starts reconciling (at once, or once this instance holds the Lease) and returns the running operator. */
  public static Operator start(KubernetesClient client, OperatorSettings settings) {
    return start(client, settings, Clock.systemUTC());
  }

  static Operator start(KubernetesClient client, OperatorSettings settings, Clock clock) {
    AtomicBoolean stopping = new AtomicBoolean();
    MeshOperator operator = new MeshOperator(stopping, o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withUseSSAToPatchPrimaryResource(false)
          .withSSABasedCreateUpdateMatchForDependentResources(false)
          .withMetrics(settings.metrics())
          .withReconciliationTerminationTimeout(Duration.ofSeconds(10));
      if (settings.leaderElection()) {
        o.withLeaderElectionConfiguration(leaderElection(settings, stopping));
      } else {
        settings.metrics().leading(true);
      }
    });
    operator.reconciler = new MeshReconciler(settings, clock);
    operator.register(operator.reconciler);
    operator.start();
    log.info("operator started: namespace {}, registry image {}, leader election {}", settings.namespace(),
        settings.registryImage(), settings.leaderElection() ? "on (Lease " + settings.namespace() + "/" + settings.leaseName() + ")" : "off");
    return operator;
  }

  @Override
  public void stop() {
    stopping.set(true);
    super.stop();
    if (reconciler != null) {
      reconciler.close();
    }
    log.info("operator stopped");
  }

  private static LeaderElectionConfiguration leaderElection(OperatorSettings settings, AtomicBoolean stopping) {
    Duration lease = settings.leaseDuration();
    LeaderCallbacks callbacks = new LeaderCallbacks(
        () -> {
          log.info("leading as {}", settings.identity());
          settings.metrics().leading(true);
        },
        () -> {
          settings.metrics().leading(false);
          if (!stopping.get()) {
            log.error("lost leadership as {}; exiting so that no two instances reconcile at once", settings.identity());
            settings.onLostLeadership().run();
          }
        },
        leader -> log.info("leader is {}", leader));
    // Renew well within the lease, retry a few times per renewal period: client-go's proportions.
    return new LeaderElectionConfiguration(settings.leaseName(), settings.namespace(), lease,
        lease.multipliedBy(2).dividedBy(3), lease.dividedBy(7), settings.identity(), callbacks, false);
  }
}
