package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one {@link WireGuardNodeConfig} by name with an informer: every add, update and resync
 * goes to {@code onConfig}, a deletion to {@code onDelete}. The informer keeps retrying, before and
 * after it first synced, however long the API server is away; failures are logged once per outage.
 */
public final class NodeConfigWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeConfigWatch.class);

  private final SharedIndexInformer<WireGuardNodeConfig> informer;
  private volatile boolean failing;

  public NodeConfigWatch(KubernetesClient client, String name, Duration resync, Consumer<WireGuardNodeConfig> onConfig,
      Consumer<WireGuardNodeConfig> onDelete) {
    this.informer = client.resources(WireGuardNodeConfig.class).withName(name).runnableInformer(resync.toMillis());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(WireGuardNodeConfig config) {
        recovered();
        onConfig.accept(config);
      }

      @Override
      public void onUpdate(WireGuardNodeConfig before, WireGuardNodeConfig after) {
        recovered();
        onConfig.accept(after);
      }

      @Override
      public void onDelete(WireGuardNodeConfig config, boolean finalStateUnknown) {
        onDelete.accept(config);
      }
    });
    informer.exceptionHandler((started, t) -> {
      if (!failing) {
        failing = true;
        log.warn("cannot watch WireGuardNodeConfig {}: {}; retrying (the interface stays as it is)", name, StatusWriter.shortMessage(t));
      }
      return true; // always retry: an outage never stops the agent
    });
  }

  private void recovered() {
    if (failing) {
      failing = false;
      log.info("watching the node configuration again");
    }
  }

  /** Starts without waiting for the first list. */
  public void start() {
    informer.start();
  }

  public boolean isWatching() {
    return informer.isWatching();
  }

  @Override
  public void close() {
    informer.stop();
  }
}
