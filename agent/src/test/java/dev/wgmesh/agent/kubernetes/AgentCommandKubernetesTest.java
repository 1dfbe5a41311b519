package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgmesh.agent.AgentCommand;
import dev.wgmesh.kube.KubernetesModeTests;
import org.junit.jupiter.api.Test;

/** {@code wgmesh agent}'s arguments for the two modes: mistakes are usage errors (exit 2) that say what is missing. */
class AgentCommandKubernetesTest extends KubernetesModeTests {
  AgentCommandKubernetesTest() {
    super(AgentCommand::new, "--node-name", "n1");
  }

  @Test
  void kubernetesModeNeedsANodeName() {
    assumeTrue(System.getenv("NODE_NAME") == null, "NODE_NAME is set in this environment");
    assertUsageError("NODE_NAME", "--kubernetes", "--mesh", "prod");
  }

  @Test
  void standaloneModeStillNeedsDeviceRegistryAndZone() {
    assertUsageError("--device, --registry and --zone are required", "--device", "wg0");
  }
}
