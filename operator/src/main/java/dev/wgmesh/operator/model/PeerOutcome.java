package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;
import java.util.List;

/**
 * What the operator decides about one WireGuardPeer: its tunnel address (null when none could be
 * given), the AllowedIPs every other member routes to it, and its conditions. A peer that is not
 * {@code included} (invalid key, duplicate key, address conflict, ...) appears in no node config.
 */
public record PeerOutcome(String address, List<String> allowedIPs, List<Condition> conditions, boolean included) {
  public PeerOutcome {
    allowedIPs = List.copyOf(allowedIPs);
    conditions = List.copyOf(conditions);
  }
}
