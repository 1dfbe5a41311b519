package dev.wgmesh.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryHealthTest {
  @Test
  void registriesArePresumedReachableAndReportedOnlyWhenThatChanges() {
    RegistryHealth h = new RegistryHealth(3);
    assertEquals(List.of(0, 1, 2), h.usable());
    assertEquals(Optional.empty(), h.answered(0), "presumed reachable: no news");
    assertEquals(Optional.of(new RegistryHealth.Change(1, RegistryHealth.State.UNREACHABLE, "timeout")), h.unanswered(1, "timeout"));
    assertEquals(Optional.empty(), h.unanswered(1, "timeout"), "once");
    assertEquals(List.of(0, 2), h.usable());
    assertEquals(0, h.preferred());
    h.unanswered(0, "timeout");
    assertEquals(2, h.preferred(), "the next in the mesh's order");
    assertEquals(Optional.of(new RegistryHealth.Change(0, RegistryHealth.State.REACHABLE, "answers")), h.answered(0));
    assertEquals(0, h.preferred(), "back first once it answers");
    assertEquals(RegistryHealth.State.UNKNOWN, h.state(2));
  }
}
