package dev.wgmesh.kube;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import picocli.CommandLine;

/** A command run as the launcher runs it, for tests of the node daemons' commands: its exit code and what it said on stderr. */
public record CommandRun(int code, String err) {
  public static CommandRun of(Object command, String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    try {
      return new CommandRun(new CommandLine(command).execute(args), err.toString());
    } finally {
      System.setErr(old);
    }
  }
}
