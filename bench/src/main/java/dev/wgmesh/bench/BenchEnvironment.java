package dev.wgmesh.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** How the benchmark drivers read their settings from the environment, and what they say about the machine. */
final class BenchEnvironment {
  private BenchEnvironment() {}

  /** A positive whole number from {@code name}, or {@code fallback} when unset; a bad value is a one-line error. */
  static int positive(Map<String, String> env, String name, int fallback) {
    String v = env.getOrDefault(name, "").strip();
    if (v.isEmpty()) {
      return fallback;
    }
    if (!v.matches("[1-9][0-9]{0,5}")) {
      throw new IllegalArgumentException(name + " must be a positive whole number, got '" + v + "'");
    }
    return Integer.parseInt(v);
  }

  /** The words of a setting, split at white space. */
  static List<String> words(String s) {
    return s.isBlank() ? List.of() : List.of(s.strip().split("\\s+"));
  }

  /**
   * The driver's command line: {@code [--out FILE]}; prints the usage and exits for {@code --help},
   * exits with 2 for anything else. Returns the file, or null.
   */
  static Path outFile(String[] args, String driver, String help) {
    Path outFile = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--out") && i + 1 < args.length) {
        outFile = Path.of(args[++i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println("usage: java -Dwgmesh.jar=<product jar> -cp wgmesh-bench.jar " + driver + " [--out FILE]\n" + help);
        System.exit(0);
      } else {
        System.err.println("unknown argument: " + args[i]);
        System.exit(2);
      }
    }
    return outFile;
  }

  /**
   * The first lines of a lab benchmark's report: its title and the time, the machine, the load
   * before the run, the settings, the agents' JVM options and the commit measured.
   */
  static List<String> header(String title, String settings, List<String> agentOpts, String loadBefore) {
    return new java.util.ArrayList<>(List.of(
        title + ", " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
        "host: " + Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
            + System.getProperty("os.version") + "; java " + System.getProperty("java.version") + "; " + wireguardGoVersion(),
        "load average before the run: " + loadBefore,
        "settings: " + settings,
        "agent JVM options (AGENT_JAVA_OPTS): " + (agentOpts.isEmpty() ? "(none)" : String.join(" ", agentOpts)),
        "commit: " + System.getProperty("bench.commit", "unknown")));
  }

  /** Ends a report with the run time since {@code startNanos}, prints it and writes it to {@code outFile} (if not null). */
  static void finish(List<String> report, long startNanos, Path outFile, PrintStream out) throws IOException {
    long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
    report.add(String.format(java.util.Locale.ROOT, "run time: %d min %d s", seconds / 60, seconds % 60));
    out.println();
    report.forEach(out::println);
    if (outFile != null) {
      Files.createDirectories(outFile.toAbsolutePath().getParent());
      Files.write(outFile, report, StandardCharsets.UTF_8);
      out.println("results written to " + outFile);
    }
  }

  private static String wireguardGoVersion() {
    try {
      Process p = new ProcessBuilder("wireguard-go", "--version").redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return text.lines().findFirst().orElse("wireguard-go ?").strip();
    } catch (IOException e) {
      return "wireguard-go ?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "wireguard-go ?";
    }
  }

  /** The CPU time (user + system) a process used so far, in seconds, from /proc/PID/stat; -1 when unreadable. */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The load average before the run: other work on this shared machine skews timings. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2] + " (other work on the machine skews the timings)";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
