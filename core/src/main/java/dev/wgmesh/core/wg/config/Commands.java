package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.wg.CommandRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.List;



/** Runs {@code ip} and friends with the shared {@link CommandRunner}: one place for time limits and output. */
final class Commands {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private Commands() {}

  static CommandRunner.Result run(List<String> command) throws IOException {
    return CommandRunner.run(command, String.join(" ", command), TIMEOUT);
  }

  /** Runs the command and fails with its stderr when it exits non-zero. */
  static String runOk(List<String> command) throws IOException {
    CommandRunner.Result r = run(command);
    if (!r.succeeded()) {
      throw new IOException("`" + String.join(" ", command) + "` failed: " + r.failure());
    }
    return r.stdout();
  }
}
