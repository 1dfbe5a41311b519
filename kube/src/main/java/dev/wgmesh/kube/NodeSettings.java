package dev.wgmesh.kube;

import java.time.Duration;

/**
 * The timings of a node daemon's loop ({@link NodeController}), with defaults and named setters; a
 * daemon's own settings extend it. Read when the daemon is made: change them before, not after.
 *
 * @param <S> the daemon's own settings, so that the setters chain
 */
public abstract class NodeSettings<S extends NodeSettings<S>> {
  private final String configName;
  private final String mesh;
  private Duration tick = Duration.ofSeconds(1);
  private Duration reconcileInterval = Duration.ofSeconds(30);
  private Duration statusCheck;
  private Duration statusMinInterval = Duration.ofSeconds(5);
  /** The default {@link #pendingGrace()}. */
  public static final Duration PENDING_GRACE = Duration.ofSeconds(20);
  private Duration pendingGrace = PENDING_GRACE;
  private Duration resync = Duration.ofMinutes(5);

  /**
   * @param configName the daemon's {@code WireGuardNodeConfig}
   * @param mesh the mesh it serves
   */
  protected NodeSettings(String configName, String mesh) {
    this.configName = configName;
    this.mesh = mesh;
  }

  @SuppressWarnings("unchecked")
  private S self() {
    return (S) this;
  }

  public String configName() {
    return configName;
  }

  public String mesh() {
    return mesh;
  }

  /** How often the loop wakes without a change (the agent's discovery tick, the registry's refresh). */
  public Duration tick() {
    return tick;
  }

  /** How often the configuration is applied again without a change (repairs drift) and polled sources are read. */
  public Duration reconcileInterval() {
    return reconcileInterval;
  }

  /** How often a status is built and offered; by default the status writer's minimum interval. */
  public Duration statusCheck() {
    return statusCheck != null ? statusCheck : statusMinInterval;
  }

  /** At most one status write per this. */
  public Duration statusMinInterval() {
    return statusMinInterval;
  }

  /**
   * How long a peer new to the configuration may stay pending before the status lists it (it is
   * counted pending all along).
   */
  public Duration pendingGrace() {
    return pendingGrace;
  }

  public S withPendingGrace(Duration d) {
    pendingGrace = d;
    return self();
  }

  /** The informers' resync period. */
  public Duration resync() {
    return resync;
  }

  public S withTick(Duration d) {
    tick = d;
    return self();
  }

  public S withReconcileInterval(Duration d) {
    reconcileInterval = d;
    return self();
  }

  public S withStatusCheck(Duration d) {
    statusCheck = d;
    return self();
  }

  public S withStatusMinInterval(Duration min) {
    statusMinInterval = min;
    return self();
  }

  public S withResync(Duration d) {
    resync = d;
    return self();
  }
}
