package dev.wgmesh.kube;

import dev.wgmesh.kube.client.KubeApi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.wgmesh.testapiserver.StrictApiServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status writer's rate limits and backoff, with a clock the test moves, as an agent against the strict test API server. */
class StatusWriterTest {
  StrictApiServer api;
  /** The test's own reads and writes. */
  KubernetesClient client;
  /** The writer's: the agent of node n1, with the chart's RBAC. */
  KubeApi agent;

  @BeforeEach
  void start() {
    api = StrictApiServer.start();
    client = api.admin();
    agent = ApiServers.client(api, StrictApiServer.agentOn("n1"));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-11-24T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  final String key = KeyPair.generate().publicKey().toBase64();

  /** A status with one peer on its best path (counted) and {@code relayed} listed. */
  WireGuardNodeConfigStatus status(long generation, String relayed) {
    WireGuardNodeConfigStatus s = new WireGuardNodeConfigStatus();
    s.setAppliedGeneration(generation);
    s.setPublicKey(key);
    s.setDirect(1);
    s.setRelayed(1);
    s.setPending(0);
    s.setPaths(new java.util.TreeMap<>(java.util.Map.of("direct", 1, "relayed", 1)));
    s.setPeers(List.of(new WireGuardNodeConfigStatus.PeerStatus(relayed, "relayed", "relayed", null, null)));
    return s;
  }

  /** A node config with just enough spec to exist; the writer touches its status only. */
  static WireGuardNodeConfig config(String name) {
    WireGuardNodeConfig c = new WireGuardNodeConfig();
    c.setMetadata(new ObjectMetaBuilder().withName(name).build());
    c.getSpec().setMesh("prod");
    c.getSpec().setNodeName(name);
    c.getSpec().getInterfaceSpec().setAddresses(List.of("10.88.0.1/24"));
    c.setStatus(null);
    return c;
  }

  boolean offer(StatusWriter w, WireGuardNodeConfigStatus s) {
    boolean started = w.offer(s);
    await().atMost(Duration.ofSeconds(5)).until(() -> !w.busy());
    return started;
  }

  @Test
  void writesOnlyChangesAtTheRatesAndBacksOffOnFailure() {
    MovableClock clock = new MovableClock();
    try (StatusWriter w = new StatusWriter(agent, "n1", Duration.ofSeconds(5), clock)) {
      // The object does not exist yet: the write fails, and the next attempt waits longer each time.
      assertTrue(offer(w, status(1, "n2")));
      clock.advance(Duration.ofSeconds(6));
      assertFalse(offer(w, status(1, "n2")), "after one failure: 10 s");
      clock.advance(Duration.ofSeconds(5));
      assertTrue(offer(w, status(1, "n2")));
      clock.advance(Duration.ofSeconds(19));
      assertFalse(offer(w, status(1, "n2")), "after two failures: 20 s");
      assertEquals(0, w.writes());

      client.resource(config("n1")).create();
      clock.advance(Duration.ofSeconds(2));
      assertTrue(offer(w, status(1, "n2")));
      assertEquals(1, w.writes());
      assertEquals(1L, client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getAppliedGeneration());

      clock.advance(Duration.ofSeconds(10));
      assertFalse(offer(w, status(1, "n2")), "unchanged: not written");
      assertTrue(offer(w, status(2, "n2")), "a real change: written");
      clock.advance(Duration.ofSeconds(1));
      assertFalse(offer(w, status(3, "n2")), "at most one write per 5 s");
      clock.advance(Duration.ofSeconds(4));
      assertTrue(offer(w, status(3, "n2")));
      clock.advance(Duration.ofMinutes(10));
      assertFalse(offer(w, status(3, "n2")), "a steady node writes nothing, however long");
      assertTrue(offer(w, status(3, "n3")), "another peer relayed: written");
      assertEquals(4, w.writes());
      WireGuardNodeConfigStatus stored = client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus();
      assertEquals("n3", stored.getPeers().get(0).getName());
      assertEquals(java.util.Map.of("direct", 1, "relayed", 1), stored.getPaths());
    }
  }

  @Test
  void aChangeOfCountsAloneWaitsLongerTheMorePeersTheNodeHasWhileOtherChangesGoOutAtOnce() {
    MovableClock clock = new MovableClock();
    client.resource(config("n1")).create();
    try (StatusWriter w = new StatusWriter(agent, "n1", Duration.ofSeconds(5), clock)) {
      WireGuardNodeConfigStatus s = status(1, "n2");
      s.setDirect(199); // 200 peers: counts alone wait about 20 s
      assertTrue(offer(w, s));

      clock.advance(Duration.ofSeconds(6));
      s.setDirect(200); // a node joined and was reached directly
      assertFalse(offer(w, s), "counts alone, 6 s after the last write: they wait");
      assertTrue(w.unwritten());
      clock.advance(Duration.ofSeconds(10));
      assertFalse(offer(w, s), "16 s: still waiting");
      clock.advance(Duration.ofSeconds(5));
      assertTrue(offer(w, s), "21 s (201 peers: 20.1 s): written");
      assertFalse(w.unwritten());
      assertEquals(200, client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getDirect());

      clock.advance(Duration.ofSeconds(5));
      WireGuardNodeConfigStatus relayedChanged = status(1, "n3");
      relayedChanged.setDirect(200);
      assertTrue(offer(w, relayedChanged), "another peer relayed: written as soon as the minimum interval allows");
      assertEquals("n3", client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getPeers().get(0).getName());

      clock.advance(Duration.ofSeconds(5));
      WireGuardNodeConfigStatus small = status(1, "n3");
      small.setDirect(3); // a small node: counts alone wait only the minimum interval
      assertTrue(offer(w, small));
    }
  }

  @Test
  void theFirstWriteOfAConfigWithoutStatusWorksAndLeavesTheOperatorsConditions() {
    client.resource(config("n1")).create();
    MovableClock clock = new MovableClock();
    try (StatusWriter w = new StatusWriter(agent, "n1", Duration.ofSeconds(5), clock)) {
      assertTrue(offer(w, status(1, "n2")));
      assertEquals(1, w.writes(), "a new object has no status: the write must not depend on one");
      client.resources(WireGuardNodeConfig.class).withName("n1").subresource("status").patch(
          io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
          "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Planned\",\"message\":\"\","
              + "\"lastTransitionTime\":\"2026-11-24T12:00:00Z\"}]}}");
      WireGuardNodeConfigStatus cleared = status(2, "n2");
      cleared.setPeers(List.of());
      cleared.setDirect(null);
      clock.advance(Duration.ofSeconds(6));
      assertTrue(offer(w, cleared));
      WireGuardNodeConfigStatus stored = client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus();
      assertEquals(2L, stored.getAppliedGeneration());
      assertEquals(List.of(), stored.getPeers(), "lists are replaced, not merged");
      assertEquals(null, stored.getDirect(), "a field without a value is removed");
      assertEquals(1, stored.getConditions().size(), "the operator's conditions stay");
    }
  }
}
