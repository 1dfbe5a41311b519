package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.StatusPatch;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.KubeApiException;
import dev.wgmesh.kube.client.ResourceKind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a {@code WireGuardNodeConfig}'s status at a bounded rate, off the caller's thread: at most
 * once per {@code minInterval}, and only when what it would write differs from what it wrote last
 * (the patch itself is the fingerprint: a status that holds no handshake times or counters, as
 * {@link NodeStatus} builds it, is not written again while nothing changes). Patches the status subresource (a merge
 * patch, see {@link StatusPatch}), setting every field a node daemon (agent or registry) reports and
 * clearing those it has no value for; conditions are not touched. A failed write (API server unreachable) is tried again later,
 * with exponential backoff; it never blocks the caller.
 *
 * <p>A change of the counts alone (how many peers per path, with the same peers listed) is written
 * less often: at most once per {@link #countsInterval}, which grows with the node's peers (100 ms a
 * peer, at least {@code minInterval}, at most {@link #MAX_COUNTS_INTERVAL}). A node joining a mesh
 * of N changes every other node's counts; written at once that would be N writes per join, while
 * spread this way the whole mesh's count refreshes stay near 10 writes/s however large it is and
 * however many nodes join. Everything else (the peers listed as relayed or pending, the applied
 * generation, an error, the registries) is written as soon as {@code minInterval} allows.
 */
public final class StatusWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);

  private final KubeApi client;
  private final String name;
  private final Duration minInterval;
  private final Clock clock;
  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "status-writer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final AtomicInteger writes = new AtomicInteger();
  private volatile String written;
  private volatile Instant lastAttempt = Instant.MIN;
  private volatile boolean failing;
  private volatile int failures;
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  /** The longest a change of counts alone waits. */
  static final Duration MAX_COUNTS_INTERVAL = Duration.ofMinutes(5);
  /** Per peer of the node, the wait for a change of counts alone: 10 such writes/s for the whole mesh. */
  static final Duration COUNTS_INTERVAL_PER_PEER = Duration.ofMillis(100);
  /** What was last written, without its counts. */
  private volatile String writtenWithoutCounts;
  private volatile String lastOffered;

  public StatusWriter(KubeApi client, String name, Duration minInterval, Clock clock) {
    this.client = client;
    this.name = name;
    this.minInterval = minInterval;
    this.clock = clock;
  }

  /** Offers the current status; returns true when a write was started. */
  public boolean offer(WireGuardNodeConfigStatus status) {
    String patch = patch(status);
    lastOffered = patch;
    Instant now = clock.instant();
    if (patch.equals(written) || inFlight.get() || now.isBefore(lastAttempt.plus(interval()))) {
      return false;
    }
    String withoutCounts = patch(withoutCounts(status)); // only when something is to be written
    if (withoutCounts.equals(writtenWithoutCounts) && now.isBefore(lastAttempt.plus(countsInterval(status)))) {
      return false; // only the counts moved: they wait
    }
    if (!inFlight.compareAndSet(false, true)) {
      return false;
    }
    lastAttempt = now;
    executor.execute(() -> {
      try {
        write(patch);
        written = patch;
        writtenWithoutCounts = withoutCounts;
        writes.incrementAndGet();
        failures = 0;
        if (failing) {
          failing = false;
          log.info("status of WireGuardNodeConfig {} written again", name);
        }
      } catch (KubeApiException | IllegalArgumentException e) {
        failures++;
        if (!failing) {
          failing = true;
          log.warn("cannot write the status of WireGuardNodeConfig {}: {}; retrying", name, Errors.shortMessage(e));
        } else {
          log.debug("status write failed again: {}", Errors.shortMessage(e));
        }
      } finally {
        inFlight.set(false);
      }
    });
    return true;
  }

  /**
   * Patches the fields a node daemon reports into the status subresource ({@link StatusPatch}: a
   * merge patch that sets or removes exactly those fields, so conditions, which the operator owns,
   * stay); one request, and right whether or not the object has a status yet.
   */
  private void write(String patch) {
    client.patchStatus(ResourceKind.NODE_CONFIGS, name, patch);
  }

  private String patch(WireGuardNodeConfigStatus status) {
    return StatusPatch.of(status.reportedFields(), client.json());
  }

  /** The status without its counts: what decides whether a change is written promptly. */
  static WireGuardNodeConfigStatus withoutCounts(WireGuardNodeConfigStatus status) {
    WireGuardNodeConfigStatus s = new WireGuardNodeConfigStatus();
    s.setAppliedGeneration(status.getAppliedGeneration());
    s.setLastError(status.getLastError());
    s.setPublicKey(status.getPublicKey());
    s.setPeers(status.getPeers());
    s.setPeersOmitted(status.getPeersOmitted() == null || status.getPeersOmitted() == 0 ? null : 1);
    // whether any peer is relayed or pending is what a peer's mode shows: not a count to wait with
    s.setRelayed(status.getRelayed() == null || status.getRelayed() == 0 ? null : 1);
    s.setPending(status.getPending() == null || status.getPending() == 0 ? null : 1);
    s.setRegistries(status.getRegistries());
    return s;
  }

  /** How long a change of the counts alone waits after the last write: 100 ms per peer, within [minInterval, 5 min]. */
  Duration countsInterval(WireGuardNodeConfigStatus status) {
    long peers = (long) zeroIfNull(status.getDirect()) + zeroIfNull(status.getRelayed()) + zeroIfNull(status.getPending());
    Duration d = COUNTS_INTERVAL_PER_PEER.multipliedBy(peers);
    return d.compareTo(minInterval) < 0 ? minInterval : d.compareTo(MAX_COUNTS_INTERVAL) > 0 ? MAX_COUNTS_INTERVAL : d;
  }

  private static int zeroIfNull(Integer i) {
    return i == null ? 0 : i;
  }

  /** True while the last status offered differs from the last written (a write to come, or counts that wait). */
  public boolean unwritten() {
    String offered = lastOffered;
    return offered != null && !offered.equals(written);
  }

  /**
   * The wait before the next attempt: {@code minInterval}, doubled after every failed write up to
   * {@link #MAX_BACKOFF}, so that a thousand agents do not hammer an API server that is coming back
   * (or one that refuses them).
   */
  Duration interval() {
    int f = Math.min(failures, 16);
    Duration d = minInterval.multipliedBy(1L << f);
    return d.compareTo(MAX_BACKOFF) > 0 && minInterval.compareTo(MAX_BACKOFF) < 0 ? MAX_BACKOFF : d;
  }

  /** True while a write is under way. */
  boolean busy() {
    return inFlight.get();
  }

  /** Writes that succeeded so far. */
  public int writes() {
    return writes.get();
  }

  /** Forgets what was written, so the next offer writes (after the configuration came back). */
  public void reset() {
    written = null;
    writtenWithoutCounts = null;
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }
}
