package dev.wgmesh.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checks of {@link KubernetesOptions} as a node daemon's command makes them: mistakes are usage
 * errors (exit 2) that say what is missing. A command's test extends this.
 */
public abstract class KubernetesModeTests {
  private final Supplier<Object> command;
  private final String[] otherArgs;

  /**
   * @param command makes a new command
   * @param otherArgs what else the command needs in Kubernetes mode to get as far as these checks
   */
  protected KubernetesModeTests(Supplier<Object> command, String... otherArgs) {
    this.command = command;
    this.otherArgs = otherArgs;
  }

  protected CommandRun run(String... args) {
    return CommandRun.of(command.get(), args);
  }

  /** The command with these arguments is a usage error (exit 2) whose message says {@code expected}. */
  protected void assertUsageError(String expected, String... args) {
    CommandRun r = run(args);
    assertEquals(2, r.code());
    assertTrue(r.err().contains(expected), r.err());
  }

  private String[] kubernetes(String... args) {
    return Stream.of(new String[] {"--kubernetes"}, otherArgs, args).flatMap(Stream::of).toArray(String[]::new);
  }

  @Test
  void kubernetesModeNeedsAMesh() {
    assertUsageError("--mesh is required with --kubernetes", kubernetes());
  }

  @Test
  void kubernetesModeChecksTheInterfaceName() {
    assertUsageError("--interface", kubernetes("--mesh", "prod", "--interface", "way-too-long-for-linux"));
  }
}
