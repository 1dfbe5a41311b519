package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@LabTest
class WireGuardLabTest {

  @Test
  void twoPublicHostsHandshakeAndPingThroughTheTunnel() throws IOException {
    try (Lab lab = Lab.create("wg")) {
      Host p1 = lab.publicHost("p1");
      Host p2 = lab.publicHost("p2");
      WgInterface wg1 = p1.wireguard("wg0", "10.99.0.1/24", 51820);
      WgInterface wg2 = p2.wireguard("wg0", "10.99.0.2/24", 51820);
      assertNotEquals(wg1.name(), wg2.name());
      assertTrue(wg1.name().length() <= 15 && wg1.name().startsWith(lab.id()), wg1.name());
      assertTrue(Files.exists(wg1.socket()));

      wg1.addPeer(wg2.publicKey(), p2.endpoint(51820), List.of("10.99.0.2/32"), 0);
      wg2.addPeer(wg1.publicKey(), p1.endpoint(51820), List.of("10.99.0.1/32"), 0);
      p1.execOk("ping", "-c2", "-W3", "10.99.0.2");
      p2.execOk("ping", "-c1", "-W3", "10.99.0.1");

      WgInterface.Peer peer = wg1.peer(wg2.publicKey()).orElseThrow();
      assertTrue(peer.hasHandshake(), wg1.show());
      assertTrue(peer.rxBytes() > 0 && peer.txBytes() > 0, wg1.show());
      assertEquals(List.of("10.99.0.2/32"), peer.allowedIps());
      String handshakes = p2.execOk("wg", "show", wg2.name(), "latest-handshakes").stdout();
      assertTrue(handshakes.startsWith(wg1.publicKey() + "\t") && !handshakes.strip().endsWith("\t0"), handshakes);

      // The private key stays in its 0600 file and appears in no log.
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(wg1.privateKeyFile())));
      String privateKey = Files.readString(wg1.privateKeyFile()).strip();
      assertEquals(44, privateKey.length());
      assertFalse(wg1.show().contains(privateKey));
      try (Stream<Path> logs = Files.list(lab.logDir())) {
        for (Path log : logs.toList()) {
          assertFalse(Files.readString(log).contains(privateKey), log.toString());
        }
      }
    }
  }

  @Test
  void publicHostsHandshakeOverAnIpv6Endpoint() {
    try (Lab lab = Lab.create("wg6")) {
      Host p1 = lab.publicHost("p1");
      Host p2 = lab.publicHost("p2");
      WgInterface wg1 = p1.wireguard("6", "10.98.0.1/24", 0);
      WgInterface wg2 = p2.wireguard("6", "10.98.0.2/24", 0);
      assertTrue(wg1.listenPort() > 0);
      wg1.addPeer(wg2.publicKey(), p2.endpoint6(wg2.listenPort()), List.of("10.98.0.2/32"), 0);
      wg2.addPeer(wg1.publicKey(), null, List.of("10.98.0.1/32"), 0);

      p1.execOk("ping", "-c1", "-W3", "10.98.0.2");

      String endpoint = wg2.peer(wg1.publicKey()).orElseThrow().endpoint();
      assertEquals(p1.endpoint6(wg1.listenPort()), UdpTool.parse(endpoint), endpoint);
    }
  }

  @Test
  void hostBehindNatKeepsATunnelToAPublicPeerThatLearnsItsMappedEndpoint() {
    try (Lab lab = Lab.create("wgnat")) {
      Host reg = lab.publicHost("reg");
      Host a = lab.natHost("a", NatKind.PORT_RESTRICTED);
      WgInterface r = reg.wireguard("wg0", "10.97.0.1/24", 51820);
      WgInterface w = a.wireguard("wg0", "10.97.0.2/24", 51821);
      r.addPeer(w.publicKey(), null, List.of("10.97.0.2/32"), 0);
      w.addPeer(r.publicKey(), reg.endpoint(51820), List.of("10.97.0.1/32"), 1);

      a.execOk(Duration.ofSeconds(20), List.of("ping", "-c1", "-w10", "10.97.0.1"));
      reg.execOk("ping", "-c1", "-W3", "10.97.0.2");

      assertEquals(a.natRouter().publicAddress().getHostAddress() + ":51821",
          r.peer(w.publicKey()).orElseThrow().endpoint(), "the registry sees the NAT mapping, port preserved");
      assertTrue(w.process().log().contains("Received handshake response"), w.process().log());
    }
  }
}
