package dev.wgmesh.cli;

import dev.wgmesh.agent.AgentCommand;
import dev.wgmesh.cli.ctl.CtlCommand;
import dev.wgmesh.operator.OperatorCommand;
import dev.wgmesh.registry.RegistryCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wgmesh} command: one launcher, one subcommand per component. */
@Command(
    name = "wgmesh",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "WireGuard meshes across clouds and NATs.",
    subcommands = {RegistryCommand.class, AgentCommand.class, OperatorCommand.class, CtlCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"wgmesh " + (v == null ? "development build" : v)};
    }
  }
}
