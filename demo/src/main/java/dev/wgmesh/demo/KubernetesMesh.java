package dev.wgmesh.demo;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.NatSite;
import dev.wgmesh.lab.Placement;
import dev.wgmesh.lab.ProductJar;
import dev.wgmesh.lab.StandaloneMesh;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
  /** The registry's WireGuard port, in the WireGuardMesh. */
  public static final int REGISTRY_PORT = 51820;

  /** A site: a node behind a NAT of some kind, with its pod CIDR and one pod address in it. */
  public record Site(String name, NatKind nat, String podCidr, String podAddress) {}

  /**
   * A node placed in one of the lab's shapes ({@link Placement}), with its pod CIDR and one pod
   * address in it; nodes sharing one LAN come from {@link #addNodesOnSite}.
   */
  public record PlacedNode(String name, Placement placement, String podCidr, String podAddress) {}

  /** A node on a shared LAN ({@link #addNodesOnSite}): its name, pod CIDR and one pod address. */
  public record SiteNode(String name, String podCidr, String podAddress) {}

  public final Lab lab;
  public final ClusterApi api;
  public final KubernetesClient client;
  public final Host registryHost;
  public final Host operatorHost;
  public final Map<String, Host> nodes = new LinkedHashMap<>();
  /** Each node's agent, once {@link #startComponents} started it. */
  public final Map<String, ManagedProcess> agents = new LinkedHashMap<>();
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

  /** The Node object and the host behind its NAT (a public host when {@code nat} is null), with a pod address on the host. */
  public Host addNode(Site site) {
    return addNode(new PlacedNode(site.name(), Placement.of(site.nat()), site.podCidr(), site.podAddress()));
  }

  /**
   * The Node object and its host in the lab's shape {@code node.placement()}, with a pod address
   * on the host. A {@link Placement#UDP_BLOCKED} host's firewall passes UDP only to and from the
   * registry's public WireGuard endpoint ({@link #registryEndpoint()}, as {@link #createMesh} puts
   * it in the WireGuardMesh); TCP, and so the API server, it does not block.
   */
  public Host addNode(PlacedNode node) {
    Host host = switch (node.placement()) {
      case PUBLIC -> lab.publicHost(node.name());
      case CONE -> lab.natHost(node.name(), NatKind.CONE);
      case PORT_RESTRICTED -> lab.natHost(node.name(), NatKind.PORT_RESTRICTED);
      case SYMMETRIC -> lab.natHost(node.name(), NatKind.SYMMETRIC);
      case DOUBLE_NAT -> lab.doubleNatHost(node.name(), NatKind.PORT_RESTRICTED);
      case UDP_BLOCKED -> lab.udpBlockedHost(node.name(), registryEndpoint());
      case IPV6 -> lab.ipv6Host(node.name());
    };
    return register(node.name(), host, node.podCidr(), node.podAddress());
  }

  /**
   * Nodes on one LAN behind one NAT router of {@code kind} ({@link Lab#natSite}, named {@code site}),
   * in order, each with its Node object and pod address; returns their hosts.
   */
  public List<Host> addNodesOnSite(String site, NatKind kind, List<SiteNode> those) {
    NatSite lan = lab.natSite(site, kind);
    List<Host> hosts = new ArrayList<>();
    for (SiteNode n : those) {
      hosts.add(register(n.name(), lan.host(n.name()), n.podCidr(), n.podAddress()));
    }
    return hosts;
  }

  private Host register(String name, Host host, String podCidr, String podAddress) {
    host.execOk("ip", "addr", "add", podAddress + "/32", "dev", "lo");
    nodes.put(name, host);
    client.resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(host.address().getHostAddress()).endAddress().endStatus()
        .build()).create();
    return host;
  }

  /**
   * The registry's public WireGuard endpoint: its host's address, port {@link #REGISTRY_PORT} (the
   * WireGuardMesh's {@code spec.registry.endpoint} and {@code port}, see {@link #createMesh}).
   */
  public InetSocketAddress registryEndpoint() {
    return registryHost.endpoint(REGISTRY_PORT);
  }

  public void createMesh(String network) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
    mesh.getSpec().setNetwork(network);
    mesh.getSpec().getRegistry().setEndpoint(registryEndpoint().getAddress().getHostAddress() + ":" + registryEndpoint().getPort());
    mesh.getSpec().getRegistry().setPort(REGISTRY_PORT);
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
      env.putAll(ProductJar.AGENT_ENVIRONMENT);
      env.put("NODE_NAME", name);
      agents.put(name, nodes.get(name).spawn("agent", ProductJar.locate().command(ProductJar.AGENT, "agent", "--kubernetes", "--mesh", MESH,
          "--state-dir", lab.logDir().resolve("state-" + name).toString(), "--interface", lab.id() + name), env));
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
