package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.util.Errors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows resources with a fabric8 informer that keeps retrying, before and after it first synced,
 * however long the API server is away; failures are logged once per outage. Two ways to listen:
 *
 * <ul>
 *   <li>{@link #each}: every add, update and resync of one object at a time, and deletions;
 *   <li>{@link #lists}: the whole current (filtered) list on every change, but only once the
 *       first list completed, and once at that moment even when it is empty. Until then the
 *       listener hears nothing: an empty store before the first list means "not known yet", not
 *       "none".
 * </ul>
 *
 * @param <T> the resource type
 */
public final class ResourceWatch<T extends HasMetadata> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceWatch.class);


  private final SharedIndexInformer<T> informer;
  private final String what;
  private volatile boolean failing;
  private volatile boolean synced;
  private Runnable onSynced = () -> {};

  private ResourceWatch(SharedIndexInformer<T> informer, String what) {
    this.informer = informer;
    this.what = what;
    informer.exceptionHandler((started, t) -> {
      if (!failing) {
        failing = true;
        log.warn("cannot watch {}: {}; retrying (the interface stays as it is)", what, Errors.shortMessage(t));
      }
      return true; // always retry: an outage never stops the daemon
    });
  }

  /** The node's {@link WireGuardNodeConfig}, one event at a time (see {@link #each}). */
  public static ResourceWatch<WireGuardNodeConfig> nodeConfig(KubernetesClient client, String name, Duration resync,
      Consumer<WireGuardNodeConfig> onConfig, Consumer<WireGuardNodeConfig> onDelete) {
    return each(client.resources(WireGuardNodeConfig.class).withName(name).runnableInformer(resync.toMillis()),
        "WireGuardNodeConfig " + name, onConfig, onDelete);
  }

  /**
   * All {@link WireGuardPeerSet}s of a mesh: those labelled with it whose {@code spec.mesh} is it
   * too, sorted by name, as whole lists (see {@link #lists}).
   */
  public static ResourceWatch<WireGuardPeerSet> peerSets(KubernetesClient client, String mesh, Duration resync,
      Consumer<List<WireGuardPeerSet>> onSets) {
    return lists(client.resources(WireGuardPeerSet.class).withLabel(WireGuardMesh.MESH_LABEL, mesh).runnableInformer(resync.toMillis()),
        "the WireGuardPeerSets of mesh " + mesh, s -> s.getSpec() != null && mesh.equals(s.getSpec().getMesh()), onSets);
  }

  /**
   * Every add, update and resync goes to {@code onChange}, a deletion to {@code onDelete}, from the
   * start (also while the first list is delivered).
   */
  public static <T extends HasMetadata> ResourceWatch<T> each(SharedIndexInformer<T> informer, String what, Consumer<T> onChange,
      Consumer<T> onDelete) {
    ResourceWatch<T> watch = new ResourceWatch<>(informer, what);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(T resource) {
        watch.recovered();
        onChange.accept(resource);
      }

      @Override
      public void onUpdate(T before, T after) {
        watch.recovered();
        onChange.accept(after);
      }

      @Override
      public void onDelete(T resource, boolean finalStateUnknown) {
        onDelete.accept(resource);
      }
    });
    return watch;
  }

  /**
   * The informer's whole store, filtered and sorted by name, goes to {@code onList} once the first
   * list completed and after every later add, update, resync or deletion. Each list handed over
   * is at least as recent as the one before.
   */
  public static <T extends HasMetadata> ResourceWatch<T> lists(SharedIndexInformer<T> informer, String what, Predicate<T> filter,
      Consumer<List<T>> onList) {
    ResourceWatch<T> watch = new ResourceWatch<>(informer, what);
    Runnable deliver = new Runnable() {
      @Override
      public synchronized void run() { // reading the store and handing over in one step keeps the order
        if (!watch.synced) {
          return; // the store may hold half a list: say nothing yet
        }
        onList.accept(informer.getStore().list().stream().filter(filter)
            .sorted(Comparator.comparing((T r) -> r.getMetadata().getName())).toList());
      }
    };
    watch.onSynced = deliver;
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(T resource) {
        watch.recovered();
        deliver.run();
      }

      @Override
      public void onUpdate(T before, T after) {
        watch.recovered();
        deliver.run();
      }

      @Override
      public void onDelete(T resource, boolean finalStateUnknown) {
        deliver.run();
      }
    });
    return watch;
  }

  private void recovered() {
    if (failing) {
      failing = false;
      log.info("watching {} again", what);
    }
  }

  /** Starts without waiting for the first list. */
  public void start() {
    informer.start().thenRun(() -> {
      synced = true;
      recovered();
      onSynced.run();
    });
  }

  /** True once the first list completed. */
  public boolean hasSynced() {
    return synced;
  }

  public boolean isWatching() {
    return informer.isWatching();
  }

  @Override
  public void close() {
    informer.stop();
  }
}
