package dev.wgmesh.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.registry.dns.DnsServer;
import dev.wgmesh.registry.dns.QueryObserver;
import dev.wgmesh.registry.dns.QueryProcessor;
import dev.wgmesh.registry.dns.ZoneIndex;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.wgmesh.core.cli.Cli;

/** What a user sees when the registry cannot start: a message and a non-zero exit code. */
class RegistryCommandTest {
  record Run(int code, String err) {}

  static Run registry(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true));
      int code = Cli.commandLine(new RegistryCommand()).execute(args);
      return new Run(code, err.toString());
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void badZoneNameIsAUsageError() {
    Run r = registry("--device", "wg0", "--zone", "bad..zone");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'bad..zone' is not a DNS zone"), r.err());
  }

  /** The zone a registry serves follows the rule of a WireGuardMesh's spec.registry.zone in the CRD. */
  @Test
  void zoneFollowsTheCrdsRule() {
    for (String bad : new String[] {"bad_zone!", "-bad"}) {
      for (String[] args : new String[][] {{"--device", "wg0", "--zone", bad}, {"--kubernetes", "--mesh", "prod", "--zone=" + bad}}) {
        Run r = registry(args);
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("registry: Invalid value for option '--zone': '" + bad + "' is not a DNS zone"), r.err());
        assertTrue(r.err().strip().endsWith("try 'registry --help'"), r.err());
        assertTrue(!java.util.regex.Pattern.matches(dev.wgmesh.api.v1alpha1.Patterns.DNS_ZONE, bad), "the CRD refuses it too");
      }
    }
    // A good zone passes; the registry goes on to look for the device (absent here).
    Run good = registry("--device", "wgnotthere9", "--zone", "mesh-1.example.com.");
    assertEquals(1, good.code(), good.err());
    assertTrue(good.err().contains("no WireGuard device named 'wgnotthere9'"), good.err());
  }

  @Test
  void missingDeviceIsNamed() {
    Run r = registry("--device", "wgnotthere9", "--zone", "mesh.example");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no WireGuard device named 'wgnotthere9'"), r.err());
  }

  @Test
  void badDurationIsAUsageError() {
    Run r = registry("--device", "wg0", "--zone", "mesh.example", "--max-handshake-age", "soon");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'soon' is not a duration"), r.err());
  }

  @Test
  void portInUseIsExplained() throws Exception {
    QueryProcessor processor = new QueryProcessor(ZoneIndex.build("mesh.example", List.of(), 1, List.of()), 1232, QueryObserver.NONE);
    try (DnsServer first = DnsServer.start(processor, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), 1)) {
      InetSocketAddress taken = first.addresses().get(0);
      DnsServer.ListenException e = assertThrows(DnsServer.ListenException.class,
          () -> DnsServer.start(processor, List.of(taken), 1));
      assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getPort()), e.getMessage());
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
    }
  }

  @Test
  void addressNotOnThisHostIsExplained() {
    QueryProcessor processor = new QueryProcessor(ZoneIndex.build("mesh.example", List.of(), 1, List.of()), 1232, QueryObserver.NONE);
    DnsServer.ListenException e = assertThrows(DnsServer.ListenException.class,
        () -> DnsServer.start(processor, List.of(new InetSocketAddress("192.0.2.77", 5353)), 1));
    assertTrue(e.getMessage().contains("not configured on this host"), e.getMessage());
  }
}
