package dev.wgmesh.demo;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A wgmesh cluster in the NAT lab, built the way a cluster is: an API server reachable from every
 * lab host ({@link ClusterApi}), Node objects with pod CIDRs and a
 * WireGuardMesh; then the operator, the registry and one agent per node in Kubernetes mode, all
 * real processes. Each node also gets a "pod" address from its pod CIDR.
 */
public final class KubernetesMesh implements AutoCloseable {
  public static final String NAMESPACE = "wgmesh-system";
  public static final String MESH = "lab";
  /** The DNS-SD zone, passed to the registry as the operator passes it. */
  public static final String ZONE = "wgmesh.internal";
  /** The components' ServiceAccounts, as the chart names them. */
  public static final String OPERATOR = "wgmesh-operator";
  public static final String REGISTRY = "wgmesh-registry";
  public static final String AGENT = "wgmesh-agent";

  /** A site: a node behind a NAT of some kind, with its pod CIDR and one pod address in it. */
  public record Site(String name, NatKind nat, String podCidr, String podAddress) {}

  public final Lab lab;
  public final ClusterApi api;
  public final KubernetesClient client;
  public final Host registryHost;
  public final Host operatorHost;
  public final Map<String, Host> nodes = new LinkedHashMap<>();
  public ManagedProcess operator;

  /** With fabric8's CRUD mock as the API server (the demo). */
  public KubernetesMesh(String purpose) {
    this(purpose, ClusterApi::crudMock);
  }

  /** With the API server {@code api} makes, listening on the lab's address of this machine. */
  public KubernetesMesh(String purpose, Function<InetAddress, ClusterApi> apiServer) {
    lab = Lab.create(purpose);
    try {
      api = apiServer.apply(lab.attachThisMachine());
      client = api.admin();
      registryHost = lab.publicHost("reg");
      operatorHost = lab.publicHost("ops");
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  /** The Node object and the host behind its NAT, with a pod address on the host. */
  public Host addNode(Site site) {
    Host host = lab.natHost(site.name(), site.nat());
    host.execOk("ip", "addr", "add", site.podAddress() + "/32", "dev", "lo");
    nodes.put(site.name(), host);
    client.resource(new NodeBuilder().withNewMetadata().withName(site.name()).endMetadata()
        .withNewSpec().withPodCIDR(site.podCidr()).withPodCIDRs(site.podCidr()).endSpec()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(host.address().getHostAddress()).endAddress().endStatus()
        .build()).create();
    return host;
  }

  public void createMesh(String network) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
    mesh.getSpec().setNetwork(network);
    mesh.getSpec().getRegistry().setEndpoint(registryHost.address().getHostAddress() + ":51820");
    mesh.getSpec().getRegistry().setNodeName("reg");
    client.resource(mesh).create();
  }

  /** The operator, then (once it rendered the registry's config) the registry and the agents. */
  public void startComponents(Duration limit) {
    operator = operatorHost.spawn("operator", wgmesh("operator", "--namespace", NAMESPACE, "--no-leader-election", "--metrics", "off"),
        env(OPERATOR, null));
    StandaloneMesh.waitFor(limit, () -> client.resources(WireGuardNodeConfig.class).withName(MESH + "-registry").get() != null,
        "the operator did not render the registry's config (log: " + operator.logFile() + ")");
    registryHost.spawn("registry", wgmesh("registry", "--kubernetes", "--mesh", MESH, "--interface", lab.id() + "reg", "--metrics", "off",
        "--zone", ZONE), env(REGISTRY, "reg"));
    for (String name : nodes.keySet()) {
      Map<String, String> env = env(AGENT, name);
      env.put("NODE_NAME", name);
      nodes.get(name).spawn("agent", wgmesh("agent", "--kubernetes", "--mesh", MESH,
          "--state-dir", lab.logDir().resolve("state-" + name).toString(), "--interface", lab.id() + name), env);
    }
  }

  /** A component's environment: the API server as its ServiceAccount, on {@code node}. */
  private Map<String, String> env(String serviceAccount, String node) {
    Map<String, String> env = new HashMap<>(api.environment(serviceAccount, node));
    env.put("POD_NAMESPACE", NAMESPACE);
    return env;
  }

  /** Tunnel addresses of the nodes, from their WireGuardPeers' status. */
  public Map<String, String> tunnelAddresses() {
    Map<String, String> addresses = new LinkedHashMap<>();
    for (WireGuardPeer p : client.resources(WireGuardPeer.class).list().getItems()) {
      if (p.getStatus() != null && p.getStatus().getAddress() != null) {
        addresses.put(p.getMetadata().getName(), p.getStatus().getAddress());
      }
    }
    return addresses;
  }

  /** True when every node answers one ping from every other node over its tunnel address. */
  public boolean allConnected() {
    Map<String, String> addresses = tunnelAddresses();
    if (!addresses.keySet().containsAll(nodes.keySet())) {
      return false;
    }
    for (String from : nodes.keySet()) {
      for (String to : nodes.keySet()) {
        if (!from.equals(to) && !nodes.get(from).exec("ping", "-c", "1", "-W", "1", addresses.get(to)).ok()) {
          return false;
        }
      }
    }
    return true;
  }

  public WireGuardNodeConfig nodeConfig(String node) {
    return client.resources(WireGuardNodeConfig.class).withName(node).get();
  }

  /** A wgmesh process: the product jar, by path. */
  static List<String> wgmesh(String... args) {
    return ProductJar.locate().command(args);
  }

  @Override
  public void close() {
    try {
      lab.close();
    } finally {
      api.close();
    }
  }
}
