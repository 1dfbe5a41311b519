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

  /** The system property that sizes the JVM's common ForkJoinPool (read once, when the pool is made). */
  public static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Cli() {}

  /**
   * A wgmesh command as a process's main: the JVM set up as every wgmesh process needs it ({@link
   * #shareCommonPool()}), then the command, whose exit code ends the process.
   */
  public static void main(Object command, String... args) {
    shareCommonPool();
    System.exit(commandLine(command).execute(args));
  }

  /**
   * Gives the JVM's common pool at least two threads. With one or two CPUs (a small machine, or a
   * container with a CPU limit of 2 or less) the JVM sizes that pool to one thread, and then {@code
   * CompletableFuture} runs every asynchronous step that names no executor on a new thread of its
   * own. The JDK's HTTP client hands each response of an asynchronous request to that default
   * executor, and every Kubernetes client request is one: an operator writing 5000 node configs
   * started and ended some 7300 threads in 39 s, a fifth of its CPU. With two threads in the
   * common pool, {@code CompletableFuture} uses the pool.
   *
   * <p>Call before anything uses {@code ForkJoinPool} or {@code CompletableFuture} (the pool is
   * sized once); a value the user set for the property is left alone.
   */
  public static void shareCommonPool() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }

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
