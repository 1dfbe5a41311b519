package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.DeviceReconciliation;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The status the registry reports on its own {@code WireGuardNodeConfig}: what it applied and, per
 * member, the endpoint it observes ({@code direct} with a fresh handshake, else {@code pending}).
 * A pure function.
 */
public final class RegistryStatus {
  private RegistryStatus() {}

  public static WireGuardNodeConfigStatus build(Long appliedGeneration, String lastError, WireGuardKey publicKey,
      List<PeerConfig> peers, Optional<DeviceState> device, Instant now) {
    WireGuardNodeConfigStatus status = new WireGuardNodeConfigStatus();
    status.setAppliedGeneration(appliedGeneration);
    status.setLastError(lastError);
    status.setPublicKey(publicKey.toBase64());
    List<WireGuardNodeConfigStatus.PeerStatus> out = new ArrayList<>();
    int fresh = 0;
    for (PeerConfig peer : peers) {
      Optional<PeerState> state = device.flatMap(d -> d.peer(peer.publicKey()));
      boolean live = state.flatMap(PeerState::lastHandshake)
          .map(t -> Duration.between(t, now).compareTo(DeviceReconciliation.FRESH_HANDSHAKE) < 0).orElse(false);
      if (live) {
        fresh++;
      }
      out.add(new WireGuardNodeConfigStatus.PeerStatus(peer.name(), live ? "direct" : "pending",
          state.flatMap(PeerState::endpoint).map(Endpoints::format).orElse(null),
          state.flatMap(PeerState::lastHandshake).map(t -> t.truncatedTo(ChronoUnit.SECONDS).toString()).orElse(null)));
    }
    out.sort(Comparator.comparing(WireGuardNodeConfigStatus.PeerStatus::getName));
    status.setPeers(out);
    status.setDirect(fresh);
    status.setRelayed(0);
    status.setPending(peers.size() - fresh);
    return status;
  }
}
