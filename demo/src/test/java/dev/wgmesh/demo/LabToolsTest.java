package dev.wgmesh.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.lab.LabPrerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The lab's one list of tools (lab/.../tools.tsv) names every command the NAT lab and the demo run,
 * so that the demo, bin/test and the benchmarks, which install from that list, install all of them
 * (a demo once stopped on a fresh machine for want of two tools the lab checks for).
 */
class LabToolsTest {
  /** Commands are the first word of a command list: List.of("ip", ...), exec("wg", ...). */
  static final Pattern COMMAND = Pattern.compile("(?:List\\.of|execOk|exec|runOk|run)\\(\\s*(?:[a-zA-Z.()]+,\\s*)?\"([a-z][a-z0-9-]*)\"");
  /** First words that are not commands: subcommands of our own Java tools, of wgmesh and of wg. */
  static final Set<String> NOT_COMMANDS = Set.of("echo", "probe", "agent", "registry", "operator", "java-echo", "allowed-ips", "endpoint");
  /** Commands every Debian system has (apt-get is what installs the rest). */
  static final Set<String> BASE = Set.of("id", "sh", "bash", "kill", "java", "apt-get");

  @Test
  void everyCommandTheLabRunsIsInTheList() throws IOException {
    Set<String> used = new TreeSet<>();
    for (String dir : new String[] {"../lab/src/main/java", "src/main/java"}) {
      try (Stream<Path> files = Files.walk(Path.of(dir))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = COMMAND.matcher(Files.readString(f));
          while (m.find()) {
            used.add(m.group(1));
          }
        }
      }
    }
    used.removeAll(NOT_COMMANDS);
    used.removeAll(BASE);
    assertTrue(used.containsAll(Set.of("ip", "wg", "iptables-restore", "tcpdump", "wireguard-go")), "the scan finds commands: " + used);
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(LabPrerequisites.TOOLS.keySet());
    assertEquals(Set.of(), missing, "commands the lab runs that tools.tsv does not list (so nothing installs them)");
  }

  @Test
  void theDemoInstallsThePackagesOfEveryTool() {
    assertEquals(Set.copyOf(LabPrerequisites.TOOLS.values()), Set.copyOf(DemoCommand.PACKAGES));
  }
}
