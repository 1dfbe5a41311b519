package dev.wgmesh.core.util;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** How the daemons stop: block until SIGTERM (or Ctrl-C), clean up, and let the JVM exit after. */
public final class Shutdown {
  private Shutdown() {}

  /**
   * Blocks the calling thread until the JVM is asked to stop, then runs {@code cleanup} on it; the
   * JVM's shutdown waits up to {@code grace} for the cleanup to finish.
   */
  public static void awaitSignal(String name, Duration grace, Runnable cleanup) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch cleaned = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        cleaned.await(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-shutdown"));
    stop.await();
    try {
      cleanup.run();
    } finally {
      cleaned.countDown();
    }
  }
}
