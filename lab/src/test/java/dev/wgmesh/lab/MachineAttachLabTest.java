package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A server of the test process itself is reachable from lab hosts, also behind NAT, and only while the lab lives. */
@LabTest
class MachineAttachLabTest {
  @Test
  void labHostsReachAServerOfThisProcess() throws Exception {
    String link;
    HttpServer server;
    try (Lab lab = Lab.create("attach")) {
      Host behindNat = lab.natHost("n", NatKind.PORT_RESTRICTED);
      Host outside = lab.publicHost("p");
      InetAddress machine = lab.attachThisMachine();
      server = HttpServer.create(new InetSocketAddress(machine, 0), 4);
      server.createContext("/", exchange -> {
        byte[] body = ("hello " + exchange.getRemoteAddress().getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      int port = server.getAddress().getPort();
      // bash's /dev/tcp keeps this free of extra tools.
      String request = "exec 3<>/dev/tcp/" + machine.getHostAddress() + "/" + port
          + "; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3";
      ExecResult fromNat = behindNat.execOk("bash", "-c", request);
      assertTrue(fromNat.stdout().contains("hello " + behindNat.publicAddress().getHostAddress()), fromNat.stdout());
      ExecResult fromPublic = outside.execOk("bash", "-c", request);
      assertTrue(fromPublic.stdout().contains("hello " + outside.address().getHostAddress()), fromPublic.stdout());
      link = Shell.runOk(java.util.List.of("ip", "-o", "addr", "show", "to", Lab.MACHINE_ADDRESS), Shell.DEFAULT_TIMEOUT).stdout();
      assertFalse(link.isBlank());
      server.stop(0);
    }
    ExecResult after = Shell.run(java.util.List.of("ip", "-o", "addr", "show", "to", Lab.MACHINE_ADDRESS), Shell.DEFAULT_TIMEOUT);
    assertEquals("", after.stdout().strip(), "the machine's link is gone with the lab");
  }
}
