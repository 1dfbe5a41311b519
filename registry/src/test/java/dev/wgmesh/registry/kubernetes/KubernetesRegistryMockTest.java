package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.kube.client.KubeApi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.config.InMemoryDevice;
import dev.wgmesh.core.wg.config.InMemoryLinks;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.kube.NodeSettings;
import dev.wgmesh.registry.RegistryMetrics;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The registry in Kubernetes mode against fabric8's mock API server in CRUD mode: key from the
 * Secret, interface (in memory) from its WireGuardNodeConfig, the zone given as the operator gives it
 * (--zone: under the chart's RBAC the registry may not read the mesh), and DNS-SD and
 * the relay served as standalone (bound to loopback here: the in-memory interface has no addresses).
 */
class KubernetesRegistryMockTest {
  static final String NS = StrictApiServer.NAMESPACE;
  /** The strict test API server, with the chart's RBAC for mesh "prod". */
  StrictApiServer api;
  /** The test's own set-up and checks. */
  KubernetesClient client;
  /** The registry's ServiceAccount. */
  KubeApi registryClient;

  final KeyPair registryKeys = KeyPair.generate();
  final KeyPair n1 = KeyPair.generate();
  final KeyPair n2 = KeyPair.generate();
  final InMemoryLinks links = new InMemoryLinks();
  final InMemoryDevice device = new InMemoryDevice("wgreg");
  final RegistryMetrics metrics = new RegistryMetrics();
  KubernetesRegistry registry;

  @BeforeEach
  void resources() {
    api = StrictApiServer.builder().meshes("prod").start();
    client = api.admin();
    registryClient = dev.wgmesh.kube.ApiServers.client(api, StrictApiServer.REGISTRY);
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("prod").build());
    mesh.getSpec().setNetwork("10.88.0.0/24");
    mesh.getSpec().setRegistry(new dev.wgmesh.api.v1alpha1.WireGuardMeshSpec.RegistrySpec());
    mesh.getSpec().getRegistry().setZone("mesh.example.com");
    client.resource(mesh).create();
    String keyText = registryKeys.privateKey().toBase64() + "\n";
    client.resource(new SecretBuilder().withNewMetadata().withName("prod-registry-key").withNamespace(NS).endMetadata()
        .withData(Map.of("privateKey", Base64.getEncoder().encodeToString(keyText.getBytes(StandardCharsets.US_ASCII)))).build()).create();
  }

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
    metrics.close();
    api.close();
  }

  WireGuardNodeConfig config(WireGuardNodeConfigSpec.Peer... peers) {
    WireGuardNodeConfig c = new WireGuardNodeConfig();
    c.setMetadata(new ObjectMetaBuilder().withName("prod-registry").build());
    c.setSpec(RegistryPureTest.spec(peers));
    c.setStatus(null);
    return c;
  }

  WireGuardNodeConfigSpec.Peer peer(String name, KeyPair keys, String address) {
    return new WireGuardNodeConfigSpec.Peer(name, keys.publicKey().toBase64(), List.of(address), null, null);
  }

  void startRegistry() {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    KubernetesRegistry.Settings settings = KubernetesRegistry.Settings.defaults("prod", NS)
        .withZone(Optional.of("mesh.example.com"))
        .withListen(List.of(loopback))
        .withRelay(List.of(loopback), 51821)
        .withTick(Duration.ofMillis(100))
        .withUdp(1232, 1)
        .withReconcileInterval(Duration.ofMillis(500))
        .withStatusMinInterval(Duration.ofMillis(300));
    InterfaceReconciler reconciler = new InterfaceReconciler("wgreg", links, iface -> {
      links.create(iface);
      return () -> links.remove(iface);
    }, (iface, how) -> device, InetAddress::getByName, Clock.systemUTC());
    registry = new KubernetesRegistry(settings, registryClient, reconciler, metrics, Clock.systemUTC());
    registry.start();
  }

  Message query(String name, int type) throws Exception {
    SimpleResolver resolver = new SimpleResolver(registry.dnsAddresses().get(0));
    resolver.setTimeout(Duration.ofSeconds(2));
    return resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."), type, DClass.IN)));
  }

  WireGuardNodeConfig current() {
    return client.resources(WireGuardNodeConfig.class).withName("prod-registry").get();
  }

  @Test
  void configuresItsInterfaceServesDnsSdAndFollowsChanges() throws Exception {
    client.resource(config(peer("n1", n1, "10.88.0.1/32"), peer("n2", n2, "10.88.0.2/32"))).create();
    startRegistry();
    await().atMost(Duration.ofSeconds(10)).until(() -> device.peer(n2.publicKey()).isPresent() && !registry.dnsAddresses().isEmpty());
    assertEquals(Optional.of(registryKeys.publicKey()), device.read().publicKey(), "the Secret's key");
    assertEquals(51820, device.read().listenPort());
    assertEquals(List.of(IpPrefix.parse("10.88.0.254/24")), links.read("wgreg").orElseThrow().addresses());
    assertEquals(0, device.peer(n1.publicKey()).orElseThrow().persistentKeepalive());
    assertFalse(registry.relayAddresses().isEmpty(), "relay on (discovery.relay Auto)");

    // n1 handshakes from behind its NAT: the registry serves its mapping.
    InetSocketAddress mapping = new InetSocketAddress("203.0.113.20", 40001);
    device.setEndpoint(n1.publicKey(), mapping);
    device.handshake(n1.publicKey(), Instant.now());
    await().atMost(Duration.ofSeconds(5)).until(() -> query(DnsSdNames.instanceName(n1.publicKey(), "mesh.example.com"), Type.SRV).getRcode() == Rcode.NOERROR
        && !query(DnsSdNames.instanceName(n1.publicKey(), "mesh.example.com"), Type.SRV).getSection(Section.ANSWER).isEmpty());
    Message srv = query(DnsSdNames.instanceName(n1.publicKey(), "mesh.example.com"), Type.SRV);
    assertEquals(40001, ((SRVRecord) srv.getSection(Section.ANSWER).get(0)).getPort());
    assertTrue(srv.getSection(Section.ADDITIONAL).stream().anyMatch(r -> r.rdataToString().equals("203.0.113.20")), srv.toString());
    Message n2srv = query(DnsSdNames.instanceName(n2.publicKey(), "mesh.example.com"), Type.SRV);
    assertTrue(n2srv.getSection(Section.ANSWER).isEmpty(), "n2 has no handshake: withheld");

    // Status on its own WireGuardNodeConfig.
    await().atMost(Duration.ofSeconds(10)).until(() -> current().getStatus() != null && current().getStatus().getPublicKey() != null
        && Integer.valueOf(1).equals(current().getStatus().getDirect()));
    assertEquals(registryKeys.publicKey().toBase64(), current().getStatus().getPublicKey());
    assertEquals(current().getMetadata().getGeneration(), current().getStatus().getAppliedGeneration());

    // n2 leaves the mesh: its peer goes, n1's learned endpoint stays.
    client.resources(WireGuardNodeConfig.class).withName("prod-registry").edit(c -> {
      c.setSpec(RegistryPureTest.spec(peer("n1", n1, "10.88.0.1/32")));
      return c;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> device.peer(n2.publicKey()).isEmpty());
    assertEquals(Optional.of(mapping), device.peer(n1.publicKey()).orElseThrow().endpoint());
    List<InetSocketAddress> dnsBefore = registry.dnsAddresses();
    Thread.sleep(1200); // reconciles: the servers are not moved when nothing about them changed
    assertEquals(dnsBefore, registry.dnsAddresses());
    assertTrue(query(DnsSdNames.instanceName(n1.publicKey(), "mesh.example.com"), Type.SRV).getSection(Section.ANSWER).size() == 1);

    // The registry reads its key; it never writes it anywhere.
    String privateBase64 = registryKeys.privateKey().toBase64();
    List<String> sent = new ArrayList<>();
    for (RecordedRequest request : api.drainRequests()) {
      sent.add(request.getMethod() + " " + request.getPath() + " " + request.getBody().readUtf8());
    }
    assertTrue(sent.stream().anyMatch(s -> s.startsWith("PATCH")), sent.toString());
    assertTrue(sent.stream().noneMatch(s -> s.contains(privateBase64) || s.contains(registryKeys.privateKey().toHex())));
  }

  @Test
  void waitsForItsSecretAndStartsWhenItAppears() throws Exception {
    client.secrets().inNamespace(NS).withName("prod-registry-key").delete();
    client.resource(config(peer("n1", n1, "10.88.0.1/32"))).create();
    startRegistry();
    Thread.sleep(1000);
    assertTrue(links.read("wgreg").isEmpty(), "no key, no interface");
    String keyText = registryKeys.privateKey().toBase64();
    client.resource(new SecretBuilder().withNewMetadata().withName("prod-registry-key").withNamespace(NS).endMetadata()
        .withData(Map.of("privateKey", Base64.getEncoder().encodeToString(keyText.getBytes(StandardCharsets.US_ASCII)))).build()).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> device.peer(n1.publicKey()).isPresent());
    assertEquals(Optional.of(registryKeys.publicKey()), device.read().publicKey());
  }
}
