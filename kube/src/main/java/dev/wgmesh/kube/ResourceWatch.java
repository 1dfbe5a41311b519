package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.KubeApiException;
import dev.wgmesh.kube.client.ResourceKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows resources with list and watch (an informer of its own: one thread, a store of the
 * current objects by name) that keeps retrying, before and after it first listed, however long
 * the API server is away; failures are logged once per outage. A watch that ends is opened again
 * from the last resourceVersion seen; when that is too old (410 Gone) the collection is listed
 * again and the store brought to the list (objects no longer there are deleted). Two ways to
 * listen:
 *
 * <ul>
 *   <li>{@link #each}: every add, update and resync of one object at a time, and deletions;
 *   <li>{@link #lists}: the whole current (filtered) list on every change, but only once the
 *       first list completed, and once at that moment even when it is empty. Until then the
 *       listener hears nothing: an empty store before the first list means "not known yet", not
 *       "none".
 * </ul>
 *
 * Every {@code resync} period the store is handed over again (each object, resp. the list).
 *
 * @param <T> the resource type
 */
public final class ResourceWatch<T extends HasMetadata> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceWatch.class);
  static final Duration MIN_BACKOFF = Duration.ofMillis(500);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(8);
  /** A watch open at least this long was healthy: the backoff starts again from MIN_BACKOFF. */
  static final Duration HEALTHY_WATCH = Duration.ofSeconds(10);
  /** A second 410 Gone within this time waits out the backoff before listing again. */
  static final Duration GONE_AGAIN = Duration.ofSeconds(10);

  private final KubeApi api;
  private final ResourceKind<T> kind;
  private final KubeApi.Selector selector;
  private final String what;
  private final Duration resync;
  private final Listener<T> listener;
  /** The current objects by name; owned by the watch thread. */
  private final Map<String, T> store = new HashMap<>();
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private volatile boolean failing;
  private volatile boolean synced;
  private volatile boolean watching;
  private volatile boolean running;
  private Thread thread;

  /** What the watch thread hands over. */
  private interface Listener<T> {
    void changed(T object);

    void deleted(T object);

    /** After a list, a batch of events, or a resync: the store as it is now. */
    void settled(Map<String, T> store, boolean resync);
  }

  /** An event of the open watch, or its end. */
  private record Event<T>(String type, T object) {}

  private record Closed(KubeApiException error) {}

  private record Bookmark(String version) {}

  private ResourceWatch(KubeApi api, ResourceKind<T> kind, KubeApi.Selector selector, String what, Duration resync, Listener<T> listener) {
    this.api = api;
    this.kind = kind;
    this.selector = selector;
    this.what = what;
    this.resync = resync;
    this.listener = listener;
  }

  /** The node's {@link WireGuardNodeConfig}, one event at a time (see {@link #each}). */
  public static ResourceWatch<WireGuardNodeConfig> nodeConfig(KubeApi api, String name, Duration resync,
      Consumer<WireGuardNodeConfig> onConfig, Consumer<WireGuardNodeConfig> onDelete) {
    return each(api, ResourceKind.NODE_CONFIGS, KubeApi.Selector.name(name), "WireGuardNodeConfig " + name, resync, onConfig, onDelete);
  }

  /**
   * All {@link WireGuardPeerSet}s of a mesh: those labelled with it whose {@code spec.mesh} is it
   * too, sorted by name, as whole lists (see {@link #lists}).
   */
  public static ResourceWatch<WireGuardPeerSet> peerSets(KubeApi api, String mesh, Duration resync,
      Consumer<List<WireGuardPeerSet>> onSets) {
    return lists(api, ResourceKind.PEER_SETS, KubeApi.Selector.labels(WireGuardMesh.MESH_LABEL, mesh), "the WireGuardPeerSets of mesh " + mesh,
        resync, s -> s.getSpec() != null && mesh.equals(s.getSpec().getMesh()), onSets);
  }

  /**
   * Every add, update and resync goes to {@code onChange}, a deletion to {@code onDelete}, from the
   * start (also while the first list is delivered).
   */
  public static <T extends HasMetadata> ResourceWatch<T> each(KubeApi api, ResourceKind<T> kind, KubeApi.Selector selector, String what,
      Duration resync, Consumer<T> onChange, Consumer<T> onDelete) {
    return new ResourceWatch<>(api, kind, selector, what, resync, new Listener<>() {
      @Override
      public void changed(T object) {
        onChange.accept(object);
      }

      @Override
      public void deleted(T object) {
        onDelete.accept(object);
      }

      @Override
      public void settled(Map<String, T> store, boolean resync) {
        if (resync) {
          store.values().forEach(onChange);
        }
      }
    });
  }

  /**
   * The store, filtered and sorted by name, goes to {@code onList} once the first list completed
   * and after every later change (a batch of events that came together is handed over once), and
   * every resync period. Each list handed over is at least as recent as the one before.
   */
  public static <T extends HasMetadata> ResourceWatch<T> lists(KubeApi api, ResourceKind<T> kind, KubeApi.Selector selector, String what,
      Duration resync, Predicate<T> filter, Consumer<List<T>> onList) {
    return new ResourceWatch<>(api, kind, selector, what, resync, new Listener<>() {
      @Override
      public void changed(T object) {}

      @Override
      public void deleted(T object) {}

      @Override
      public void settled(Map<String, T> store, boolean resync) {
        onList.accept(store.values().stream().filter(filter).sorted(Comparator.comparing((T r) -> r.getMetadata().getName())).toList());
      }
    });
  }

  /** Starts without waiting for the first list. */
  public synchronized void start() {
    running = true;
    thread = new Thread(this::run, "watch-" + kind.plural());
    thread.setDaemon(true);
    thread.start();
  }

  /** True once the first list completed. */
  public boolean hasSynced() {
    return synced;
  }

  /** True while a watch is open. */
  public boolean isWatching() {
    return watching;
  }

  private void run() {
    String resourceVersion = null;
    Duration backoff = MIN_BACKOFF;
    long lastGone = 0;
    while (running) {
      try {
        if (resourceVersion == null) {
          KubeApi.Listing<T> listing = api.list(kind, selector);
          replace(listing.items());
          resourceVersion = listing.resourceVersion();
          if (!synced) {
            synced = true;
          }
          recovered();
          listener.settled(store, false);
        }
        events.clear();
        KubeApi.Watch watch = api.watch(kind, selector, resourceVersion, new KubeApi.WatchListener<>() {
          @Override
          public void onEvent(String type, T object) {
            events.add(new Event<>(type, object));
          }

          @Override
          public void onBookmark(String version) {
            if (version != null) {
              events.add(new Bookmark(version));
            }
          }

          @Override
          public void onClose(KubeApiException error) {
            events.add(new Closed(error));
          }
        });
        watching = true;
        recovered();
        long opened = System.nanoTime();
        try {
          resourceVersion = follow(resourceVersion);
        } finally {
          watching = false;
          watch.close();
          // Only a watch that held for a while was healthy and starts the backoff afresh: a server that
          // ends every watch as it opens (410 Gone at once) would otherwise be listed every MIN_BACKOFF.
          if (System.nanoTime() - opened >= HEALTHY_WATCH.toNanos()) {
            backoff = MIN_BACKOFF;
          }
        }
      } catch (KubeApiException e) {
        watching = false;
        if (!running) {
          return;
        }
        if (e.code() == 410) {
          resourceVersion = null; // too old: list again, at once, unless that happened a moment ago
          long now = System.nanoTime();
          boolean again = lastGone != 0 && now - lastGone < GONE_AGAIN.toNanos();
          lastGone = now;
          if (!again) {
            continue;
          }
        } else {
          failed(e);
        }
        if (!sleep(backoff)) {
          return;
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      } catch (RuntimeException e) {
        watching = false;
        if (!running) {
          return;
        }
        failed(e);
        if (!sleep(backoff)) {
          return;
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  /**
   * Applies the open watch's events until it ends; returns the resourceVersion to go on from.
   * Hands the store over again every resync period meanwhile.
   */
  @SuppressWarnings("unchecked")
  private String follow(String resourceVersion) {
    String version = resourceVersion;
    long resyncAt = System.nanoTime() + resync.toNanos();
    while (running) {
      long wait = resyncAt - System.nanoTime();
      if (wait <= 0) {
        listener.settled(store, true);
        resyncAt = System.nanoTime() + resync.toNanos();
        continue;
      }
      Object next;
      try {
        next = events.poll(wait, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return version;
      }
      boolean changed = false;
      while (next != null) {
        if (next instanceof Closed closed) {
          if (changed) {
            listener.settled(store, false);
          }
          if (closed.error() != null) {
            throw closed.error();
          }
          return version;
        }
        if (next instanceof Bookmark b) {
          version = b.version();
        } else {
          Event<T> event = (Event<T>) next;
          String rv = event.object().getMetadata() == null ? null : event.object().getMetadata().getResourceVersion();
          if (rv != null) {
            version = rv;
          }
          changed |= apply(event.type(), event.object());
        }
        next = events.poll();
      }
      if (changed) {
        listener.settled(store, false);
      }
    }
    return version;
  }

  private boolean apply(String type, T object) {
    String name = object.getMetadata().getName();
    if (type.equals("DELETED")) {
      T old = store.remove(name);
      if (old != null) {
        listener.deleted(object);
        return true;
      }
      return false;
    }
    T old = store.put(name, object);
    if (old != null && Objects.equals(old.getMetadata().getResourceVersion(), object.getMetadata().getResourceVersion())
        && object.getMetadata().getResourceVersion() != null) {
      return false; // the same object again (a watch that starts with the current state)
    }
    listener.changed(object);
    return true;
  }

  /** Brings the store to a fresh list: what is gone is deleted, the rest added or updated. */
  private void replace(List<T> items) {
    Map<String, T> fresh = new HashMap<>();
    for (T item : items) {
      fresh.put(item.getMetadata().getName(), item);
    }
    for (T old : List.copyOf(store.values())) {
      if (!fresh.containsKey(old.getMetadata().getName())) {
        store.remove(old.getMetadata().getName());
        listener.deleted(old);
      }
    }
    for (T item : items) {
      apply("ADDED", item);
    }
  }

  private void failed(Exception e) {
    if (!failing) {
      failing = true;
      log.warn("cannot watch {}: {}; retrying (the interface stays as it is)", what, Errors.shortMessage(e));
    } else {
      log.debug("watching {} failed again: {}", what, Errors.shortMessage(e));
    }
  }

  private void recovered() {
    if (failing) {
      failing = false;
      log.info("watching {} again", what);
    }
  }

  private boolean sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
      return running;
    } catch (InterruptedException e) {
      return false;
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
