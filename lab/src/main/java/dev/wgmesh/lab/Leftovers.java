package dev.wgmesh.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What labs leave on the machine, and how it is removed: namespaces {@code <id>-*}, sockets
 * {@code /var/run/wireguard/<id>*.sock}, wireguard-go processes and the marker directory
 * {@code /run/wgmesh-lab/<id>/} whose {@code owner} file names the owning process (pid and start time).
 */
final class Leftovers {
  private static final Logger log = LoggerFactory.getLogger(Leftovers.class);

  static final Path STATE_DIR = Path.of("/run/wgmesh-lab");
  static final Path WG_SOCKET_DIR = Path.of("/var/run/wireguard");
  static final Path NETNS_DIR = Path.of("/run/netns");
  static final String OWNER_FILE = "owner";
  private static final Pattern LAB_ID = Pattern.compile("wl[0-9a-f]{4}");
  /** A lab id at the start of a name, followed by a non-hex character or the end. */
  private static final Pattern LAB_PREFIX = Pattern.compile("^(wl[0-9a-f]{4})(?:[^0-9a-f]|$)");
  /** How long a marker without owner file counts as a lab being created. */
  private static final Duration CLAIM_GRACE = Duration.ofSeconds(60);

  private Leftovers() {}

  /**
   * Removes what labs of dead processes left behind: their namespaces (killing what runs inside),
   * wireguard-go processes and sockets, key files and markers. A lab is alive while the process
   * named in {@code /run/wgmesh-lab/<id>/owner} (pid and start time) runs. Returns the number of
   * stale labs found.
   */
  static synchronized int sweep() {
    Set<String> stale = new TreeSet<>();
    Map<String, Boolean> live = new LinkedHashMap<>();
    for (String ns : listNames(NETNS_DIR)) {
      Matcher m = LAB_PREFIX.matcher(ns);
      if (m.find() && !live.computeIfAbsent(m.group(1), Leftovers::isLive)) {
        stale.add(m.group(1));
        try {
          removeNamespace(ns);
        } catch (RuntimeException e) {
          log.warn("cannot remove stale lab namespace {}: {}", ns, e.getMessage());
        }
      }
    }
    killStaleWireguardGo(live, stale);
    for (String sock : listNames(WG_SOCKET_DIR)) {
      Matcher m = LAB_PREFIX.matcher(sock);
      if (m.find() && sock.endsWith(".sock") && !live.computeIfAbsent(m.group(1), Leftovers::isLive)) {
        stale.add(m.group(1));
        try {
          Files.deleteIfExists(WG_SOCKET_DIR.resolve(sock));
        } catch (IOException e) {
          log.warn("cannot remove stale socket {}: {}", sock, e.toString());
        }
      }
    }
    for (String dir : listNames(STATE_DIR)) {
      if (LAB_ID.matcher(dir).matches() && !isLive(dir)) {
        stale.add(dir);
        try {
          deleteRecursively(STATE_DIR.resolve(dir));
        } catch (IOException e) {
          log.warn("cannot remove stale lab marker {}: {}", dir, e.toString());
        }
      }
    }
    if (!stale.isEmpty()) {
      log.info("swept leftovers of stale labs {}", stale);
    }
    return stale.size();
  }

  /** Kills whatever still runs in {@code namespace}, then deletes it; absent namespaces are fine. */
  static void removeNamespace(String namespace) {
    if (!Files.exists(NETNS_DIR.resolve(namespace))) {
      return;
    }
    List<Long> pids = namespacePids(namespace);
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ph -> {
        log.warn("killing pid {} ({}) left in namespace {}", pid, ph.info().commandLine().orElse("?"), namespace);
        ph.destroyForcibly();
      });
    }
    // Not our children: onExit() would poll slowly. Zombies count as gone.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (pids.stream().anyMatch(Leftovers::isRunning) && System.nanoTime() < deadline) {
      ManagedProcess.sleep(20);
    }
    ExecResult r = Shell.run(List.of("ip", "netns", "del", namespace), Shell.DEFAULT_TIMEOUT);
    if (!r.ok() && Files.exists(NETNS_DIR.resolve(namespace))) {
      throw new LabCommandException(r, true);
    }
  }

  /** Whether {@code pid} exists and is not a zombie (orphans may wait a while for their reaper). */
  static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String state = stat.substring(stat.lastIndexOf(')') + 1).strip();
      return !(state.startsWith("Z") || state.startsWith("X"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  static List<Long> namespacePids(String namespace) {
    ExecResult r = Shell.run(List.of("ip", "netns", "pids", namespace), Shell.DEFAULT_TIMEOUT);
    List<Long> pids = new ArrayList<>();
    if (r.ok()) {
      for (String line : r.stdout().split("\\s+")) {
        if (line.matches("\\d+")) {
          pids.add(Long.parseLong(line));
        }
      }
    }
    return pids;
  }

  /** wireguard-go processes of dead labs whose namespace is gone already still hold a socket. */
  private static void killStaleWireguardGo(Map<String, Boolean> live, Set<String> stale) {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      all.forEach(ph -> {
        List<String> args = ph.info().arguments().map(List::of).orElse(List.of());
        String cmd = ph.info().command().orElse("");
        if (!cmd.endsWith("wireguard-go") || args.isEmpty()) {
          return;
        }
        Matcher m = LAB_PREFIX.matcher(args.get(args.size() - 1));
        if (m.find() && !live.computeIfAbsent(m.group(1), Leftovers::isLive)) {
          stale.add(m.group(1));
          log.info("killing stale wireguard-go pid {} ({})", ph.pid(), args);
          ph.destroyForcibly();
        }
      });
    }
  }

  /** Whether lab {@code id} belongs to a running process (or is being created right now). */
  static boolean isLive(String id) {
    Path dir = STATE_DIR.resolve(id);
    Path owner = dir.resolve(OWNER_FILE);
    try {
      if (!Files.isDirectory(dir)) {
        return false;
      }
      if (!Files.exists(owner)) {
        FileTime modified = Files.getLastModifiedTime(dir);
        return modified.toInstant().isAfter(Instant.now().minus(CLAIM_GRACE));
      }
      long pid = -1;
      String start = "-";
      for (String line : Files.readAllLines(owner, StandardCharsets.UTF_8)) {
        String[] kv = line.split(" ", 2);
        if (kv.length == 2 && kv[0].equals("pid")) {
          pid = Long.parseLong(kv[1].strip());
        } else if (kv.length == 2 && kv[0].equals("start")) {
          start = kv[1].strip();
        }
      }
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      if (process.isEmpty() || !isRunning(pid)) {
        return false;
      }
      if (start.equals("-")) {
        return true;
      }
      Optional<Instant> actual = process.get().info().startInstant();
      return actual.isEmpty()
          || Duration.between(Instant.parse(start), actual.get()).abs().compareTo(Duration.ofSeconds(2)) <= 0;
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read lab marker {}: {}; treating the lab as stale", owner, e.toString());
      return false;
    }
  }

  static List<String> listNames(Path dir) {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return names;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        names.add(p.getFileName().toString());
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", dir, e.toString());
    }
    return names;
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
