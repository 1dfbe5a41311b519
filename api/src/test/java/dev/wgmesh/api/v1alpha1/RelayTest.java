package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one rule agent and registry apply to a node config's relay setting. */
class RelayTest {
  @Test
  void disabledAndOffTurnTheRelayOffEverythingElseLeavesItOn() {
    assertFalse(WireGuardMeshSpec.Relay.enabled("Disabled"));
    assertFalse(WireGuardMeshSpec.Relay.enabled("disabled"));
    assertFalse(WireGuardMeshSpec.Relay.enabled("Off"));
    assertTrue(WireGuardMeshSpec.Relay.enabled("Auto"));
    assertTrue(WireGuardMeshSpec.Relay.enabled(null));
  }
}
