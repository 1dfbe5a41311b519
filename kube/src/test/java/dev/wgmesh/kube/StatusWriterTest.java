package dev.wgmesh.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status writer's rate limits and backoff, with a clock the test moves. */
@EnableKubernetesMockClient(crud = true)
class StatusWriterTest {
  KubernetesClient client;

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

  WireGuardNodeConfigStatus status(long generation, String handshake) {
    WireGuardNodeConfigStatus s = new WireGuardNodeConfigStatus();
    s.setAppliedGeneration(generation);
    s.setPublicKey(key);
    s.setDirect(1);
    s.setRelayed(0);
    s.setPending(0);
    s.setPeers(List.of(new WireGuardNodeConfigStatus.PeerStatus("n2", "direct", "198.51.100.2:51820", handshake)));
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
    try (StatusWriter w = new StatusWriter(client, "n1", Duration.ofSeconds(5), Duration.ofSeconds(60), clock)) {
      // The object does not exist yet: the write fails, and the next attempt waits longer each time.
      assertTrue(offer(w, status(1, "2026-11-24T11:59:00Z")));
      clock.advance(Duration.ofSeconds(6));
      assertFalse(offer(w, status(1, "2026-11-24T11:59:00Z")), "after one failure: 10 s");
      clock.advance(Duration.ofSeconds(5));
      assertTrue(offer(w, status(1, "2026-11-24T11:59:00Z")));
      clock.advance(Duration.ofSeconds(19));
      assertFalse(offer(w, status(1, "2026-11-24T11:59:00Z")), "after two failures: 20 s");
      assertEquals(0, w.writes());

      client.resource(config("n1")).create();
      clock.advance(Duration.ofSeconds(2));
      assertTrue(offer(w, status(1, "2026-11-24T11:59:00Z")));
      assertEquals(1, w.writes());
      assertEquals(1L, client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getAppliedGeneration());

      clock.advance(Duration.ofSeconds(10));
      assertFalse(offer(w, status(1, "2026-11-24T11:59:00Z")), "unchanged: not written");
      assertFalse(offer(w, status(1, "2026-11-24T12:00:05Z")), "only a handshake time changed: waits for the 60 s");
      assertTrue(offer(w, status(2, "2026-11-24T12:00:05Z")), "a real change: written");
      clock.advance(Duration.ofSeconds(1));
      assertFalse(offer(w, status(3, "2026-11-24T12:00:05Z")), "at most one write per 5 s");
      clock.advance(Duration.ofSeconds(4));
      assertTrue(offer(w, status(3, "2026-11-24T12:00:05Z")));
      clock.advance(Duration.ofSeconds(61));
      assertTrue(offer(w, status(3, "2026-11-24T12:01:10Z")), "handshake times refreshed after 60 s");
      assertEquals(4, w.writes());
      assertEquals("2026-11-24T12:01:10Z",
          client.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getPeers().get(0).getLastHandshake());
    }
  }
}
