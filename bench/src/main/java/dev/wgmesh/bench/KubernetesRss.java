package dev.wgmesh.bench;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code rss-kubernetes} scenario of {@code bench/convergence}: agents as the chart's DaemonSet
 * runs them ({@code wgmesh agent --kubernetes}, the Kubernetes client loaded), each on a public
 * lab host, against the strict test API server ({@link StrictApiServer}: the chart's RBAC, each
 * agent its ServiceAccount's token bound to its node). The API server holds what the operator
 * would have written: the node's Node, its {@code WireGuardNodeConfig} (tunnel address, the lab's
 * real {@code wgmesh registry --relay} as registry peer) and the mesh's {@code WireGuardPeerSet}s
 * with N members (fresh random keys, a /32 each, every tenth with an endpoint nobody answers, none
 * known to the registry), spread over {@link #PEER_SETS} sets as the operator spreads them. Each
 * agent creates its wireguard-go device, applies the N peers, publishes its WireGuardPeer, runs
 * discovery against the registry (whose device has the agent's key as a peer, as the operator's
 * registry config would), and is measured after it has run for a while.
 *
 * <p>The agent's environment is the launchers' ({@link ProductJar#AGENT_ENVIRONMENT}); an option set
 * may hold words {@code NAME=value} (no leading dash), which go to the environment and override it
 * (e.g. {@code MALLOC_ARENA_MAX=8}), the other words to the JVM.
 */
final class KubernetesRss implements AutoCloseable {
  static final String MESH = "bench";
  /** How many sets the operator spreads a mesh's members over (MeshPlan.PEER_SETS). */
  static final int PEER_SETS = 16;

  private final StandaloneMesh world;
  private final ProductJar product;
  private final StrictApiServer api;
  private final KubernetesClient admin;
  private int agents;

  /** An agent started by {@link #startAgent}: its host, process and interface. */
  record Agent(Host host, ManagedProcess process, String iface) {
    /** Peers on the agent's device (the registry included), 0 before the device exists. */
    int peersOnDevice() {
      var r = host.exec("wg", "show", iface, "peers");
      return r.ok() ? (int) r.stdout().lines().filter(l -> !l.isBlank()).count() : 0;
    }

    /** Waits until the agent logged that it applied its configuration (routes included) and returns when it saw that. */
    java.time.Instant awaitApplied(Duration limit) {
      process.awaitLog("configuration generation", limit);
      return java.time.Instant.now();
    }
  }

  /** The API server on the lab's address of this machine, holding a mesh of {@code peers} members. */
  KubernetesRss(StandaloneMesh world, ProductJar product, int peers) {
    this.world = world;
    this.product = product;
    api = StrictApiServer.builder().meshes(MESH).listen(world.lab.attachThisMachine(), 0).start();
    admin = api.admin();
    Map<Integer, List<WireGuardNodeConfigSpec.Peer>> sets = new TreeMap<>();
    for (int i = 0; i < peers; i++) {
      String endpoint = i % 10 == 9 ? "192.0.2." + (1 + i / 10 % 250) + ":" + (30000 + i) : null;
      sets.computeIfAbsent(i % PEER_SETS, k -> new ArrayList<>()).add(new WireGuardNodeConfigSpec.Peer("peer-" + i,
          KeyPair.generate().publicKey().toBase64(), List.of("10.89." + (i / 250) + "." + (i % 250 + 1) + "/32"), endpoint,
          StandaloneMesh.KEEPALIVE));
    }
    sets.forEach((k, members) -> {
      WireGuardPeerSet set = new WireGuardPeerSet();
      set.setMetadata(new ObjectMetaBuilder().withName(MESH + "-peers-" + k).addToLabels(WireGuardMesh.MESH_LABEL, MESH).build());
      set.setSpec(new WireGuardPeerSetSpec(MESH, members));
      admin.resource(set).create();
    });
  }

  /**
   * A public host with its Node and WireGuardNodeConfig, the registry's peer, and {@code wgmesh
   * agent --kubernetes} started with {@code options} (see the class comment), its metrics served
   * as the chart serves them; returns once the agent logged that it runs.
   */
  Agent startAgent(String name, List<String> options) {
    Host host = world.lab.publicHost(name);
    int n = ++agents;
    String ip = "10.88.200." + n;
    KeyPair keys = KeyPair.generate();
    Path stateDir = world.lab.logDir().resolve("state-" + name);
    writeKey(stateDir, keys);
    admin.resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(host.address().getHostAddress()).endAddress().endStatus()
        .build()).create();
    WireGuardNodeConfig config = new WireGuardNodeConfig();
    config.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels(WireGuardMesh.MESH_LABEL, MESH).build());
    WireGuardNodeConfigSpec spec = config.getSpec();
    spec.setMesh(MESH);
    spec.setNodeName(name);
    spec.getInterfaceSpec().setAddresses(List.of(ip + "/16"));
    spec.getInterfaceSpec().setListenPort(51820);
    WireGuardNodeConfigSpec.RegistryPeer registry = new WireGuardNodeConfigSpec.RegistryPeer();
    registry.setPublicKey(world.registryWg.publicKey());
    var endpoint = world.registryHost.endpoint(StandaloneMesh.REGISTRY_PORT);
    registry.setEndpoint(endpoint.getAddress().getHostAddress() + ":" + endpoint.getPort());
    registry.setAddress(StandaloneMesh.REGISTRY_IP);
    registry.setZone(StandaloneMesh.ZONE);
    registry.setPersistentKeepalive(StandaloneMesh.KEEPALIVE);
    spec.setRegistryPeer(registry);
    admin.resource(config).create();
    world.registryWg.addPeer(keys.publicKey().toBase64(), null, List.of(ip + "/32"), 0);

    List<String> jvm = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>(api.environment(StrictApiServer.agentOn(name)));
    env.putAll(ProductJar.AGENT_ENVIRONMENT); // as the launchers run it
    env.put("POD_NAMESPACE", StrictApiServer.NAMESPACE);
    env.put("NODE_NAME", name);
    for (String word : options) {
      int eq = word.indexOf('=');
      if (!word.startsWith("-") && eq > 0) {
        env.put(word.substring(0, eq), word.substring(eq + 1));
      } else {
        jvm.add(word);
      }
    }
    String iface = world.lab.id() + name;
    ManagedProcess process = host.spawn("agent", product.command(jvm, "agent", "--kubernetes", "--mesh", MESH, "--state-dir",
        stateDir.toString(), "--interface", iface, "--metrics", host.address().getHostAddress() + ":9588"), env);
    process.awaitLog("agent for node", Duration.ofSeconds(60));
    return new Agent(host, process, iface);
  }

  /** The key the agent finds in its state directory (as {@code wg genkey} writes it), so the registry knows it beforehand. */
  private static void writeKey(Path stateDir, KeyPair keys) {
    try {
      Files.createDirectories(stateDir);
      Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
      Path file = stateDir.resolve("private.key");
      Files.writeString(file, keys.privateKey().toBase64() + "\n", StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the API server; fails when it refused a request, as a real one with the chart's RBAC would have. */
  @Override
  public void close() {
    api.close();
  }
}
