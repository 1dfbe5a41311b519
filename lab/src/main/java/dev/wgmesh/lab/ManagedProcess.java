package dev.wgmesh.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running child process of the lab (a daemon inside a namespace). Its stdout and stderr
 * go to one log file; {@link #close()} stops it with SIGTERM, then SIGKILL after a grace period.
 * The lab closes every process it started; closing twice is harmless.
 */
public final class ManagedProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final String name;
  private final List<String> command;
  private final Process process;
  private final Path logFile;

  ManagedProcess(String name, List<String> command, Process process, Path logFile) {
    this.name = name;
    this.command = List.copyOf(command);
    this.process = process;
    this.logFile = logFile;
  }

  /** The name given at spawn time, unique in its lab (also the log file's base name). */
  public String name() {
    return name;
  }

  /** The command line as run, including the {@code ip netns exec} prefix. */
  public List<String> command() {
    return command;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code once the process has ended. */
  public Optional<Integer> exitCode() {
    return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }

  /** The file that receives the process's stdout and stderr. */
  public Path logFile() {
    return logFile;
  }

  /** Everything the process wrote so far (stdout and stderr interleaved). */
  public String log() {
    try {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits until the log contains {@code text}; see {@link #awaitLog(Pattern, Duration)}. */
  public String awaitLog(String text, Duration timeout) {
    return awaitLog(s -> s.contains(text), "'" + text + "'", timeout);
  }

  /**
   * Waits until a line of the log matches {@code pattern} (find semantics) and returns the whole
   * log; throws when the process ends first or the timeout passes, with the log's tail.
   */
  public String awaitLog(Pattern pattern, Duration timeout) {
    return awaitLog(s -> pattern.matcher(s).find(), "/" + pattern + "/", timeout);
  }

  private String awaitLog(Predicate<String> matches, String what, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean alive = process.isAlive();
      String text = log();
      if (matches.test(text)) {
        return text;
      }
      if (!alive) {
        throw new LabCommandException("process " + name + " exited with " + process.exitValue()
            + " before its log showed " + what + "\n--- log ---\n" + tail(text));
      }
      if (System.nanoTime() > deadline) {
        throw new LabCommandException("process " + name + " did not log " + what + " within "
            + timeout.toMillis() + " ms\n--- log ---\n" + tail(text));
      }
      sleep(50);
    }
  }

  /**
   * Stops the process and its descendants: SIGTERM, then SIGKILL after a grace period; waits for
   * the end. Returns the exit code (or -1 when it could not be reaped).
   */
  public int stop() {
    return stop(STOP_GRACE);
  }

  int stop(Duration grace) {
    List<ProcessHandle> children = terminate();
    return awaitOrKill(children, System.nanoTime() + grace.toNanos());
  }

  /**
   * Kills the process and its descendants with SIGKILL, with no chance to clean up (a crash, a
   * machine that died), and waits for the end; returns the exit code or -1.
   */
  public int kill() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    return awaitOrKill(children, System.nanoTime() + STOP_GRACE.toNanos());
  }

  /** Sends SIGTERM to the process and its descendants; returns those descendants. */
  List<ProcessHandle> terminate() {
    if (!process.isAlive()) {
      return List.of();
    }
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    children.forEach(ProcessHandle::destroy);
    return children;
  }

  /** Waits for the end until {@code deadline} (a nanoTime), then SIGKILLs; returns the exit code or -1. */
  int awaitOrKill(List<ProcessHandle> children, long deadline) {
    try {
      long left = deadline - System.nanoTime();
      if (!process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        log.warn("process {} (pid {}) ignored SIGTERM, killing it", name, pid());
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    return process.isAlive() ? -1 : process.exitValue();
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "ManagedProcess[" + name + ", pid " + process.pid() + ", log " + logFile + "]";
  }

  static String tail(String text) {
    String t = text.strip();
    return t.length() > 4000 ? "..." + t.substring(t.length() - 4000) : t;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabCommandException("interrupted", e);
    }
  }
}
