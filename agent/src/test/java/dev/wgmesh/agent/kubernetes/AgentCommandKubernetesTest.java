package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgmesh.agent.AgentCommand;
import dev.wgmesh.kube.CommandRun;
import org.junit.jupiter.api.Test;

/** {@code wgmesh agent}'s arguments for the two modes: mistakes are usage errors (exit 2) that say what is missing. */
class AgentCommandKubernetesTest {
  static CommandRun run(String... args) {
    return CommandRun.of(new AgentCommand(), args);
  }

  @Test
  void kubernetesModeNeedsAMesh() {
    CommandRun r = run("--kubernetes", "--node-name", "n1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--mesh is required with --kubernetes"), r.err());
  }

  @Test
  void kubernetesModeNeedsANodeName() {
    assumeTrue(System.getenv("NODE_NAME") == null, "NODE_NAME is set in this environment");
    CommandRun r = run("--kubernetes", "--mesh", "prod");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("NODE_NAME"), r.err());
  }

  @Test
  void kubernetesModeChecksTheInterfaceName() {
    CommandRun r = run("--kubernetes", "--mesh", "prod", "--node-name", "n1", "--interface", "way-too-long-for-linux");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--interface"), r.err());
  }

  @Test
  void standaloneModeStillNeedsDeviceRegistryAndZone() {
    CommandRun r = run("--device", "wg0");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--device, --registry and --zone are required"), r.err());
  }
}
