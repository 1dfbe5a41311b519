package dev.wgmesh.core.wg.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs a short tool ({@code ip}) with a time limit; stdout and stderr are read without deadlock. */
final class Commands {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  record Result(int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    /** stderr in one line, or the exit code when the tool said nothing. */
    String failure() {
      String err = stderr.strip().replaceAll("\\s*\n\\s*", "; ");
      return err.isEmpty() ? "exit code " + exitCode : err;
    }
  }

  private Commands() {}

  static Result run(List<String> command) throws IOException {
    String what = String.join(" ", command);
    Process process;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new IOException("cannot run `" + what + "`: " + e.getMessage(), e);
    }
    process.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    try {
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("`" + what + "` did not finish within " + TIMEOUT.toSeconds() + " s");
      }
      return new Result(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running `" + what + "`");
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot read the output of `" + what + "`", e);
    }
  }

  /** Runs the command and fails with its stderr when it exits non-zero. */
  static String runOk(List<String> command) throws IOException {
    Result r = run(command);
    if (!r.ok()) {
      throw new IOException("`" + String.join(" ", command) + "` failed: " + r.failure());
    }
    return r.stdout();
  }

  private static String readAll(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
