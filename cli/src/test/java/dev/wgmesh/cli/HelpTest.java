package dev.wgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} of wgmesh and of every subcommand: complete summaries, lines wrapped to the help width. */
class HelpTest {
  /** The launcher as main builds it, at the width help has when the terminal's is unknown. */
  static CommandLine launcher() {
    CommandLine cl = Main.commandLine();
    cl.setUsageHelpAutoWidth(false); // a terminal running the tests must not change the width
    return cl;
  }

  static String help(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    assertEquals(0, cl.execute(args), "exit code of " + String.join(" ", args));
    return out.toString();
  }

  /** Every command under the launcher, as the words that run it: [], [agent], [ctl], [ctl, status], ... */
  static List<List<String>> commands(CommandLine cl, List<String> path, List<List<String>> into) {
    into.add(path);
    for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
      if (!sub.getKey().equals("help")) {
        List<String> p = new ArrayList<>(path);
        p.add(sub.getKey());
        commands(sub.getValue(), p, into);
      }
    }
    return into;
  }

  @Test
  void everyHelpFitsTheWidth() {
    List<List<String>> all = commands(launcher(), List.of(), new ArrayList<>());
    assertTrue(all.size() >= 8, "wgmesh, its four commands and ctl's three: " + all);
    for (List<String> command : all) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      String text = help(launcher(), args.toArray(String[]::new));
      assertTrue(text.startsWith("Usage: wgmesh"), text);
      for (String line : text.lines().toList()) {
        assertTrue(line.length() <= Cli.HELP_WIDTH, "longer than " + Cli.HELP_WIDTH + " in " + args + ": [" + line + "]");
      }
    }
  }

  @Test
  void everyCommandListHasOneCompleteLinePerSubcommand() {
    for (List<String> command : commands(launcher(), List.of(), new ArrayList<>())) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      CommandLine cl = launcher();
      for (String word : command) {
        cl = cl.getSubcommands().get(word);
      }
      if (cl.getSubcommands().isEmpty()) {
        continue;
      }
      List<String> listed = commandList(help(launcher(), args.toArray(String[]::new)));
      assertEquals(cl.getSubcommands().size(), listed.size(), "one line per subcommand in " + args + ": " + listed);
      for (String line : listed) {
        String name = line.strip().split("\\s+")[0];
        assertTrue(cl.getSubcommands().containsKey(name), "a line of its own for each subcommand, not a continuation: [" + line + "]");
        assertTrue(line.endsWith("."), "a complete sentence: [" + line + "]");
      }
    }
  }

  /** The lines of the "Commands:" section. */
  static List<String> commandList(String help) {
    List<String> lines = help.lines().toList();
    int start = lines.indexOf("Commands:");
    assertTrue(start >= 0, help);
    List<String> out = new ArrayList<>();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      out.add(line);
    }
    return out;
  }

  @Test
  void launcherSummariesAreTheCommandsFirstSentences() {
    String text = help(launcher(), "--help");
    List<String> listed = commandList(text);
    assertTrue(listed.stream().anyMatch(l -> l.matches("\\s+agent\\s+Keep a WireGuard device's peers connected, directly or relayed\\.")), text);
    assertTrue(listed.stream().anyMatch(l -> l.matches("\\s+operator\\s+Run the Kubernetes operator that builds meshes from the CRDs\\.")), text);
    assertFalse(text.contains("fall back to the\n"), text);
  }
}
