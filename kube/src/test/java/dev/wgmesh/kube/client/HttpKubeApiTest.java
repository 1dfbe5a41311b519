package dev.wgmesh.kube.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.kube.ApiServers;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node daemons' client against the strict test API server (the chart's RBAC): answers, refusals and unreachable servers as one-line errors. */
class HttpKubeApiTest {
  StrictApiServer api;
  KubeApi agent;

  @BeforeEach
  void start() {
    api = StrictApiServer.start();
    agent = ApiServers.client(api, StrictApiServer.agentOn("n1"));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void getsWhatExistsAndEmptyForWhatDoesNot() {
    api.admin().resource(new NodeBuilder().withNewMetadata().withName("n1").endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress("192.0.2.1").endAddress().endStatus().build()).create();
    var node = agent.get(ResourceKind.NODES, null, "n1").orElseThrow();
    assertEquals("192.0.2.1", node.path("status").path("addresses").get(0).path("address").asText());
    assertEquals(java.util.Optional.empty(), agent.get(ResourceKind.PEERS, null, "n1"));
  }

  @Test
  void aRefusalIsOneLineWithItsCode() {
    KubeApiException e = assertThrows(KubeApiException.class, () -> agent.get(ResourceKind.SECRETS, "wgmesh-system", "anything"));
    assertEquals(403, e.code());
    assertTrue(e.getMessage().startsWith("GET " + api.url() + "/api/v1/namespaces/wgmesh-system/secrets/anything: 403 Forbidden"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    api.takeRejections(r -> true);
  }

  @Test
  void aConflictIsReportedAs409() {
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("n1").build());
    peer.getSpec().setMesh("wgmesh");
    peer.getSpec().setNodeName("n1");
    peer.getSpec().setPublicKey(dev.wgmesh.core.key.KeyPair.generate().publicKey().toBase64());
    WireGuardPeer created = agent.create(ResourceKind.PEERS, peer);
    assertEquals("n1", created.getMetadata().getName());
    KubeApiException e = assertThrows(KubeApiException.class, () -> agent.create(ResourceKind.PEERS, peer));
    assertEquals(409, e.code());
  }

  @Test
  void anUnreachableServerIsCodeZeroAndOneLine() throws Exception {
    KubeApi away = ApiServers.client(ApiServers.freePort(), StrictApiServer.agentOn("n1"));
    KubeApiException get = assertThrows(KubeApiException.class, () -> away.get(ResourceKind.PEERS, null, "n1"));
    assertEquals(0, get.code());
    assertFalse(get.getMessage().contains("\n"), get.getMessage());
    KubeApiException watch = assertThrows(KubeApiException.class,
        () -> away.watch(ResourceKind.PEER_SETS, null, "1", new KubeApi.WatchListener<>() {
          @Override
          public void onEvent(String type, dev.wgmesh.api.v1alpha1.WireGuardPeerSet object) {}

          @Override
          public void onClose(KubeApiException error) {}
        }));
    assertEquals(0, watch.code());
    assertTrue(watch.getMessage().startsWith("watch "), watch.getMessage());
  }

  @Test
  void inAPodItUsesTheServiceAccount(@TempDir Path sa) throws Exception {
    Files.writeString(sa.resolve("token"), "t0k3n\n");
    Files.writeString(sa.resolve("namespace"), "wgmesh-system");
    HttpKubeApi inPod = HttpKubeApi.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"), sa);
    assertEquals("https://10.96.0.1:443", inPod.masterUrl());
    assertEquals("wgmesh-system", inPod.namespace().orElseThrow());
    HttpKubeApi v6 = HttpKubeApi.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "6443"), sa);
    assertEquals("https://[fd00::1]:6443", v6.masterUrl());
    HttpKubeApi master = HttpKubeApi.fromEnvironment(Map.of("KUBERNETES_MASTER", api.url(), "KUBERNETES_AUTH_TOKEN",
        api.token(StrictApiServer.agentOn("n1")), "KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false"), sa);
    assertEquals(api.url(), master.masterUrl());
    assertEquals(java.util.Optional.empty(), master.namespace());
    assertEquals(java.util.Optional.empty(), master.get(ResourceKind.PEERS, null, "n1"));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> HttpKubeApi.fromEnvironment(Map.of("KUBERNETES_MASTER", "ftp://x"), sa));
    assertTrue(bad.getMessage().startsWith("KUBERNETES_MASTER ftp://x"), bad.getMessage());
  }
}
