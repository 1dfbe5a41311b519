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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The {@code WireGuardNodeConfig.status} a node daemon reports, as a pure function of what it
 * applied and what the device shows. Per peer: {@code direct} (a fresh handshake on a real
 * endpoint), {@code relayed} (a fresh handshake through the daemon's relay socket) or
 * {@code pending}, and the kind of path when the daemon's discovery knows it ({@code lan},
 * {@code ipv6}, {@code direct}, {@code relayed}, {@code pending}; else the mode). The counts are
 * the daemon's own when it keeps them (the agent's discovery loop), else those of the per-peer
 * modes.
 */
public final class NodeStatus {
  public static final String DIRECT = "direct";
  public static final String RELAYED = "relayed";
  public static final String PENDING = "pending";

  /** Peers per path, as plain numbers. */
  public record PathCounts(int direct, int relayed, int pending) {}

  private NodeStatus() {}

  /**
   * @param appliedGeneration the generation last applied to the interface, null when none yet
   * @param peers the peers to report
   * @param device empty when the device cannot be read: peers are then reported pending
   * @param counts the daemon's own counts, empty to count the per-peer modes
   * @param paths the daemon's kind of path per peer, where it knows one
   */
  public static WireGuardNodeConfigStatus build(Long appliedGeneration, String lastError, WireGuardKey publicKey,
      List<PeerConfig> peers, Optional<DeviceState> device, Optional<PathCounts> counts, Map<WireGuardKey, String> paths,
      Predicate<InetSocketAddress> isRelayEndpoint, Instant now) {
    WireGuardNodeConfigStatus status = new WireGuardNodeConfigStatus();
    status.setAppliedGeneration(appliedGeneration);
    status.setLastError(lastError);
    status.setPublicKey(publicKey.toBase64());
    List<WireGuardNodeConfigStatus.PeerStatus> out = new ArrayList<>();
    int direct = 0;
    int relayed = 0;
    int pending = 0;
    for (PeerConfig peer : peers) {
      Optional<PeerState> state = device.flatMap(d -> d.peer(peer.publicKey()));
      String mode = state.map(s -> modeOf(s, isRelayEndpoint, now)).orElse(PENDING);
      switch (mode) {
        case DIRECT -> direct++;
        case RELAYED -> relayed++;
        default -> pending++;
      }
      out.add(new WireGuardNodeConfigStatus.PeerStatus(peer.name(), mode, paths.getOrDefault(peer.publicKey(), mode),
          state.flatMap(PeerState::endpoint).map(Endpoints::format).orElse(null),
          state.flatMap(PeerState::lastHandshake).map(t -> t.truncatedTo(ChronoUnit.SECONDS).toString()).orElse(null)));
    }
    out.sort(Comparator.comparing(WireGuardNodeConfigStatus.PeerStatus::getName));
    status.setPeers(out);
    PathCounts c = counts.orElse(new PathCounts(direct, relayed, pending));
    status.setDirect(c.direct());
    status.setRelayed(c.relayed());
    status.setPending(c.pending());
    return status;
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
