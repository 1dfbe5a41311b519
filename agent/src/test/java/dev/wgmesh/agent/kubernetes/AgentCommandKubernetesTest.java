package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgmesh.agent.AgentCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code wgmesh agent}'s arguments for the two modes: mistakes are usage errors (exit 2) that say what is missing. */
class AgentCommandKubernetesTest {
  record Run(int code, String err) {}

  static Run run(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    try {
      return new Run(new CommandLine(new AgentCommand()).execute(args), err.toString());
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void kubernetesModeNeedsAMesh() {
    Run r = run("--kubernetes", "--node-name", "n1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--mesh is required with --kubernetes"), r.err());
  }

  @Test
  void kubernetesModeNeedsANodeName() {
    assumeTrue(System.getenv("NODE_NAME") == null, "NODE_NAME is set in this environment");
    Run r = run("--kubernetes", "--mesh", "prod");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("NODE_NAME"), r.err());
  }

  @Test
  void kubernetesModeChecksTheInterfaceName() {
    Run r = run("--kubernetes", "--mesh", "prod", "--node-name", "n1", "--interface", "way-too-long-for-linux");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--interface"), r.err());
  }

  @Test
  void standaloneModeStillNeedsDeviceRegistryAndZone() {
    Run r = run("--device", "wg0");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--device, --registry and --zone are required"), r.err());
  }
}
