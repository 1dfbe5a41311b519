package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.config.InterfaceConfig;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * What a node daemon adds to the loop it shares ({@link NodeController}): where its key and desired
 * state come from, how its node config becomes an interface configuration, the services it runs
 * on the interface, and its part of the status. Every method but {@link #start} and {@link #close}
 * runs on the loop thread; the defaults are those of a daemon that follows nothing else, polls
 * nothing, runs nothing besides and reaches its peers directly.
 *
 * @param <T> the daemon's translation of its node config
 */
public interface NodeRole<T extends NodeRole.Translation> {
  /** A node config translated: the interface to configure and what was left out of it. */
  interface Translation {
    InterfaceConfig config();

    List<String> problems();
  }

  /** What a deleted node config means for this daemon, for the log. */
  String whenDeleted();

  /**
   * Starts what the daemon follows besides its node config, before the loop starts.
   *
   * @param changed to call when {@link #desired} may have another answer
   * @return the configuration to apply until the API server answers
   * @throws IOException when the daemon cannot start (its key cannot be loaded)
   */
  default Optional<DesiredConfig> start(Runnable changed) throws IOException {
    return Optional.empty();
  }

  /** The daemon's key; empty until known: nothing is applied and no status reported before. */
  Optional<KeyPair> keys();

  /** Reads what the daemon polls; true when the interface must be configured again at once (a new key). */
  default boolean refresh(Instant now) {
    return false;
  }

  /**
   * The state to apply, given the node config as the API server has it.
   *
   * @param nodeConfig null when there is none (not yet, or deleted)
   * @return empty: keep what is desired now
   */
  Optional<DesiredConfig> desired(DesiredConfig nodeConfig);

  /**
   * A pure function of its arguments: the loop translates a configuration once and applies the
   * same translation again at each reconcile while neither changes.
   *
   * @throws IllegalArgumentException when the configuration cannot be applied at all
   */
  T translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey);

  /** After the interface was brought to a translation: the daemon's services follow it; a problem to report, if any. */
  Optional<String> applied(DesiredConfig desired, T translation);

  /** Once a loop step, after applying. */
  default void tick(Instant now) {}

  /**
   * The peers the status reports on (counts them, and lists those its {@link #statusListing} says);
   * a function of the translation alone, taken again only when the loop applies another one.
   */
  List<PeerConfig> reportedPeers(T applied);

  /** Which of them the status lists: by default those not on their best path (a node agent's). */
  default NodeStatus.Listing statusListing() {
    return NodeStatus.Listing.NOT_ON_BEST_PATH;
  }

  /** The path counts of the daemon's own bookkeeping; empty: counted from the peers' modes. */
  default Optional<NodeStatus.PathCounts> pathCounts() {
    return Optional.empty();
  }

  /** Each peer's kind of path (lan, ipv6, direct, relayed, pending) as the daemon's discovery sees it; empty: the mode. */
  default Map<WireGuardKey, String> peerPaths() {
    return Map.of();
  }

  /**
   * Whether each registry answered through the tunnel recently, by its tunnel address, as the
   * daemon's discovery sees it; a registry missing here: the daemon cannot tell (yet). Empty for
   * a daemon that does not talk to registries.
   */
  default Map<String, Boolean> registriesReachable() {
    return Map.of();
  }

  /** True when WireGuard's endpoint for a peer is the daemon's own relay socket. */
  default boolean isRelayEndpoint(InetSocketAddress endpoint) {
    return false;
  }

  /** Stops the daemon's own sources and services, after the loop stopped. */
  default void close() {}
}
