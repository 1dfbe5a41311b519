package dev.wgmesh.registry.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.registry.RegistryCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code wgmesh registry}'s arguments for the two modes. */
class RegistryCommandKubernetesTest {
  record Run(int code, String err) {}

  static Run run(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    try {
      return new Run(new CommandLine(new RegistryCommand()).execute(args), err.toString());
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void kubernetesModeNeedsAMesh() {
    Run r = run("--kubernetes", "--metrics", "off");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--mesh is required with --kubernetes"), r.err());
  }

  @Test
  void kubernetesModeChecksAGivenZone() {
    Run r = run("--kubernetes", "--mesh", "prod", "--zone", "bad..zone", "--metrics", "off");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bad..zone"), r.err());
  }

  @Test
  void standaloneModeStillNeedsDeviceAndZone() {
    Run r = run("--zone", "mesh.example.com");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--device and --zone are required"), r.err());
  }
}
