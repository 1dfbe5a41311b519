package dev.wgmesh.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** The demo's command line: bad input is one line and exit 2, before anything is installed or started. */
class DemoCommandTest {
  @Test
  void aBadTimeoutIsOneLineAndExitTwo() {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(err, true));
      code = DemoCommand.run("--timeout=xyz");
    } finally {
      System.setErr(old);
    }
    String text = err.toString().strip();
    assertEquals(2, code);
    assertEquals(1, text.lines().count(), text);
    assertTrue(text.startsWith("wgmesh demo: ") && text.contains("--timeout") && text.contains("'xyz'"), text);
    assertTrue(text.endsWith("try 'wgmesh demo --help'"), text);
    assertFalse(text.contains("Exception"), text);
  }
}
