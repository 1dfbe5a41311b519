package dev.wgmesh.core.wg.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.wgmesh.core.wg.UapiDevice;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A userspace WireGuard interface: {@code wireguard-go -f <iface>} as a child process in the
 * foreground, its output logged line by line (its self-daemonising mode was seen to die right after
 * start when its output went nowhere). Closing it stops the process, which removes the
 * interface and its UAPI socket.
 */
public final class WireGuardGo implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WireGuardGo.class);
  static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final int TAIL_LINES = 20;

  private final String iface;
  private final Process process;
  private final Deque<String> tail = new ArrayDeque<>();

  private WireGuardGo(String iface, Process process) {
    this.iface = iface;
    this.process = process;
  }

  /** Starts {@code wireguard-go -f iface} and waits for its UAPI socket. */
  public static WireGuardGo start(String iface) throws IOException {
    return start(iface, List.of());
  }

  /**
   * @param commandPrefix runs it behind this, e.g. {@code ip netns exec NS} (the socket directory
   *     is shared by all network namespaces)
   */
  public static WireGuardGo start(String iface, List<String> commandPrefix) throws IOException {
    Path socket = UapiDevice.socketPathOf(iface);
    List<String> command = new ArrayList<>(commandPrefix);
    command.addAll(List.of("wireguard-go", "-f", iface));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putIfAbsent("LOG_LEVEL", "error");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException("cannot start wireguard-go for " + iface + ": " + e.getMessage(), e);
    }
    process.getOutputStream().close();
    WireGuardGo wg = new WireGuardGo(iface, process);
    Thread reader = new Thread(wg::pumpOutput, "wireguard-go-" + iface);
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!Files.exists(socket)) {
      if (!process.isAlive()) {
        wg.awaitOutput();
        throw new IOException("wireguard-go for " + iface + " exited with " + process.exitValue() + wg.tailText());
      }
      if (System.nanoTime() > deadline) {
        wg.close();
        throw new IOException("wireguard-go did not create " + socket + " within " + START_TIMEOUT.toSeconds() + " s" + wg.tailText());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        wg.close();
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while starting wireguard-go");
      }
    }
    log.info("wireguard-go runs {} (pid {})", iface, process.pid());
    return wg;
  }

  public String iface() {
    return iface;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  private void pumpOutput() {
    NoEndpointLines noEndpoint = new NoEndpointLines(System.nanoTime());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        long now = System.nanoTime();
        if (noEndpoint.take(line)) {
          noEndpoint.due(now).ifPresent(n -> log.info("wireguard-go {}: {} ({} times; peers discovery has not found yet, summed up once"
              + " a minute)", iface, NoEndpointLines.TEXT, n));
          continue;
        }
        log.info("wireguard-go {}: {}", iface, line);
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    if (!process.isAlive()) {
      log.info("wireguard-go for {} exited with {}", iface, process.exitValue());
    }
  }

  /**
   * wireguard-go's complaint each time it would handshake with a peer that has no endpoint ("Failed
   * to send handshake initiation: no known endpoint for peer"): every few seconds for every peer
   * discovery has not found yet, over a hundred lines a second in a mesh of 1000 with many such
   * peers. They are counted and logged as one line at most every {@link #INTERVAL}, not one by one.
   */
  static final class NoEndpointLines {
    static final String TEXT = "no known endpoint for peer";
    static final long INTERVAL = TimeUnit.MINUTES.toNanos(1);
    private long count;
    private long nextAt;

    NoEndpointLines(long nowNanos) {
      nextAt = nowNanos;
    }

    /** True when the line is such a complaint: counted, not to be logged by itself. */
    boolean take(String line) {
      if (!line.contains(TEXT)) {
        return false;
      }
      count++;
      return true;
    }

    /** The count to log now, if the interval since the last summary passed (the first at once). */
    OptionalLong due(long nowNanos) {
      if (count == 0 || nowNanos - nextAt < 0) {
        return OptionalLong.empty();
      }
      long n = count;
      count = 0;
      nextAt = nowNanos + INTERVAL;
      return OptionalLong.of(n);
    }
  }

  private void awaitOutput() {
    try {
      process.waitFor(1, TimeUnit.SECONDS);
      Thread.sleep(50); // let the reader take the last lines
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String tailText() {
    synchronized (tail) {
      return tail.isEmpty() ? "" : ": " + String.join("; ", tail);
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; wireguard-go removes its interface when it ends. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
