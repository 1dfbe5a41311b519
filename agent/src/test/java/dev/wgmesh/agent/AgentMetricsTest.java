package dev.wgmesh.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.PathKind;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the agent reports is what Prometheus scrapes. */
class AgentMetricsTest {
  @Test
  void pathsSwitchesTimeToPathAndRelayedBytes() throws Exception {
    try (AgentMetrics metrics = new AgentMetrics()) {
      metrics.paths(Map.of(PathKind.DIRECT, 2, PathKind.RELAYED, 1, PathKind.LAN, 3, PathKind.PENDING, 0));
      metrics.switched(PathKind.PENDING, PathKind.DIRECT, Duration.ofMillis(800));
      metrics.switched(PathKind.PENDING, PathKind.RELAYED, Duration.ofSeconds(1));
      metrics.switched(PathKind.RELAYED, PathKind.DIRECT, null);
      metrics.relayed(true, 148);
      metrics.relayed(false, 92);
      metrics.registry("10.88.255.254", true);
      metrics.registry("10.88.255.253", true);
      metrics.registry("10.88.255.254", false);

      InetSocketAddress at = metrics.serve(new InetSocketAddress("127.0.0.1", 0));
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      String text = r.body();
      assertTrue(text.contains("wgmesh_agent_peers{path=\"direct\"} 2.0"), text);
      assertTrue(text.contains("wgmesh_agent_peers{path=\"relayed\"} 1.0"), text);
      assertTrue(text.contains("wgmesh_agent_peers{path=\"lan\"} 3.0"), text);
      assertTrue(text.contains("wgmesh_agent_peers{path=\"ipv6\"} 0.0"), text);
      assertTrue(text.contains("wgmesh_agent_peers{path=\"pending\"} 0.0"), text);
      assertTrue(text.contains("wgmesh_agent_path_switches_total{from=\"relayed\",to=\"direct\"} 1.0"), text);
      assertTrue(text.contains("wgmesh_agent_time_to_path_seconds_count{path=\"direct\"} 1"), text);
      assertTrue(text.contains("wgmesh_agent_time_to_path_seconds_bucket{path=\"direct\",le=\"0.894784851\"} 1"), text);
      assertTrue(text.contains("wgmesh_agent_relay_bytes_total{direction=\"to_registry\"} 148.0"), text);
      assertTrue(text.contains("wgmesh_agent_relay_bytes_total{direction=\"from_registry\"} 92.0"), text);
      assertTrue(text.contains("wgmesh_agent_registry_up{registry=\"10.88.255.254\"} 0.0"), text);
      assertTrue(text.contains("wgmesh_agent_registry_up{registry=\"10.88.255.253\"} 1.0"), text);
    }
  }

  @Test
  void peersAreServedAsJsonWithPublicKeysOnly() throws Exception {
    dev.wgmesh.core.key.KeyPair near = dev.wgmesh.core.key.KeyPair.generate();
    dev.wgmesh.core.key.KeyPair far = dev.wgmesh.core.key.KeyPair.generate();
    java.time.Instant handshake = java.time.Instant.parse("2026-11-24T12:00:07.250Z");
    java.util.List<PeerDetail> details = PeerDetail.of(
        Map.of(near.publicKey(), PeerDetail.Path.of(PathKind.LAN), far.publicKey(),
            new PeerDetail.Path(PathKind.RELAYED, false, java.util.Optional.of(java.time.Instant.parse("2026-11-24T12:01:07.900Z")))),
        Map.of(near.publicKey(), new dev.wgmesh.core.wg.PeerState(near.publicKey(), java.util.Optional.of(new InetSocketAddress("192.168.1.7", 51820)),
            java.util.List.of(), java.util.Optional.of(handshake), 10, 20, 25, false)),
        Map.of(near.publicKey(), java.net.InetAddress.getByName("10.88.0.9"), far.publicKey(), java.net.InetAddress.getByName("10.88.0.10")));
    try (AgentMetrics metrics = new AgentMetrics()) {
      metrics.peers(details);
      InetSocketAddress at = metrics.serve(new InetSocketAddress("127.0.0.1", 0));
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/peers")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
      assertEquals("{\"peers\":[{\"publicKey\":\"" + far.publicKey().toBase64() + "\",\"address\":\"10.88.0.10\",\"path\":\"relayed\","
          + "\"endpoint\":null,\"lastHandshake\":null,\"probing\":false,\"nextProbe\":\"2026-11-24T12:01:07Z\"},{\"publicKey\":\""
          + near.publicKey().toBase64() + "\",\"address\":\"10.88.0.9\",\"path\":\"lan\",\"endpoint\":\"192.168.1.7:51820\","
          + "\"lastHandshake\":\"2026-11-24T12:00:07Z\",\"probing\":false,\"nextProbe\":null}]}", r.body(),
          "by tunnel address as text; what the device showed last; whole seconds");
    }
  }
}
