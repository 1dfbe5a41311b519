package dev.wgmesh.registry.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.relay.RelayFrame;
import dev.wgmesh.core.relay.RelayFrame.Type;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RelayRouterTest {
  final RelayRouter router = new RelayRouter();
  final InetAddress a = addr("10.99.0.1");
  final InetAddress b = addr("10.99.0.2");
  final InetSocketAddress aUplink = new InetSocketAddress(a, 51821);
  final InetSocketAddress bUplink = new InetSocketAddress(b, 40000);
  Instant now = Instant.parse("2026-11-24T12:00:00Z");

  static InetAddress addr(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  RelayRouter.Decision send(Type type, InetAddress src, InetAddress dst, InetSocketAddress from, byte... payload) {
    byte[] frame = new RelayFrame(type, src, dst, payload).encode();
    return router.route(frame, frame.length, from, now);
  }

  @Test
  void dataGoesToTheRegisteredUplinkOfTheDestination() {
    assertInstanceOf(RelayRouter.Decision.Registered.class, send(Type.HELLO, b, a, bUplink));
    RelayRouter.Decision d = send(Type.DATA, a, b, aUplink, (byte) 4, (byte) 0, (byte) 0, (byte) 0);
    assertEquals(new RelayRouter.Decision.Forward(bUplink), d);
    assertEquals(2, router.routes());
  }

  @Test
  void punchSignalsAreForwardedLikeData() {
    send(Type.HELLO, b, a, bUplink);
    assertEquals(new RelayRouter.Decision.Forward(bUplink), send(Type.PUNCH, a, b, aUplink));
  }

  @Test
  void unknownDestinationGetsOneUnreachableReplyPerSecond() throws Exception {
    RelayRouter.Decision first = send(Type.DATA, a, b, aUplink, (byte) 1);
    RelayRouter.Decision.Reply reply = assertInstanceOf(RelayRouter.Decision.Reply.class, first);
    RelayFrame frame = RelayFrame.decode(reply.frame(), reply.frame().length);
    assertEquals(Type.UNREACHABLE, frame.type());
    assertEquals(b, frame.source());
    assertEquals(aUplink, reply.to());
    assertInstanceOf(RelayRouter.Decision.Drop.class, send(Type.DATA, a, b, aUplink, (byte) 1));
    now = now.plusSeconds(2);
    assertInstanceOf(RelayRouter.Decision.Reply.class, send(Type.DATA, a, b, aUplink, (byte) 1));
  }

  @Test
  void spoofedSourceIsDropped() {
    send(Type.HELLO, b, a, bUplink);
    RelayRouter.Decision d = send(Type.DATA, b, b, aUplink, (byte) 1); // a claims to be b
    assertTrue(((RelayRouter.Decision.Drop) d).reason().contains("does not match"));
  }

  @Test
  void silentAgentsAreForgotten() {
    send(Type.HELLO, b, a, bUplink);
    now = now.plus(RelayRouter.ROUTE_TTL).plusSeconds(1);
    assertInstanceOf(RelayRouter.Decision.Reply.class, send(Type.DATA, a, b, aUplink, (byte) 1));
  }

  @Test
  void garbageIsDroppedWithAReason() {
    byte[] junk = "not a frame at all, just some bytes".getBytes();
    RelayRouter.Decision d = router.route(junk, junk.length, aUplink, now);
    assertTrue(((RelayRouter.Decision.Drop) d).reason().startsWith("malformed"));
    assertInstanceOf(RelayRouter.Decision.Drop.class, router.route(new byte[3], 3, aUplink, now));
  }
}
