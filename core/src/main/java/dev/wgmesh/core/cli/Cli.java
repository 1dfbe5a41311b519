package dev.wgmesh.core.cli;

import dev.wgmesh.core.util.InvalidValueException;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command-line set-up every wgmesh command shares, whether it runs under the {@code wgmesh}
 * launcher or from its own main: help wrapped to one width, durations as people type them, and bad
 * input reported as one line ("wgmesh demo: Invalid value for option '--timeout': ...; try 'wgmesh
 * demo --help'") with exit code 2, never as a stack trace.
 */
public final class Cli {
  /**
   * The width of help text when the terminal's is unknown (output to a pipe or a file, tests). On
   * a terminal, help takes the terminal's width.
   */
  public static final int HELP_WIDTH = 100;

  private Cli() {}

  /** A command line for this command (and its subcommands) with the shared set-up. */
  public static CommandLine commandLine(Object command) {
    return configure(new CommandLine(command));
  }

  /**
   * Applies the shared set-up to a command line and to the subcommands it has now; add
   * subcommands before calling this.
   */
  public static CommandLine configure(CommandLine commandLine) {
    commandLine.registerConverter(Duration.class, new DurationConverter());
    commandLine.setUsageHelpWidth(HELP_WIDTH);
    commandLine.setUsageHelpAutoWidth(true);
    commandLine.setParameterExceptionHandler(Cli::reportBadInput);
    commandLine.setExecutionExceptionHandler(Cli::reportFailure);
    return commandLine;
  }

  /** A parse error (unknown option, value that does not convert, missing value): one line, exit 2. */
  static int reportBadInput(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    String name = command.getCommandSpec().qualifiedName();
    String message = oneLine(e.getMessage());
    if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
      message += " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)";
    }
    command.getErr().println(name + ": " + message + "; try '" + name + " --help'");
    command.getErr().flush();
    return command.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * A command that parses an option's text itself and finds it invalid fails with an {@link
   * InvalidValueException}: when the text is that of an option on this command line, it is bad
   * input, reported as a parse error of that option. Anything else is a failure of the command and
   * goes on to picocli's default handling.
   */
  static int reportFailure(Exception e, CommandLine command, ParseResult parsed) throws Exception {
    if (e instanceof InvalidValueException invalid && command.getParseResult() != null) {
      for (ArgSpec arg : command.getParseResult().matchedArgs()) {
        if (arg.originalStringValues().contains(invalid.value())) {
          String what = arg instanceof OptionSpec option ? "option '" + option.longestName() + "'" : "parameter " + arg.paramLabel();
          return reportBadInput(new ParameterException(command, "Invalid value for " + what + ": " + invalid.getMessage(), e, arg,
              invalid.value()), new String[0]);
        }
      }
    }
    throw e;
  }

  private static String oneLine(String text) {
    return text == null ? "invalid input" : text.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
