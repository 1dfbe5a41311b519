package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain unit tests (no root needed) of reading an agent's path changes from its log. */
class AgentPathLogTest {
  static final String LOG = String.join("\n",
      "2026-11-29T08:50:20.100+0000 [INFO] Agent - agent on wg0 (10.88.0.2), registry 10.88.255.254:53",
      "2026-11-29T08:50:21.000+0000 [INFO] Agent - peer AAAA= (10.88.0.3): pending -> relayed: no direct handshake within 800 ms",
      "2026-11-29T08:50:21.500+0000 [INFO] Agent - peer BBBB= (10.88.0.4): pending -> lan: handshake with /10.201.0.3:51820 (lan)",
      "2026-11-29T08:50:23.000+0100 [INFO] Agent - peer AAAA= (10.88.0.3): relayed -> relayed: probe failed",
      "2026-11-29T08:50:24.250+0000 [WARN] Agent - something else",
      "");

  @Test
  void readsChangesPerPeerWithTheirTimes() {
    List<AgentPathLog.Change> a = AgentPathLog.changes(LOG, "10.88.0.3");
    assertEquals(2, a.size());
    assertEquals(PathKind.PENDING, a.get(0).from());
    assertEquals(PathKind.RELAYED, a.get(0).to());
    assertEquals(Instant.parse("2026-11-29T08:50:21Z"), a.get(0).at());
    assertEquals(Instant.parse("2026-11-29T07:50:23Z"), a.get(1).at());
    assertEquals("AAAA=", a.get(0).peerKey());
    assertEquals(PathKind.LAN, AgentPathLog.current(LOG, "10.88.0.4"));
    assertEquals(PathKind.PENDING, AgentPathLog.current(LOG, "10.88.0.9"));
    assertTrue(AgentPathLog.currentSince(LOG, "10.88.0.9").isEmpty());
  }

  @Test
  void theTimeOfThePathIsItsFirstEntryNotALaterModeChangeWithTheSameLabel() {
    String log = String.join("\n",
        "2026-11-29T08:50:21.000+0000 [INFO] Agent - peer AAAA= (10.88.0.3): pending -> direct: handshake (direct)",
        "2026-11-29T08:50:22.000+0000 [INFO] Agent - peer AAAA= (10.88.0.3): direct -> relayed: silent",
        "2026-11-29T08:50:23.000+0000 [INFO] Agent - peer AAAA= (10.88.0.3): relayed -> relayed: probe failed",
        "2026-11-29T08:50:24.000+0000 [INFO] Agent - peer AAAA= (10.88.0.3): relayed -> relayed: probe failed");
    assertEquals(Instant.parse("2026-11-29T08:50:22Z"), AgentPathLog.currentSince(log, "10.88.0.3").orElseThrow());
  }
}
