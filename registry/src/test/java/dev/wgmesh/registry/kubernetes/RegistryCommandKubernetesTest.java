package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.kube.KubernetesModeTests;
import dev.wgmesh.registry.RegistryCommand;
import org.junit.jupiter.api.Test;

/** {@code wgmesh registry}'s arguments for the two modes. */
class RegistryCommandKubernetesTest extends KubernetesModeTests {
  RegistryCommandKubernetesTest() {
    super(RegistryCommand::new, "--metrics", "off");
  }

  @Test
  void kubernetesModeChecksAGivenZone() {
    assertUsageError("bad..zone", "--kubernetes", "--mesh", "prod", "--zone", "bad..zone", "--metrics", "off");
  }

  @Test
  void standaloneModeStillNeedsDeviceAndZone() {
    assertUsageError("--device and --zone are required", "--zone", "mesh.example.com");
  }
}
