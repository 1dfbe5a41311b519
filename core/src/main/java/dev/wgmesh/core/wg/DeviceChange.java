package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.WireGuardKey;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A change to a WireGuard device, applied in one UAPI "set" transaction.
 *
 * @param replacePeers remove every peer not listed in {@code peers}
 */
public record DeviceChange(
    Optional<WireGuardKey> privateKey, OptionalInt listenPort, boolean replacePeers, List<PeerChange> peers) {

  public DeviceChange {
    peers = List.copyOf(peers);
  }

  public static DeviceChange peers(List<PeerChange> peers) {
    return new DeviceChange(Optional.empty(), OptionalInt.empty(), false, peers);
  }

  public static DeviceChange peer(PeerChange peer) {
    return peers(List.of(peer));
  }
}
