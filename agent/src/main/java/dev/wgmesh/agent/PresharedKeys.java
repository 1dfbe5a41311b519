package dev.wgmesh.agent;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;

/**
 * Whether a peer may have a preshared key. The agent never sets preshared keys and the device
 * model does not carry them (they are secrets; a device reports only whether one is set), so
 * re-creating a peer would silently drop one and break the tunnel for good. The agent re-creates
 * a peer only when this says "no"; any doubt (a peer the device does not list, an error) counts
 * as "maybe".
 */
@FunctionalInterface
interface PresharedKeys {
  /** True unless the device, read now, positively reports no preshared key for the peer. */
  boolean mayHave(WireGuardKey peer);

  static PresharedKeys of(WireGuardDevice device) {
    return peer -> {
      try {
        return device.read().peer(peer).map(PeerState::hasPresharedKey).orElse(true);
      } catch (IOException | RuntimeException e) {
        return true;
      }
    };
  }
}
