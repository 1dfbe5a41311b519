package dev.wgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A value that does not convert is a usage error under every command: one line on stderr naming
 * the option and the value, a pointer to --help, exit code 2; never a stack trace. The commands run
 * in this JVM through the launcher's command line, as {@code wgmesh ...} runs them.
 */
class BadInputTest {
  record Run(int code, String out, String err) {}

  static Run wgmesh(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      picocli.CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(System.out, true));
      cl.setErr(new PrintWriter(System.err, true));
      int code = cl.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @ParameterizedTest(name = "wgmesh {0}")
  @CsvSource(delimiter = '|', value = {
      // command line                                                       | option              | value
      "agent --device wg0 --registry 10.0.0.254:53 --zone x --interval=xyz  | --interval          | xyz",
      "agent --interval xyz                                                 | --interval          | xyz",
      "agent --relay-port=many                                              | --relay-port        | many",
      "agent --registry=nowhere:53                                          | --registry          | nowhere:53",
      "registry --device wg0 --zone mesh.example --refresh=soon             | --refresh           | soon",
      "registry --max-handshake-age=3 --kubernetes --mesh prod              | --max-handshake-age | 3",
      "registry --max-udp-payload=big                                       | --max-udp-payload   | big",
      "registry --listen=127.0.0.1:53,10.0.0.1                              | --listen            | 10.0.0.1",
      "operator --lease-duration=xyz                                        | --lease-duration    | xyz",
      "ctl --connect-timeout=xyz status                                     | --connect-timeout   | xyz",
  })
  void badValueIsOneLineAndExitCode2(String commandLine, String option, String value) {
    Run r = wgmesh(commandLine.strip().split("\\s+"));
    String command = "wgmesh " + commandLine.strip().split("\\s+")[0];
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    String line = r.err().strip();
    assertTrue(line.startsWith(command + ": "), line);
    assertTrue(line.contains(option), "names the option: " + line);
    assertTrue(line.contains("'" + value + "'"), "names the value: " + line);
    assertTrue(line.endsWith("try '" + command + " --help'"), line);
    assertFalse(line.contains("Exception") || r.err().contains("\tat "), line);
    assertEquals("", r.out(), "no usage text: the line says where help is");
  }

  @ParameterizedTest(name = "wgmesh {0}")
  @CsvSource(delimiter = '|', value = {
      "agent --intervall=1s     | Unknown option: '--intervall=1s'",
      "ctl --mesh               | Missing required parameter for option '--mesh'",
      "registry extra           | Unmatched argument at index 1: 'extra'",
  })
  void otherUsageErrorsAreOneLineToo(String commandLine, String message) {
    Run r = wgmesh(commandLine.strip().split("\\s+"));
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    assertTrue(r.err().contains(message), r.err());
  }
}
