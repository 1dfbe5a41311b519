package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.DeviceReconciliation;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The {@code WireGuardNodeConfig.status} a node daemon reports, as a pure function of what it
 * applied and what the device shows. Per peer: {@code direct} (a fresh handshake on a real
 * endpoint), {@code relayed} (a fresh handshake through the daemon's relay socket) or
 * {@code pending}, and the kind of path when the daemon's discovery knows it ({@code lan},
 * {@code ipv6}, {@code direct}, {@code relayed}, {@code pending}; else the mode). The counts are
 * the daemon's own when it keeps them (the agent's discovery loop), else those of the per-peer
 * modes; {@code paths} counts the kinds of path.
 *
 * <p>The status is bounded and settles: it holds nothing that changes while nothing happens (no
 * handshake times, no byte counters), so a steady mesh writes no status. Which peers it lists is
 * the daemon's {@link Listing}: an agent lists only those not on their best path, at most
 * {@link #LISTED_LIMIT}; the registry lists every member with the endpoint it observes (the
 * operator reads those).
 */
public final class NodeStatus {
  public static final String DIRECT = "direct";
  public static final String RELAYED = "relayed";
  public static final String PENDING = "pending";
  /** At most this many peers not on their best path are listed; the status counts the rest. */
  public static final int LISTED_LIMIT = 50;

  /** Peers per path, as plain numbers. */
  public record PathCounts(int direct, int relayed, int pending) {}

  /** Which peers a status lists. */
  public enum Listing {
    /** Those not on their best path (relayed or pending), without endpoint: a node agent's. */
    NOT_ON_BEST_PATH,
    /** Every peer, with the endpoint in use: the registry's, whose endpoints are those it observes. */
    EVERY_PEER
  }

  private NodeStatus() {}

  /**
   * @param appliedGeneration the generation last applied to the interface, null when none yet
   * @param peers the peers to report
   * @param device empty when the device cannot be read: peers are then reported pending
   * @param counts the daemon's own counts, empty to count the per-peer modes
   * @param paths the daemon's kind of path per peer, where it knows one
   * @param settling peers that came into the configuration moments ago ({@link PeerArrivals}): while
   *     pending they are neither listed nor counted (a node agent's listing), since finding a path
   *     takes a moment and reporting every new peer would make each node write its status whenever
   *     another joins
   */
  public static WireGuardNodeConfigStatus build(Long appliedGeneration, String lastError, WireGuardKey publicKey,
      List<PeerConfig> peers, Optional<DeviceState> device, Optional<PathCounts> counts, Map<WireGuardKey, String> paths,
      Predicate<WireGuardKey> settling, Predicate<InetSocketAddress> isRelayEndpoint, Instant now, Listing listing) {
    WireGuardNodeConfigStatus status = new WireGuardNodeConfigStatus();
    status.setAppliedGeneration(appliedGeneration);
    status.setLastError(lastError);
    status.setPublicKey(publicKey.toBase64());
    List<WireGuardNodeConfigStatus.PeerStatus> out = new ArrayList<>();
    Map<String, Integer> pathCounts = new TreeMap<>();
    int direct = 0;
    int relayed = 0;
    int pending = 0;
    int settlingPending = 0;
    // by key once: a device's peer(key) looks through every peer, O(peers²) for a large mesh
    Map<WireGuardKey, PeerState> onDevice = new HashMap<>();
    device.ifPresent(d -> d.peers().forEach(p -> onDevice.put(p.publicKey(), p)));
    for (PeerConfig peer : peers) {
      Optional<PeerState> state = Optional.ofNullable(onDevice.get(peer.publicKey()));
      String mode = state.map(s -> modeOf(s, isRelayEndpoint, now)).orElse(PENDING);
      String path = paths.getOrDefault(peer.publicKey(), mode);
      if (listing == Listing.NOT_ON_BEST_PATH && PENDING.equals(path) && settling.test(peer.publicKey())) {
        settlingPending++;
        continue; // a newcomer still finding its path: not reported yet
      }
      switch (mode) {
        case DIRECT -> direct++;
        case RELAYED -> relayed++;
        default -> pending++;
      }
      pathCounts.merge(path, 1, Integer::sum);
      if (listing == Listing.EVERY_PEER) {
        out.add(new WireGuardNodeConfigStatus.PeerStatus(peer.name(), mode, path,
            state.flatMap(PeerState::endpoint).map(Endpoints::format).orElse(null), null));
      } else if (!onBestPath(path)) {
        out.add(new WireGuardNodeConfigStatus.PeerStatus(peer.name(), mode, path, null, null));
      }
    }
    out.sort(Comparator.comparing(WireGuardNodeConfigStatus.PeerStatus::getName)); // the same peers, the same list
    if (listing == Listing.NOT_ON_BEST_PATH && out.size() > LISTED_LIMIT) {
      status.setPeersOmitted(out.size() - LISTED_LIMIT);
      out = new ArrayList<>(out.subList(0, LISTED_LIMIT));
    }
    status.setPeers(out);
    status.setPaths(pathCounts);
    // the daemon's own counts (discovery) count the newcomers as pending: those are taken out
    int newcomers = settlingPending;
    PathCounts c = counts.map(k -> new PathCounts(k.direct(), k.relayed(), Math.max(0, k.pending() - newcomers)))
        .orElse(new PathCounts(direct, relayed, pending));
    status.setDirect(c.direct());
    status.setRelayed(c.relayed());
    status.setPending(c.pending());
    return status;
  }

  /** A path that does not go through the registry: lan, ipv6 or direct; relayed and pending are not. */
  public static boolean onBestPath(String path) {
    return !RELAYED.equals(path) && !PENDING.equals(path);
  }

  /**
   * The registries of a configuration as the status reports them: every registry the
   * configuration lists, in its order, with whether it answered through the tunnel recently
   * ({@code reachable} by tunnel address; null where the daemon cannot tell yet).
   */
  public static List<WireGuardNodeConfigStatus.RegistryHealth> registries(List<WireGuardNodeConfigSpec.RegistryPeer> configured,
      Map<String, Boolean> reachable) {
    return configured.stream()
        .map(r -> new WireGuardNodeConfigStatus.RegistryHealth(r.getName(), r.getAddress(),
            r.getAddress() == null ? null : reachable.get(r.getAddress())))
        .toList();
  }

  static String modeOf(PeerState state, Predicate<InetSocketAddress> isRelayEndpoint, Instant now) {
    boolean fresh = state.lastHandshake()
        .map(t -> Duration.between(t, now).compareTo(DeviceReconciliation.FRESH_HANDSHAKE) < 0).orElse(false);
    if (!fresh) {
      return PENDING;
    }
    return state.endpoint().map(isRelayEndpoint::test).orElse(false) ? RELAYED : DIRECT;
  }
}
