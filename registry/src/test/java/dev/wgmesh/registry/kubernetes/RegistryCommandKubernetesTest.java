package dev.wgmesh.registry.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.registry.RegistryCommand;
import dev.wgmesh.kube.CommandRun;
import org.junit.jupiter.api.Test;

/** {@code wgmesh registry}'s arguments for the two modes. */
class RegistryCommandKubernetesTest {
  static CommandRun run(String... args) {
    return CommandRun.of(new RegistryCommand(), args);
  }

  @Test
  void kubernetesModeNeedsAMesh() {
    CommandRun r = run("--kubernetes", "--metrics", "off");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--mesh is required with --kubernetes"), r.err());
  }

  @Test
  void kubernetesModeChecksAGivenZone() {
    CommandRun r = run("--kubernetes", "--mesh", "prod", "--zone", "bad..zone", "--metrics", "off");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bad..zone"), r.err());
  }

  @Test
  void standaloneModeStillNeedsDeviceAndZone() {
    CommandRun r = run("--zone", "mesh.example.com");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--device and --zone are required"), r.err());
  }
}
