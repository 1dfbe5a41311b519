package dev.wgmesh.lab;

import java.util.List;

/**
 * What a finished command returned.
 *
 * @param command the full command line as run (including the {@code ip netns exec} prefix)
 * @param exitCode the process's exit code
 * @param stdout its standard output, decoded as UTF-8
 * @param stderr its standard error, decoded as UTF-8
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

  public ExecResult {
    command = List.copyOf(command);
  }

  /** True when the command exited with 0. */
  public boolean ok() {
    return exitCode == 0;
  }

  /** This result when it is {@link #ok()}, otherwise a {@link LabCommandException} describing it. */
  public ExecResult orThrow() {
    if (!ok()) {
      throw new LabCommandException(this, true);
    }
    return this;
  }
}
