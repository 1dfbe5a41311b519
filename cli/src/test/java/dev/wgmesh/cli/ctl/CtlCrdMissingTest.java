package dev.wgmesh.cli.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.testapiserver.StrictApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A cluster without the CRDs answers 404 for wgmesh.dev resources: ctl says what to install. */
class CtlCrdMissingTest {
  @Test
  void missingCrdsAreNamed() {
    try (StrictApiServer api = StrictApiServer.builder().withoutCrds().start()) {
      run(api);
    }
  }

  private static void run(StrictApiServer api) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true));
      int code = new CommandLine(new CtlCommand(() -> api.client(StrictApiServer.VIEWER))).execute("status");
      assertEquals(1, code);
    } finally {
      System.setErr(old);
    }
    assertTrue(err.toString().contains("the wgmesh CRDs are not installed"), err.toString());
  }
}
