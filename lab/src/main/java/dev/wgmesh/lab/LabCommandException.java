package dev.wgmesh.lab;

import java.util.List;

/** A lab command failed, timed out or could not be started; the message names command, exit code and output. */
public final class LabCommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_OUTPUT = 4000;

  private final transient ExecResult result;

  LabCommandException(ExecResult result, boolean includeStdout) {
    super(describe(result, includeStdout));
    this.result = result;
  }

  LabCommandException(String message) {
    super(message);
    this.result = null;
  }

  LabCommandException(String message, Throwable cause) {
    super(message, cause);
    this.result = null;
  }

  /** The failed command's result, or null when the command did not run to an exit code. */
  public ExecResult result() {
    return result;
  }

  private static String describe(ExecResult r, boolean includeStdout) {
    StringBuilder sb = new StringBuilder()
        .append("command failed with exit code ").append(r.exitCode()).append(": ")
        .append(join(r.command()));
    appendOutput(sb, "stderr", r.stderr());
    if (includeStdout) {
      appendOutput(sb, "stdout", r.stdout());
    }
    return sb.toString();
  }

  private static void appendOutput(StringBuilder sb, String label, String text) {
    if (text == null || text.isBlank()) {
      return;
    }
    String t = text.strip();
    if (t.length() > MAX_OUTPUT) {
      t = "..." + t.substring(t.length() - MAX_OUTPUT);
    }
    sb.append("\n--- ").append(label).append(" ---\n").append(t);
  }

  static String join(List<String> command) {
    StringBuilder sb = new StringBuilder();
    for (String part : command) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      boolean quote = part.isEmpty() || part.chars().anyMatch(c -> c == ' ' || c == '\'' || c == '"');
      sb.append(quote ? "'" + part.replace("'", "'\\''") + "'" : part);
    }
    return sb.toString();
  }
}
