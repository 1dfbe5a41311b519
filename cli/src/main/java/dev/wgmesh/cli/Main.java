package dev.wgmesh.cli;

import dev.wgmesh.agent.AgentCommand;
import dev.wgmesh.cli.ctl.CtlCommand;
import dev.wgmesh.operator.OperatorCommand;
import dev.wgmesh.registry.RegistryCommand;
import picocli.CommandLine;
import dev.wgmesh.core.cli.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code wgmesh} command: one launcher, one subcommand per component. */
@Command(
    name = "wgmesh",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "WireGuard meshes across clouds and NATs.",
    footer = {"", "From a checkout, bin/wgmesh demo brings up a mesh across simulated NATs on this machine (its own jar, not part of this one)."},
    subcommands = {RegistryCommand.class, AgentCommand.class, OperatorCommand.class, CtlCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    Cli.shareCommonPool();
    System.exit(run(args));
  }

  @Spec
  CommandSpec spec;

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The {@code wgmesh} command line with every subcommand, set up as all wgmesh commands are ({@link Cli}). */
  public static CommandLine commandLine() {
    return Cli.commandLine(new Main());
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"wgmesh " + (v == null ? "development build" : v)};
    }
  }
}
