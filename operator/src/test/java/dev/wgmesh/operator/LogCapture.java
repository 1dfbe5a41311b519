package dev.wgmesh.operator;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Tees System.err, where slf4j-simple writes (it looks System.err up on every line unless told to
 * cache it), so a test can search everything the operator logged.
 */
final class LogCapture {
  private final PrintStream original;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private boolean stopped;

  private LogCapture() {
    original = System.err;
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        original.write(b, off, len);
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  static LogCapture start() {
    return new LogCapture();
  }

  /** Restores System.err (once) and returns what was written meanwhile. */
  synchronized String stop() {
    if (!stopped) {
      System.setErr(original);
      stopped = true;
    }
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }
}
