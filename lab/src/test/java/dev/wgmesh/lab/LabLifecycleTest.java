package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@LabTest
class LabLifecycleTest {

  @Test
  void closeRemovesEveryNamespaceProcessSocketAndMarkerAndIsIdempotent() throws IOException {
    Lab lab = Lab.create("close");
    String id = lab.id();
    ManagedProcess sleeper;
    WgInterface wg;
    try {
      assertTrue(id.matches("wl[0-9a-f]{4}"), id);
      Host p = lab.publicHost("p");
      Host a = lab.natHost("a", NatKind.SYMMETRIC);
      wg = a.wireguard("wg0", "10.96.0.2/24", 51820);
      p.wireguard("wg0", null, 0);
      sleeper = p.spawn("sleep", List.of("sleep", "600"));
      assertEquals(List.of(id + "-inet", id + "-p", id + "-a-nat", id + "-a"), lab.namespaces());
      assertTrue(netnsList().containsAll(lab.namespaces()), netnsList().toString());
      assertTrue(Files.isDirectory(Leftovers.STATE_DIR.resolve(id)));
      assertTrue(Leftovers.isLive(id));
      assertEquals(2, sockets(id).size());
    } finally {
      lab.close();
    }
    assertTrue(netnsList().stream().noneMatch(n -> n.startsWith(id)), netnsList().toString());
    assertEquals(List.of(), sockets(id));
    assertFalse(Files.exists(Leftovers.STATE_DIR.resolve(id)));
    assertFalse(sleeper.isAlive());
    assertFalse(wg.process().isAlive());
    assertFalse(Files.exists(wg.privateKeyFile()));
    assertTrue(Files.exists(lab.logDir().resolve("p-sleep.log")), "logs are kept");

    lab.close();
    assertThrows(IllegalStateException.class, () -> lab.publicHost("q"));
  }

  @Test
  void twoLabsUseTheSameHostNamesWithoutColliding() {
    try (Lab one = Lab.create("one"); Lab two = Lab.create("two")) {
      assertNotEquals(one.id(), two.id());
      Host a1 = one.publicHost("a");
      Host a2 = two.publicHost("a");
      WgInterface w1 = a1.wireguard("wg0", "10.95.0.1/24", 51820);
      WgInterface w2 = a2.wireguard("wg0", "10.95.0.1/24", 51820);
      assertNotEquals(w1.name(), w2.name());
      // Same addresses, separate worlds: each lab's host answers in its own lab.
      a1.execOk("ping", "-c1", "-W2", "10.95.0.1");
      a2.execOk("ping", "-c1", "-W2", "10.95.0.1");
      WgInterface longName = a1.wireguard("averylongsuffix", null, 0);
      assertTrue(longName.name().length() <= 15 && longName.name().startsWith(one.id()), longName.name());
      assertThrows(IllegalArgumentException.class, () -> one.publicHost("a"));
      assertThrows(IllegalArgumentException.class, () -> one.publicHost("Bad-Name"));
      assertThrows(IllegalArgumentException.class, () -> a1.wireguard("wg0", null, 0));
    }
  }

  @Test
  void execReportsCommandExitCodeAndStderrAndTimesOut() {
    try (Lab lab = Lab.create("exec")) {
      Host h = lab.publicHost("h");
      ExecResult r = h.exec("sh", "-c", "echo out; echo err >&2; exit 3");
      assertEquals(3, r.exitCode());
      assertEquals("out\n", r.stdout());
      assertEquals("err\n", r.stderr());
      LabCommandException e = assertThrows(LabCommandException.class, () -> h.execOk("sh", "-c", "echo boom >&2; exit 4"));
      assertTrue(e.getMessage().contains("exit code 4") && e.getMessage().contains("boom")
          && e.getMessage().contains("ip netns exec " + h.namespace() + " sh -c"), e.getMessage());
      long start = System.nanoTime();
      assertThrows(LabCommandException.class, () -> h.exec(Duration.ofMillis(500), List.of("sleep", "30")));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
      ManagedProcess p = h.spawn("talker", List.of("sh", "-c", "echo hello; echo oops >&2; exec sleep 600"));
      p.awaitLog("oops", Duration.ofSeconds(10));
      assertTrue(p.log().contains("hello"));
      assertEquals(List.of(p.pid()), h.pids());
      ManagedProcess java = h.spawnJava("java-echo", UdpTool.class.getName(), "echo", "9000");
      java.awaitLog("listening 9000", Duration.ofSeconds(30));
      LabCommandException died = assertThrows(LabCommandException.class,
          () -> h.spawn("dies", List.of("sh", "-c", "echo bye; exit 7")).awaitLog("never", Duration.ofSeconds(10)));
      assertTrue(died.getMessage().contains("exited with 7") && died.getMessage().contains("bye"), died.getMessage());
    }
  }

  @Test
  void sweepRemovesWhatALabOfADeadProcessLeftBehind() throws Exception {
    String id;
    do {
      id = String.format("wl%04x", (int) (Math.random() * 0x10000));
    } while (Files.exists(Leftovers.STATE_DIR.resolve(id)));
    String ns = id + "-x";
    Path socket = Leftovers.WG_SOCKET_DIR.resolve(id + "-x-wg0.sock");
    Process dead = new ProcessBuilder("true").start();
    dead.waitFor();
    Process sleeper = null;
    try {
      Files.createDirectories(Leftovers.STATE_DIR.resolve(id));
      Files.writeString(Leftovers.STATE_DIR.resolve(id).resolve("owner"), "pid " + dead.pid() + "\nstart -\npurpose test\n");
      Shell.runOk(List.of("ip", "netns", "add", ns), Shell.DEFAULT_TIMEOUT);
      sleeper = new ProcessBuilder("ip", "netns", "exec", ns, "sleep", "600").start();
      Files.createDirectories(Leftovers.WG_SOCKET_DIR);
      Files.writeString(socket, "");
      assertFalse(Leftovers.isLive(id));
      assertTrue(netnsList().contains(ns));

      assertTrue(Lab.sweepStale() >= 1);

      assertFalse(netnsList().contains(ns));
      assertFalse(Files.exists(socket));
      assertFalse(Files.exists(Leftovers.STATE_DIR.resolve(id)));
      assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the process left in the namespace was killed");
    } finally {
      if (sleeper != null) {
        sleeper.destroyForcibly();
      }
      Shell.run(List.of("ip", "netns", "del", ns), Shell.DEFAULT_TIMEOUT);
      Files.deleteIfExists(socket);
      Files.deleteIfExists(Leftovers.STATE_DIR.resolve(id).resolve("owner"));
      Files.deleteIfExists(Leftovers.STATE_DIR.resolve(id));
    }
  }

  @Test
  void aLiveLabIsNotSwept() {
    try (Lab lab = Lab.create("live")) {
      lab.publicHost("p");
      Lab.sweepStale();
      assertTrue(netnsList().contains(lab.id() + "-p"));
      assertTrue(Leftovers.isLive(lab.id()));
    }
  }

  static List<String> netnsList() {
    return Shell.runOk(List.of("ip", "netns", "list"), Shell.DEFAULT_TIMEOUT).stdout().lines()
        .map(l -> l.split(" ")[0]).toList();
  }

  static List<String> sockets(String id) throws IOException {
    if (!Files.isDirectory(Leftovers.WG_SOCKET_DIR)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(Leftovers.WG_SOCKET_DIR)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(id)).toList();
    }
  }
}
