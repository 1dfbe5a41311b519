package dev.wgmesh.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs short commands with a timeout, capturing their output. Output is never logged. */
final class Shell {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final Logger log = LoggerFactory.getLogger(Shell.class);
  private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lab-shell-reader");
    t.setDaemon(true);
    return t;
  });

  private Shell() {}

  /** Runs {@code command}; never throws for a non-zero exit, only when it cannot run or times out. */
  static ExecResult run(List<String> command, Duration timeout) {
    return run(command, timeout, null);
  }

  /**
   * Runs {@code command}, feeding {@code stdin} (may be null: no input) and waiting at most
   * {@code timeout}; a process still running then is killed and a {@link LabCommandException} thrown.
   */
  static ExecResult run(List<String> command, Duration timeout, byte[] stdin) {
    log.debug("$ {}", LabCommandException.join(command));
    ProcessBuilder pb = new ProcessBuilder(command);
    if (stdin == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new LabCommandException("cannot start: " + LabCommandException.join(command) + ": " + e.getMessage(), e);
    }
    Future<byte[]> out = READERS.submit(() -> readAll(p.getInputStream()));
    Future<byte[]> err = READERS.submit(() -> readAll(p.getErrorStream()));
    try {
      if (stdin != null) {
        try (OutputStream in = p.getOutputStream()) {
          in.write(stdin);
        } catch (IOException e) {
          // The command may exit without reading its input; its exit code tells.
        }
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new LabCommandException("timed out after " + timeout.toMillis() + " ms: "
            + LabCommandException.join(command) + stderrTail(err));
      }
      return new ExecResult(command, p.exitValue(), text(out), text(err));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new LabCommandException("interrupted: " + LabCommandException.join(command), e);
    }
  }

  /** Runs {@code command} and throws unless it exits with 0. */
  static ExecResult runOk(List<String> command, Duration timeout) {
    return run(command, timeout).orThrow();
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    in.transferTo(buf);
    return buf.toByteArray();
  }

  private static String text(Future<byte[]> f) throws InterruptedException {
    try {
      // A grandchild that inherited the pipe could keep it open: do not wait for it forever.
      return new String(f.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    } catch (ExecutionException | TimeoutException e) {
      f.cancel(true);
      return "";
    }
  }

  private static String stderrTail(Future<byte[]> err) {
    try {
      String s = new String(err.get(1, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "" : "\n--- stderr ---\n" + s;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    } catch (ExecutionException | TimeoutException e) {
      return "";
    }
  }
}
