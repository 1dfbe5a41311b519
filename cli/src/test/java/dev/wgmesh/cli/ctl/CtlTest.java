package dev.wgmesh.cli.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import dev.wgmesh.testapiserver.StrictApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * wgmesh ctl against the strict test API server holding a small mesh, as the operator and agents
 * leave it (objects created, then their status written, as a real server needs); ctl reads as a
 * user bound to the chart's wgmesh-view ClusterRole.
 */
class CtlTest {
  StrictApiServer api;
  /** The test's own set-up. */
  KubernetesClient client;

  /** Creates the object and then writes its status, as its writers do (a create drops the status). */
  <T extends io.fabric8.kubernetes.client.CustomResource<?, ?>> void createWithStatus(T object) {
    Object status = object.getStatus();
    T created = client.resource(object).create();
    client.resource(created).subresource("status").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", status)));
  }

  @org.junit.jupiter.api.AfterEach
  void stop() {
    api.close();
  }
  final KeyPair laptopKeys = KeyPair.generate();
  final String registryKey = KeyPair.generate().publicKey().toBase64();

  static Condition ready(boolean yes, String reason, String message) {
    return new Condition("Ready", yes ? "True" : "False", reason, message);
  }

  WireGuardPeer peer(String name, String node, String key, String address, List<String> allowed, Condition... conditions) {
    WireGuardPeer p = new WireGuardPeer();
    p.setMetadata(new ObjectMetaBuilder().withName(name).build());
    p.getSpec().setMesh("prod");
    p.getSpec().setNodeName(node);
    p.getSpec().setPublicKey(key);
    p.getStatus().setAddress(address);
    p.getStatus().setAllowedIPs(allowed);
    p.getStatus().setConditions(List.of(conditions));
    return p;
  }

  WireGuardNodeConfig config(String node, String address, WireGuardNodeConfigStatus.PeerStatus... peers) {
    WireGuardNodeConfig c = new WireGuardNodeConfig();
    c.setMetadata(new ObjectMetaBuilder().withName(node).withGeneration(1L).build());
    c.getSpec().setMesh("prod");
    c.getSpec().setNodeName(node);
    c.getSpec().getInterfaceSpec().getAddresses().add(address);
    c.getStatus().setAppliedGeneration(1L);
    c.getStatus().setPeers(List.of(peers));
    return c;
  }

