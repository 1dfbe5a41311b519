package dev.wgmesh.agent.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.core.relay.RelayFrame;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay link with two registries, on loopback addresses standing in for tunnel addresses: a
 * peer's frames go through the preferred registry, move when the agent prefers another, and avoid
 * a registry that answers UNREACHABLE; frames from either registry reach WireGuard.
 */
class RelayLinkTest {
  final InetAddress own = address("127.0.0.1");
  final InetAddress peer = address("127.0.0.9");
  DatagramSocket registryA;
  DatagramSocket registryB;
  DatagramSocket wireGuard;
  RelayLink link;

  static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void close() {
    for (AutoCloseable c : new AutoCloseable[] {link, registryA, registryB, wireGuard}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  /** Where the link sends from, as a registry learns it from its frames. */
  InetSocketAddress uplink;

  RelayFrame receive(DatagramSocket registry) throws Exception {
    byte[] buffer = new byte[2048];
    while (true) {
      DatagramPacket p = new DatagramPacket(buffer, buffer.length);
      registry.receive(p);
      uplink = (InetSocketAddress) p.getSocketAddress();
      RelayFrame frame = RelayFrame.decode(p.getData(), p.getLength());
      if (frame.type() != RelayFrame.Type.HELLO) {
        return frame;
      }
    }
  }

  @Test
  void framesFollowThePreferredRegistryAndComeBackFromAny() throws Exception {
    registryA = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
    registryB = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0));
    wireGuard = new DatagramSocket(new InetSocketAddress(own, 0));
    for (DatagramSocket s : List.of(registryA, registryB, wireGuard)) {
      s.setSoTimeout(5000);
    }
    link = new RelayLink(List.of((InetSocketAddress) registryA.getLocalSocketAddress(), (InetSocketAddress) registryB.getLocalSocketAddress()),
        own, 0, wireGuard.getLocalPort(), a -> a.equals(peer), a -> {});
    InetSocketAddress endpoint = link.endpointFor(peer);

    wireGuard.send(new DatagramPacket(new byte[] {1}, 1, endpoint));
    RelayFrame first = receive(registryA);
    assertEquals(peer, first.destination());
    assertArrayEquals(new byte[] {1}, first.payload());

    link.prefer(List.of(1)); // registry A stopped answering
    wireGuard.send(new DatagramPacket(new byte[] {2}, 1, endpoint));
    assertArrayEquals(new byte[] {2}, receive(registryB).payload());
    assertEquals(endpoint, link.endpointFor(peer), "WireGuard's endpoint stays the same");

    link.prefer(List.of(0, 1)); // back; but A restarted and does not know the peer yet
    byte[] unreachable = new RelayFrame(RelayFrame.Type.UNREACHABLE, peer, own, new byte[0]).encode();
    registryA.send(new DatagramPacket(unreachable, unreachable.length, uplink));
    Thread.sleep(200);
    wireGuard.send(new DatagramPacket(new byte[] {3}, 1, endpoint));
    assertArrayEquals(new byte[] {3}, receive(registryB).payload(), "avoids the registry that does not know the peer");

    byte[] data = new RelayFrame(RelayFrame.Type.DATA, peer, own, new byte[] {7, 7}).encode();
    registryB.send(new DatagramPacket(data, data.length, uplink));
    DatagramPacket got = new DatagramPacket(new byte[64], 64);
    wireGuard.receive(got);
    assertEquals(2, got.getLength());
    assertEquals(endpoint, got.getSocketAddress(), "handed to WireGuard from the peer's relay socket");
  }
}
