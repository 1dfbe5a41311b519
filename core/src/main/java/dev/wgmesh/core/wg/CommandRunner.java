package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs a short-lived tool with a time limit, collecting stdout and stderr without deadlocking. */
public final class CommandRunner {
  public record Result(int exitCode, String stdout, String stderr) {
    public boolean succeeded() {
      return exitCode == 0;
    }

    /** stderr in one line, or the exit code when the tool said nothing; for error messages. */
    public String failure() {
      String err = stderr.strip().replaceAll("\\s*\n\\s*", "; ");
      return err.isEmpty() ? "exit code " + exitCode : err;
    }
  }

  private CommandRunner() {}

  /**
   * @param what how to name the command in messages; callers keep secrets out of it (and out of
   *     the command line, which other users can read in /proc)
   */
  public static Result run(List<String> command, String what, Duration timeout) throws IOException {
    Process process;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new IOException("cannot run `" + what + "`: " + e.getMessage(), e);
    }
    process.getOutputStream().close();
    FutureTask<String> stdout = collect(process.getInputStream());
    FutureTask<String> stderr = collect(process.getErrorStream());
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("`" + what + "` did not finish within " + timeout.toMillis() + " ms");
      }
      return new Result(process.exitValue(), output(stdout, what), output(stderr, what));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running `" + what + "`");
    }
  }

  private static FutureTask<String> collect(InputStream stream) {
    FutureTask<String> task = new FutureTask<>(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), UTF_8);
      }
    });
    Thread reader = new Thread(task, "command-output");
    reader.setDaemon(true);
    reader.start();
    return task;
  }

  private static String output(FutureTask<String> task, String what) throws IOException, InterruptedException {
    try {
      // The process has exited; only a grandchild still holding the pipe could delay EOF.
      return task.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot read the output of `" + what + "`", e);
    }
  }
}
