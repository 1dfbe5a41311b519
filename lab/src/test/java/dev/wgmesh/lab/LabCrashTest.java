package dev.wgmesh.lab;

import static dev.wgmesh.lab.LabLifecycleTest.netnsList;
import static dev.wgmesh.lab.LabLifecycleTest.sockets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A lab whose JVM ends without closing it, orderly or by SIGKILL, leaves nothing behind for long. */
@LabTest
class LabCrashTest {

  @Test
  void theShutdownHookClosesALabThatWasNotClosed() throws Exception {
    Process child = startFixture("exit");
    try {
      String[] lab = awaitLab(child);
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM ended");
      assertLabGone(lab[0], Long.parseLong(lab[1]));
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void aLabOfAKilledJvmIsSweptByTheNextLab() throws Exception {
    Process child = startFixture("hang");
    String[] lab;
    try {
      lab = awaitLab(child);
      assertTrue(netnsList().contains(lab[0] + "-a"));
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    String id = lab[0];
    long wireguardGo = Long.parseLong(lab[1]);
    assertTrue(ProcessHandle.of(wireguardGo).isPresent(), "SIGKILL leaves the wireguard-go child running");
    assertFalse(Leftovers.isLive(id));

    try (Lab next = Lab.create("after-crash")) {
      assertLabGone(id, wireguardGo);
      assertTrue(Leftovers.isLive(next.id()));
    }
  }

  private static void assertLabGone(String id, long wireguardGo) throws Exception {
    assertTrue(netnsList().stream().noneMatch(n -> n.startsWith(id)), netnsList().toString());
    assertEquals(List.of(), sockets(id));
    assertFalse(Files.exists(Leftovers.STATE_DIR.resolve(id)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Leftovers.isRunning(wireguardGo) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(Leftovers.isRunning(wireguardGo), "wireguard-go ended");
  }

  private static Process startFixture(String mode) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = Path.of("target", "lab-logs", "crash-fixture-" + mode + ".log");
    Files.createDirectories(log.getParent());
    return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        LabCrashFixture.class.getName(), mode)
        .redirectError(log.toFile())
        .start();
  }

  /** Reads the fixture's "LAB <id> <wireguard-go pid>" line. */
  private static String[] awaitLab(Process child) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("LAB ")) {
        String[] f = line.split(" ");
        return new String[] {f[1], f[2]};
      }
    }
    throw new AssertionError("the fixture printed no LAB line; see target/lab-logs/crash-fixture-*.log");
  }
}