  @BeforeEach
  void mesh() {
    api = StrictApiServer.start();
    client = api.admin();
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("prod").build());
    mesh.getSpec().setNetwork("10.88.0.0/24");
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    mesh.getSpec().getRegistry().setEndpoint("203.0.113.5:51820");
    WireGuardMeshStatus.RegistryStatus registry = new WireGuardMeshStatus.RegistryStatus();
    registry.setPublicKey(registryKey);
    registry.setAddress("10.88.0.254");
    registry.setEndpoint("203.0.113.5:51820");
    registry.setReachableFrom(2);
    registry.setNodes(2);
    registry.setHealthy(true);
    mesh.getStatus().setRegistries(List.of(registry));
    mesh.getStatus().setRegistrySummary("1/1");
    mesh.getStatus().setPeers(4);
    mesh.getStatus().setReady(3);
    mesh.getStatus().setDirect(1);
    mesh.getStatus().setRelayed(1);
    createWithStatus(mesh);
    createWithStatus(peer("n1", "n1", KeyPair.generate().publicKey().toBase64(), "10.88.0.1", List.of("10.88.0.1/32", "10.244.1.0/24"),
        ready(true, "InMesh", "in mesh")));
    WireGuardPeer n2 = peer("n2", "n2", KeyPair.generate().publicKey().toBase64(), "10.88.0.2", List.of("10.88.0.2/32", "10.244.2.0/24"),
        ready(true, "InMesh", "in mesh"));
    n2.getStatus().setEndpoint("198.51.100.20:51820");
    createWithStatus(n2);
    createWithStatus(peer("laptop", null, laptopKeys.publicKey().toBase64(), "10.88.0.3", List.of("10.88.0.3/32"),
        ready(true, "InMesh", "in mesh")));
    createWithStatus(peer("copycat", null, laptopKeys.publicKey().toBase64(), null, List.of(),
        ready(false, "DuplicateKey", "public key already used by peer laptop"),
        new Condition("DuplicateKey", "True", "DuplicateKey", "public key already used by peer laptop")));
    // as agents report: counts per path, and the peers not on their best path
    WireGuardNodeConfig n1Config = config("n1", "10.88.0.1/24",
        new WireGuardNodeConfigStatus.PeerStatus("laptop", "relayed", "relayed", null, null));
    n1Config.getStatus().setPaths(new java.util.TreeMap<>(Map.of("lan", 1, "relayed", 1)));
    createWithStatus(n1Config);
    // as an older agent reported: every peer, the mode only, no kinds of path
    WireGuardNodeConfig n2Config = config("n2", "10.88.0.2/24",
        new WireGuardNodeConfigStatus.PeerStatus("n1", "direct", "203.0.113.11:40000", "2026-11-24T12:00:00Z"),
        new WireGuardNodeConfigStatus.PeerStatus("laptop", "pending", null, null));
    n2Config.getStatus().setDirect(1);
    n2Config.getStatus().setPending(1);
    n2Config.getStatus().setPeersOmitted(3);
    createWithStatus(n2Config);
  }

  record Run(int code, String out, String err) {}

  /** Runs ctl with a fresh client of the test API server (ctl closes the client it is given). */
  Run ctl(String... args) {
    return ctl(() -> api.client(StrictApiServer.VIEWER), args);
  }

  Run ctl(java.util.function.Supplier<KubernetesClient> clients, String... args) {
    return ctl(new CtlCommand(clients), args);
  }

  /** Runs ctl as the launcher does, with its own client, in this environment. */
  Run ctlWithEnvironment(Map<String, String> env, String... args) {
    return ctl(new CtlCommand(env::get), args);
  }

  Run ctl(CtlCommand command, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true));
      System.setErr(new PrintStream(err, true));
      int code = dev.wgmesh.core.cli.Cli.commandLine(command).execute(args);
      return new Run(code, out.toString(), err.toString());
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void statusShowsEveryNodesViewAndPeersLeftOut() {
    Run r = ctl("status");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("3/4 peers ready, 1 direct, 1 relayed"), r.out());
    assertTrue(r.out().contains("node n1  10.88.0.1/24  applied current\n  paths: 1 lan, 1 relayed\n"), "counts per kind of path: " + r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+laptop\\s+10\\.88\\.0\\.3\\s+relayed\\s+-")), "the peers not on their best path: " + r.out());
    assertTrue(r.out().contains("  paths: 1 direct, 1 pending\n"), "an older agent's counts by mode: " + r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+n1\\s+10\\.88\\.0\\.1\\s+direct\\s+203\\.0\\.113\\.11:40000")),
        "a status without a path shows the mode: " + r.out());
    assertTrue(r.out().contains("  and 3 more not on their best path\n"), r.out());
    assertTrue(r.out().contains("wgmeshctl peers --agent"), "where the rest is: " + r.out());
    assertTrue(r.out().contains("copycat  DuplicateKey: public key already used by peer laptop"), r.out());
  }

  @Test
  void peersAsksTheAgentAndNamesThemFromTheMesh() throws Exception {
    String n1Key = client.resources(WireGuardPeer.class).withName("n1").get().getSpec().getPublicKey();
    String stranger = KeyPair.generate().publicKey().toBase64();
    try (dev.wgmesh.agent.AgentMetrics agent = new dev.wgmesh.agent.AgentMetrics()) {
      String n2Key = client.resources(WireGuardPeer.class).withName("n2").get().getSpec().getPublicKey();
      agent.peers(List.of(new dev.wgmesh.agent.PeerDetail(n1Key, "10.88.0.1", "lan", "10.201.0.3:51820", "2026-11-24T12:00:00Z", false, null),
          new dev.wgmesh.agent.PeerDetail(n2Key, "10.88.0.2", "relayed", "127.0.0.1:40001", "2026-11-24T12:00:01Z", false,
              "2026-11-24T12:01:02Z"),
          new dev.wgmesh.agent.PeerDetail(n2Key, "10.88.0.2", "relayed", "203.0.113.12:51820", "2026-11-24T12:00:01Z", true, null),
          new dev.wgmesh.agent.PeerDetail(stranger, null, "pending", null, null, false, null)));
      java.net.InetSocketAddress at = agent.serve(new java.net.InetSocketAddress("127.0.0.1", 0));
      Run r = ctl("peers", "--agent", "http://127.0.0.1:" + at.getPort() + "/");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().lines().anyMatch(l -> l.matches("n1\\s+10\\.88\\.0\\.1\\s+lan\\s+10\\.201\\.0\\.3:51820\\s+2026-11-24T12:00:00Z\\s+-")),
          r.out());
      assertTrue(r.out().lines().anyMatch(l -> l.matches("n2\\s+10\\.88\\.0\\.2\\s+relayed\\s+127\\.0\\.0\\.1:40001\\s+\\S+\\s+next 2026-11-24T12:01:02Z")),
          "a relayed peer shows when it tries the direct path next: " + r.out());
      assertTrue(r.out().lines().anyMatch(l -> l.matches("n2\\s+10\\.88\\.0\\.2\\s+relayed\\s+203\\.0\\.113\\.12:51820\\s+\\S+\\s+running")),
          "and that it tries it now: " + r.out());
      assertTrue(r.out().lines().anyMatch(l -> l.matches(java.util.regex.Pattern.quote(stranger) + "\\s+-\\s+pending\\s+-\\s+never\\s+-")),
          "a key the mesh does not know: " + r.out());
    }
    Run down = ctl("peers", "--agent", "http://127.0.0.1:1");
    assertEquals(1, down.code());
    assertTrue(down.err().contains("cannot reach the agent at http://127.0.0.1:1/peers"), down.err());
  }

  @Test
  void statusListsEveryRegistryWithItsHealthAsTheNodesReportIt() {
    WireGuardMesh mesh = client.resources(WireGuardMesh.class).withName("prod").get();
    WireGuardMeshStatus.RegistryStatus eu = mesh.getStatus().getRegistries().get(0);
    eu.setName("eu");
    WireGuardMeshStatus.RegistryStatus us = new WireGuardMeshStatus.RegistryStatus();
    us.setName("us");
    us.setPublicKey(KeyPair.generate().publicKey().toBase64());
    us.setAddress("10.88.0.253");
    us.setReachableFrom(0);
    us.setNodes(2);
    us.setHealthy(false);
    WireGuardMeshStatus.RegistryStatus ap = new WireGuardMeshStatus.RegistryStatus();
    ap.setName("ap");
    ap.setAddress("10.88.0.252");
    ap.setEndpoint("192.0.2.5:51820");
    ap.setReachableFrom(0);
    ap.setNodes(0);
    mesh.getStatus().setRegistries(List.of(eu, us, ap));
    client.resource(mesh).updateStatus();

    Run r = ctl("status");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+REGISTRY\\s+ADDRESS\\s+ENDPOINT\\s+HEALTH\\s+REACHABLE FROM")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+eu\\s+10\\.88\\.0\\.254\\s+203\\.0\\.113\\.5:51820\\s+healthy\\s+2/2 nodes")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+us\\s+10\\.88\\.0\\.253\\s+\\(no endpoint\\)\\s+UNHEALTHY\\s+0/2 nodes")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+ap\\s+10\\.88\\.0\\.252\\s+192\\.0\\.2\\.5:51820\\s+unknown\\s+0/0 nodes")), r.out());

    String conf = ctl("showconf", "laptop").out();
    assertTrue(conf.contains("# registry eu: endpoint discovery") && conf.contains("# registry us: endpoint discovery"), conf);
    assertFalse(conf.contains("# registry ap"), "a registry without a key yet is left out: " + conf);
  }

  @Test
  void showconfWritesAWgQuickFileWithAPlaceholderForTheKey() {
    Run r = ctl("showconf", "laptop");
    assertEquals(0, r.code(), r.err());
    String conf = r.out();
    assertTrue(conf.contains("[Interface]\nPrivateKey = <contents of the private key file whose public key is " + laptopKeys.publicKey().toBase64() + ">"), conf);
    assertTrue(conf.contains("Address = 10.88.0.3/24"), conf);
    assertTrue(conf.contains("PublicKey = " + registryKey + "\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 10.88.0.254/32"), conf);
    assertTrue(conf.contains("AllowedIPs = 10.88.0.2/32, 10.244.2.0/24"), conf);
    assertTrue(conf.contains("Endpoint = 198.51.100.20:51820"), "the observed endpoint of n2: " + conf);
    assertFalse(conf.contains("copycat"), "peers outside the mesh are not in the file");
    assertFalse(conf.contains("# laptop"), "not itself");
  }

  @Test
  void showconfFillsInTheKeyFromALocalFileOnlyWhenItMatches(@TempDir Path dir) throws Exception {
    Path keyFile = dir.resolve("laptop.key");
    Files.writeString(keyFile, laptopKeys.privateKey().toBase64() + "\n");
    Run r = ctl("showconf", "laptop", "--private-key-file", keyFile.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("PrivateKey = " + laptopKeys.privateKey().toBase64()));
    Path wrong = dir.resolve("other.key");
    Files.writeString(wrong, KeyPair.generate().privateKey().toBase64());
    Run bad = ctl("showconf", "laptop", "--private-key-file", wrong.toString());
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("does not belong to peer laptop"), "err=[" + bad.err() + "] out=[" + bad.out() + "]");
    assertFalse(bad.err().contains(laptopKeys.privateKey().toBase64()));
  }

  @Test
  void showconfOfAPeerWithoutAddressExplainsWhy() {
    Run r = ctl("showconf", "copycat");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("has no address yet") && r.err().contains("DuplicateKey"), r.err());
  }

  @Test
  void graphDrawsDirectAndRelayedEdgesDifferently() {
    Run r = ctl("graph");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"n1\" -- \"n2\" [color=darkgreen, penwidth=2, label=\"direct\"]"), "as n2 lists it: " + r.out());
    assertTrue(r.out().contains("\"laptop\" -- \"n1\" [color=orange, style=dashed, label=\"relayed\"]"), r.out());
    assertTrue(r.out().contains("\"laptop\" -- \"n2\" [color=red, style=dotted, label=\"pending\"]"), r.out());
    assertEquals(1, r.out().lines().filter(l -> l.contains("\"n1\" -- \"n2\"")).count(), "each pair once");
  }

  @Test
  void unknownMeshAndUnreachableClusterAreClearErrors() {
    Run unknown = ctl("--mesh", "staging", "status");
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("no WireGuardMesh named staging; meshes: prod"), unknown.err());
    try (KubernetesClient nowhere = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
        .withMasterUrl("https://127.0.0.1:1").withRequestRetryBackoffLimit(0).withConnectionTimeout(500).build()).build()) {
      Run down = ctl(() -> nowhere, "status");
      assertEquals(1, down.code());
      assertTrue(down.err().contains("cannot reach the Kubernetes API server at https://127.0.0.1:1"), down.err());
    }
  }

  @Test
  void aKubeconfigThatNamesNoFileIsSaidSo(@TempDir Path dir) {
    Run missing = ctlWithEnvironment(Map.of("KUBECONFIG", "/nonexistent"), "status");
    assertEquals(1, missing.code());
    assertEquals("wgmesh ctl: KUBECONFIG names /nonexistent, which does not exist\n", missing.err().replace("\r", ""));
    String several = dir.resolve("a.yaml") + java.io.File.pathSeparator + dir.resolve("b.yaml");
    Run none = ctlWithEnvironment(Map.of("KUBECONFIG", several), "status");
    assertEquals(1, none.code());
    assertTrue(none.err().contains("KUBECONFIG names " + dir.resolve("a.yaml") + ", " + dir.resolve("b.yaml") + ", none of which exists"),
        none.err());
    assertEquals(1, none.err().lines().count(), none.err());
  }

  /** With nothing listening, ctl says so within seconds (the client's defaults retry for about 20 s). */
  @Test
  void aClusterThatDoesNotAnswerIsReportedQuickly(@TempDir Path dir) throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: connections are refused
    }
    Path kubeconfig = dir.resolve("config");
    Files.writeString(kubeconfig, String.join("\n",
        "apiVersion: v1", "kind: Config", "current-context: gone",
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:" + port + "', insecure-skip-tls-verify: true}}]",
        "users: [{name: me, user: {token: abc}}]",
        "contexts: [{name: gone, context: {cluster: gone, user: me}}]", ""));
    io.fabric8.kubernetes.client.Config userConfig = io.fabric8.kubernetes.client.Config.fromKubeconfig(kubeconfig.toFile());
    assertTrue(userConfig.getRequestRetryBackoffLimit() > 0, "the client's default retries, which ctl must not wait through");
    long start = System.nanoTime();
    Run down = ctl(() -> CtlCommand.connect(userConfig, java.time.Duration.ofSeconds(3)), "status");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(1, down.code());
    assertTrue(millis < 5000, "took " + millis + " ms");
    assertTrue(down.err().startsWith("wgmesh ctl: cannot reach the Kubernetes API server at https://127.0.0.1:" + port), down.err());
    assertEquals(1, down.err().lines().count(), down.err());
  }
}
