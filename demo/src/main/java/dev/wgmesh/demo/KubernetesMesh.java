package dev.wgmesh.demo;

import dev.wgmesh.agent.PeerDetail;
import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
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
import dev.wgmesh.lab.WgInterface;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
  /** The first registry's host (of {@link #registryHosts}). */
  public final Host registryHost;
  /** One public host per registry: "reg", "reg2", ...; registry i is named {@link #registryName}(i) when there are several. */
  public final List<Host> registryHosts = new ArrayList<>();
  /** Each registry's process, once started, by index. */
  public final Map<Integer, ManagedProcess> registries = new LinkedHashMap<>();
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
    this(purpose, apiServer, 1);
  }

  /**
   * The same with {@code registryCount} registries: one {@code spec.registry}, or that many entries
   * of {@code spec.registries} named {@link #registryName}, each on its own public host.
   */
  public KubernetesMesh(String purpose, Function<InetAddress, ClusterApi> apiServer, int registryCount) {
    lab = Lab.create(purpose);
    try {
      api = apiServer.apply(lab.attachThisMachine());
      client = api.admin();
      for (int i = 0; i < registryCount; i++) {
        registryHosts.add(lab.publicHost(registryNode(i)));
      }
      registryHost = registryHosts.get(0);
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
      case UDP_BLOCKED -> lab.udpBlockedHost(node.name(), registryHosts.stream().map(h -> h.endpoint(REGISTRY_PORT)).toList());
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

  /** The name of registry {@code i} in a mesh with several: "a", "b", ... (a one-registry mesh names none). */
  public static String registryName(int i) {
    return String.valueOf((char) ('a' + i));
  }

  /** The node (and lab host) registry {@code i} is pinned to: "reg", "reg2", ... */
  static String registryNode(int i) {
    return i == 0 ? "reg" : "reg" + (i + 1);
  }

  private boolean several() {
    return registryHosts.size() > 1;
  }

  /** The WireGuardNodeConfig (and Deployment) name of registry {@code i}, as the operator names them. */
  public String registryConfigName(int i) {
    return RegistryObjectNames.object(MESH, several() ? registryName(i) : null);
  }

  public void createMesh(String network) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
    mesh.getSpec().setNetwork(network);
    List<WireGuardMeshSpec.RegistrySpec> specs = new ArrayList<>();
    for (int i = 0; i < registryHosts.size(); i++) {
      WireGuardMeshSpec.RegistrySpec r = new WireGuardMeshSpec.RegistrySpec();
      InetSocketAddress endpoint = registryHosts.get(i).endpoint(REGISTRY_PORT);
      r.setEndpoint(endpoint.getAddress().getHostAddress() + ":" + endpoint.getPort());
      r.setPort(REGISTRY_PORT);
      r.setNodeName(registryNode(i));
      if (several()) {
        r.setName(registryName(i));
      }
      specs.add(r);
    }
    if (several()) {
      mesh.getSpec().setRegistries(specs);
    } else {
      mesh.getSpec().setRegistry(specs.get(0));
    }
    client.resource(mesh).create();
  }

  /** The operator, then (once it rendered the registries' configs) the registries and the agents. */
  public void startComponents(Duration limit) {
    operator = operatorHost.spawn("operator", wgmesh("operator", "--namespace", NAMESPACE, "--no-leader-election", "--metrics", "off"),
        env(OPERATOR, null));
    for (int i = 0; i < registryHosts.size(); i++) {
      String config = registryConfigName(i);
      StandaloneMesh.waitFor(limit, () -> client.resources(WireGuardNodeConfig.class).withName(config).get() != null,
          "the operator did not render the registry's config " + config + " (log: " + operator.logFile() + ")");
      startRegistry(i);
    }
    for (String name : nodes.keySet()) {
      startAgent(name);
    }
  }

  /** Starts the agent of node {@code name} in Kubernetes mode, as the DaemonSet would (a node added later joins so). */
  public void startAgent(String name) {
    Map<String, String> env = env(AGENT, name);
    env.putAll(ProductJar.AGENT_ENVIRONMENT);
    env.put("NODE_NAME", name);
    agents.put(name, nodes.get(name).spawn("agent", ProductJar.locate().command(ProductJar.AGENT, "agent", "--kubernetes", "--mesh", MESH,
        "--state-dir", lab.logDir().resolve("state-" + name).toString(), "--interface", interfaceOf(name)), env));
  }

  /** The WireGuard interface of node {@code name}'s agent. */
  public String interfaceOf(String name) {
    return lab.id() + name;
  }

  /** The endpoint node {@code from}'s WireGuard uses for node {@code to} ({@code ip:port}), if any. */
  public java.util.Optional<String> endpointOf(String from, String to) {
    WireGuardPeer peer = client.resources(WireGuardPeer.class).withName(to).get();
    if (peer == null || peer.getSpec() == null || peer.getSpec().getPublicKey() == null) {
      return java.util.Optional.empty();
    }
    String key = peer.getSpec().getPublicKey();
    return WgInterface.peersOf(nodes.get(from), interfaceOf(from)).stream()
        .filter(p -> p.publicKey().equals(key)).map(WgInterface.Peer::endpoint).filter(java.util.Objects::nonNull).findFirst();
  }

  /** Starts registry {@code i} in Kubernetes mode on its host, as its Deployment would. */
  public void startRegistry(int i) {
    List<String> args = new ArrayList<>(List.of("registry", "--kubernetes", "--mesh", MESH, "--interface", lab.id() + registryNode(i),
        "--metrics", "off", "--zone", ZONE));
    if (several()) {
      args.addAll(List.of("--registry-name", registryName(i)));
    }
    registries.put(i, registryHosts.get(i).spawn("registry", wgmesh(args.toArray(String[]::new)), env(REGISTRY, registryNode(i))));
  }

  /**
   * Registry {@code i} dies as a machine does: its process is killed (SIGKILL) and its host's cable
   * pulled, so its WireGuard device answers nothing either. Returns when it was killed.
   */
  public Instant killRegistry(int i) {
    Instant at = Instant.now();
    registries.get(i).kill();
    registryHosts.get(i).unplug();
    return at;
  }

  /** Registry {@code i} comes back: cable in, a fresh process (it keeps its key, from its Secret). */
  public void restoreRegistry(int i) {
    registryHosts.get(i).plugIn();
    startRegistry(i);
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

  /**
   * True when no agent tries the direct path to a relayed peer now, nor within {@code quiet} (each
   * such probe holds up that pair's traffic for up to 500 ms), as the agents' /peers show it;
   * false while an agent does not answer.
   */
  public boolean noProbeWithin(Duration quiet) {
    Instant until = Instant.now().plus(quiet);
    List<PeerDetail> peers = new ArrayList<>();
    try {
      nodes.keySet().forEach(node -> peers.addAll(agentPeers(node)));
    } catch (RuntimeException agentNotAnswering) {
      return false;
    }
    return peers.stream().filter(p -> PathKind.RELAYED.label().equals(p.path()))
        .allMatch(p -> !p.probing() && p.nextProbe() != null && Instant.parse(p.nextProbe()).isAfter(until));
  }

  /** Every peer as the node's agent sees it: its /peers, on the default metrics address in the node's namespace. */
  public List<PeerDetail> agentPeers(String node) {
    return PeerDetail.parse(nodes.get(node).httpGet(9588, "/peers"));
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
