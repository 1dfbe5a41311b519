package dev.wgmesh.agent.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which registry carries a relayed peer's frames. */
class RelayRoutesTest {
  final Instant t0 = Instant.parse("2026-11-29T12:00:00Z");
  final InetAddress peer = InetAddress.getLoopbackAddress();

  @Test
  void framesGoThroughThePreferredRegistryAndMoveWhenItStopsAnswering() {
    RelayRoutes routes = new RelayRoutes(2);
    assertEquals(0, routes.registryFor(peer, t0), "the mesh's first registry, before anything is known");
    routes.prefer(List.of(1));
    assertEquals(1, routes.registryFor(peer, t0));
    routes.prefer(List.of(0, 1));
    assertEquals(0, routes.registryFor(peer, t0));
  }

  @Test
  void aRegistryThatDoesNotKnowThePeerIsAvoidedForThatPeerForAWhile() throws Exception {
    RelayRoutes routes = new RelayRoutes(2);
    InetAddress other = InetAddress.getByName("10.88.0.9");
    routes.unreachableVia(peer, 0, t0);
    assertEquals(1, routes.registryFor(peer, t0.plusSeconds(1)));
    assertEquals(0, routes.registryFor(other, t0.plusSeconds(1)), "other peers keep the preferred registry");
    assertEquals(0, routes.registryFor(peer, t0.plus(RelayRoutes.AVOID_FOR)), "tried again later");
  }

  @Test
  void aFrameFromThePeerThroughTheRegistryEndsTheAvoidance() {
    RelayRoutes routes = new RelayRoutes(2);
    routes.unreachableVia(peer, 0, t0);
    routes.heardVia(peer, 1);
    assertEquals(1, routes.registryFor(peer, t0), "another registry's frame says nothing of the first");
    routes.heardVia(peer, 0);
    assertEquals(0, routes.registryFor(peer, t0), "the peer has said HELLO there since");
  }

  @Test
  void whenEveryRegistryIsAvoidedThePreferredOneIsUsed() {
    RelayRoutes routes = new RelayRoutes(2);
    routes.unreachableVia(peer, 0, t0);
    routes.unreachableVia(peer, 1, t0);
    assertEquals(0, routes.registryFor(peer, t0));
  }
}
