package dev.wgmesh.core.wg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** How wireguard-go's output is logged: its complaints about peers without endpoint are summed up. */
class WireGuardGoTest {
  static final String NO_ENDPOINT =
      "ERROR: (wg0) 2026/11/29 22:55:27 peer(XRc5?yFXE) - Failed to send handshake initiation: no known endpoint for peer";

  @Test
  void complaintsAboutPeersWithoutEndpointAreCountedAndSummedUpOnceAMinute() {
    long t = 1_000_000_000L;
    WireGuardGo.NoEndpointLines lines = new WireGuardGo.NoEndpointLines(t);
    assertFalse(lines.take("INFO: (wg0) 2026/11/29 22:55:27 Device started"), "any other line is logged as it is");

    assertTrue(lines.take(NO_ENDPOINT));
    assertEquals(OptionalLong.of(1), lines.due(t), "the first at once");
    for (int i = 0; i < 500; i++) {
      assertTrue(lines.take(NO_ENDPOINT));
      assertEquals(OptionalLong.empty(), lines.due(t + i * 100_000_000L), "not before a minute passed");
    }
    assertTrue(lines.take(NO_ENDPOINT));
    assertEquals(OptionalLong.of(501), lines.due(t + WireGuardGo.NoEndpointLines.INTERVAL));
    assertEquals(OptionalLong.empty(), lines.due(t + 3 * WireGuardGo.NoEndpointLines.INTERVAL), "nothing counted since");
  }
}
