package dev.wgmesh.operator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a reconcile's independent writes (one per node config or peer status) a few at a time: a
 * node joining a thousand-node mesh changes a thousand configs, and one request after the other
 * would spend most of the time waiting for round trips.
 */
final class Writes implements AutoCloseable {
  private final ExecutorService executor;

  Writes(int concurrency) {
    AtomicInteger threads = new AtomicInteger();
    executor = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "wgmesh-writes-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Runs all, waits for all, and then rethrows the first failure (the rest still got their chance). */
  <T> List<T> all(List<Callable<T>> tasks) {
    if (tasks.size() == 1) {
      return List.of(call(tasks.get(0)));
    }
    List<Future<T>> futures = new ArrayList<>();
    tasks.forEach(t -> futures.add(executor.submit(t)));
    List<T> results = new ArrayList<>();
    RuntimeException failure = null;
    for (Future<T> future : futures) {
      try {
        results.add(future.get());
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(f -> f.cancel(true));
        throw new IllegalStateException("interrupted while writing", e);
      }
    }
    if (failure != null) {
      throw failure;
    }
    return results;
  }

  private static <T> T call(Callable<T> task) {
    try {
      return task.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
