package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.WireGuardKey;
import java.util.List;
import java.util.Optional;

/**
 * A WireGuard device as read from it. The private key is carried for the node that owns it and
 * is never printed ({@link WireGuardKey#toString()} hides key material).
 */
public record DeviceState(
    String name,
    Optional<WireGuardKey> privateKey,
    Optional<WireGuardKey> publicKey,
    int listenPort,
    int fwmark,
    List<PeerState> peers) {

  public DeviceState {
    peers = List.copyOf(peers);
  }

  public Optional<PeerState> peer(WireGuardKey key) {
    return peers.stream().filter(p -> p.publicKey().equals(key)).findFirst();
  }
}
