package dev.wgmesh.lab;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A standalone wgmesh mesh in the NAT lab, the one fixture the demo, the system lab tests and the
 * benchmarks build: one or more public registry hosts, each running {@code wgmesh registry
 * --relay}, and nodes, each with a wireguard-go interface whose peers are every registry (with its
 * public endpoint) and the nodes it is linked to (with no endpoint, as the operator configures
 * them), and {@code wgmesh agent} once started, given every registry. wgmesh runs from the
 * product jar ({@link ProductJar}) as real processes; closing the mesh removes its lab and
 * everything in it.
 *
 * <p>Registry {@code i} (from 0) is on host {@code reg} (i = 0), {@code reg2}, {@code reg3}, ...
 * with the tunnel address {@link #registryIp(int)}: 10.88.255.254, 10.88.255.253, ...; agents
 * list them in that order. {@link #killRegistry(int)} makes one a dead machine and {@link
 * #restoreRegistry(int)} brings it back.
 */
public final class StandaloneMesh implements AutoCloseable {
  public static final String ZONE = "mesh.wgmesh.test";
  /** The (first) registry's tunnel address: the last of the mesh network 10.88.0.0/16. */
  public static final String REGISTRY_IP = "10.88.255.254";
  public static final int REGISTRY_PORT = 51820;
  public static final int KEEPALIVE = 25;
  /** At most this many registries (their tunnel addresses count down from {@link #REGISTRY_IP}). */
  public static final int MAX_REGISTRIES = 4;

  public final Lab lab;
  /** The first registry's host and device ({@code registries().get(0)}). */
  public final Host registryHost;
  public final WgInterface registryWg;
  /** The first registry's process, replaced when it is started again. */
  public ManagedProcess registry;
  private final List<Registry> registries = new java.util.ArrayList<>();
  private final ProductJar product;
  private final List<String> registryOptions;
  private final List<String> registryArgs;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private int natHosts;
  private int publicHosts; // the registries' included
  private int nextIp;

  /** One node: a lab host, its WireGuard interface and tunnel address, and its agent once started. */
  public static final class Node {
    public final String name;
    public final Host host;
    public final WgInterface wg;
    public final String tunnelIp;
    public ManagedProcess agent;

    Node(String name, Host host, WgInterface wg, String tunnelIp) {
      this.name = name;
      this.host = host;
      this.wg = wg;
      this.tunnelIp = tunnelIp;
    }

    /** What its agent's metrics endpoint (the default, 127.0.0.1:9588 in the node's namespace) serves now. */
    public String agentMetrics() {
      return host.httpGet(9588, "/metrics");
    }

    /** The endpoint this node's WireGuard uses for {@code other} ({@code ip:port}), if any. */
    public Optional<String> endpointOf(Node other) {
      try {
        return wg.peer(other.wg.publicKey()).map(WgInterface.Peer::endpoint);
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
  }

  /** One registry of the mesh: its public host, its WireGuard device and tunnel address, its process. */
  public static final class Registry {
    public final int index;
    public final Host host;
    public final WgInterface wg;
    public final String tunnelIp;
    private ManagedProcess process;
    private boolean down;

    /** What its metrics endpoint (the default, 127.0.0.1:9586 in the registry's namespace) serves now. */
    public String metrics() {
      return host.httpGet(9586, "/metrics");
    }

    Registry(int index, Host host, WgInterface wg, String tunnelIp) {
      this.index = index;
      this.host = host;
      this.wg = wg;
      this.tunnelIp = tunnelIp;
    }

    /** Its current {@code wgmesh registry} process (a new one after {@link StandaloneMesh#restoreRegistry}). */
    public ManagedProcess process() {
      return process;
    }

    /** True between {@link StandaloneMesh#killRegistry} and {@link StandaloneMesh#restoreRegistry}. */
    public boolean isDown() {
      return down;
    }

    /** {@code <tunnel ip>:53}, as agents are given it. */
    public String dnsAddress() {
      return tunnelIp + ":53";
    }
  }

  /** A mesh whose registry refreshes every 500 ms and runs with the small-footprint JVM options. */
  public StandaloneMesh(String purpose) {
    this(purpose, 1);
  }

  /** The same with {@code registries} registries (1 to {@link #MAX_REGISTRIES}). */
  public StandaloneMesh(String purpose, int registries) {
    this(purpose, registries, ProductJar.locate(), ProductJar.SMALL, "--refresh", "500ms");
  }

  /**
   * @param registryOptions the registry's JVM options
   * @param registryArgs more arguments of {@code wgmesh registry}
   */
  public StandaloneMesh(String purpose, ProductJar product, List<String> registryOptions, String... registryArgs) {
    this(purpose, 1, product, registryOptions, registryArgs);
  }

  /** The same with {@code registries} registries (1 to {@link #MAX_REGISTRIES}), all with the same options. */
  public StandaloneMesh(String purpose, int registries, ProductJar product, List<String> registryOptions, String... registryArgs) {
    if (registries < 1 || registries > MAX_REGISTRIES) {
      throw new IllegalArgumentException("1 to " + MAX_REGISTRIES + " registries, not " + registries);
    }
    this.product = product;
    this.registryOptions = List.copyOf(registryOptions);
    this.registryArgs = List.of(registryArgs);
    lab = Lab.create(purpose);
    try {
      for (int i = 0; i < registries; i++) {
        Host host = lab.publicHost(i == 0 ? "reg" : "reg" + (i + 1));
        String ip = registryIp(i);
        this.registries.add(new Registry(i, host, host.wireguard("wg", ip + "/16", REGISTRY_PORT), ip));
      }
      publicHosts = registries;
      registryHost = this.registries.get(0).host;
      registryWg = this.registries.get(0).wg;
      for (int i = 0; i < registries; i++) {
        startRegistry(i);
      }
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  /** Registry {@code i}'s tunnel address: 10.88.255.254 for the first, then counting down. */
  public static String registryIp(int i) {
    return "10.88.255." + (254 - i);
  }

  /** The registries, in the order agents are given them. */
  public List<Registry> registries() {
    return List.copyOf(registries);
  }

  public Registry registry(int i) {
    return registries.get(i);
  }

  /** Starts {@code wgmesh registry --relay} on the (first) registry host and waits until it relays. */
  public void startRegistry() {
    startRegistry(0);
  }

  /** Starts registry {@code i}'s {@code wgmesh registry --relay} and waits until it relays. */
  public void startRegistry(int i) {
    Registry r = registries.get(i);
    List<String> args = new java.util.ArrayList<>(List.of("registry", "--device", r.wg.name(), "--zone", ZONE, "--relay"));
    args.addAll(registryArgs);
    r.process = r.host.spawn("registry", product.command(registryOptions, args.toArray(String[]::new)));
    if (i == 0) {
      registry = r.process;
    }
    r.process.awaitLog("relaying for the mesh", Duration.ofSeconds(30));
  }

  /**
   * Registry {@code i} dies as a machine does: its process is killed with SIGKILL and its host's
   * cable pulled ({@link Host#unplug()}), so its WireGuard device answers nothing either. Returns
   * the moment of the kill (before the cable was pulled).
   */
  public Instant killRegistry(int i) {
    Registry r = registries.get(i);
    Instant killed = Instant.now();
    r.process.kill();
    r.host.unplug();
    r.down = true;
    return killed;
  }

  /**
   * Brings registry {@code i} back after {@link #killRegistry}: the cable in again and a fresh
   * registry process on the same device (same key, same peers, so nodes reconnect by
   * themselves); returns once it relays. Nodes added meanwhile were made its peers already.
   */
  public void restoreRegistry(int i) {
    Registry r = registries.get(i);
    r.host.plugIn();
    r.down = false;
    startRegistry(i);
  }

  /**
   * A node behind a NAT of the given kind (null: a public host), a peer of the registry and of no
   * other node yet ({@link #link}); it has not necessarily reached the registry ({@link #awaitRegistered}).
   */
  public Node addNode(String name, NatKind nat) {
    return addNodeAt(name, Placement.of(nat));
  }

  /**
   * A node placed in one of the lab's shapes, otherwise as {@link #addNode(String, NatKind)} (not
   * an overload of it, so that {@code addNode(name, null)} stays unambiguous). A
   * {@link Placement#UDP_BLOCKED} node's firewall passes UDP only to and from the registries'
   * endpoints (their public IPv4 addresses, port {@link #REGISTRY_PORT}).
   */
  public Node addNodeAt(String name, Placement placement) {
    Host host = switch (placement) {
      case PUBLIC -> lab.publicHost(name);
      case CONE -> lab.natHost(name, NatKind.CONE);
      case PORT_RESTRICTED -> lab.natHost(name, NatKind.PORT_RESTRICTED);
      case SYMMETRIC -> lab.natHost(name, NatKind.SYMMETRIC);
      case DOUBLE_NAT -> lab.doubleNatHost(name, NatKind.PORT_RESTRICTED);
      case UDP_BLOCKED -> lab.udpBlockedHost(name, registries.stream().map(r -> r.host.endpoint(REGISTRY_PORT)).toList());
      case IPV6 -> lab.ipv6Host(name);
    };
    if (placement.usesNat()) {
      natHosts++;
    } else {
      publicHosts++;
    }
    return addNode(name, host);
  }

  /**
   * Nodes on one LAN behind one NAT router of {@code kind} ({@link Lab#natSite}, named {@code
   * site}), in the order of {@code names}; otherwise as {@link #addNode(String, NatKind)}.
   */
  public List<Node> addNodesOnSite(String site, NatKind kind, List<String> names) {
    NatSite lan = lab.natSite(site, kind);
    natHosts++;
    List<Node> added = new java.util.ArrayList<>();
    for (String name : names) {
      added.add(addNode(name, lan.host(name)));
    }
    return added;
  }

  private Node addNode(String name, Host host) {
    int n = ++nextIp;
    String ip = "10.88." + (n / 250) + "." + (n % 250 + 1);
    WgInterface wg = host.wireguard("wg", ip + "/16", 0);
    for (Registry r : registries) {
      r.wg.addPeer(wg.publicKey(), null, List.of(ip + "/32"), 0);
      wg.addPeer(r.wg.publicKey(), r.host.endpoint(REGISTRY_PORT), List.of(r.tunnelIp + "/32"), KEEPALIVE);
    }
    Node node = new Node(name, host, wg, ip);
    nodes.put(name, node);
    return node;
  }

  /** {@link #addNode} linked with every node there is, once it has reached the registry. */
  public Node addMeshedNode(String name, NatKind nat) {
    List<Node> others = List.copyOf(nodes.values());
    Node node = addNode(name, nat);
    others.forEach(other -> link(node, other));
    awaitRegistered(node);
    return node;
  }

  /** Makes two nodes peers of each other, without endpoints, as the operator configures them. */
  public void link(Node a, Node b) {
    a.wg.addPeer(b.wg.publicKey(), null, List.of(b.tunnelIp + "/32"), KEEPALIVE);
    b.wg.addPeer(a.wg.publicKey(), null, List.of(a.tunnelIp + "/32"), KEEPALIVE);
  }

  /**
   * Waits until each node has a handshake with every registry that is not down (at most 20 s in
   * all).
   */
  public void awaitRegistered(Node... those) {
    Instant deadline = Instant.now().plusSeconds(20);
    for (Registry r : registries) {
      if (r.down) {
        continue;
      }
      for (Node n : those) {
        waitFor(Duration.between(Instant.now(), deadline), () -> r.wg.peer(n.wg.publicKey())
            .map(WgInterface.Peer::hasHandshake).orElse(false), n.name + " did not reach registry " + r.tunnelIp);
      }
    }
  }

  /** Starts the node's agent with the agent's JVM options ({@link ProductJar#AGENT}) and waits until it runs. */
  public void startAgent(Node node) {
    startAgent(node, ProductJar.AGENT);
  }

  public void startAgent(Node node, List<String> jvmOptions) {
    node.agent = node.host.spawn("agent", agentCommand(jvmOptions, node), ProductJar.AGENT_ENVIRONMENT);
    node.agent.awaitLog("agent on", Duration.ofSeconds(30));
  }

  /** Starts the nodes' agents at once and returns the moment all of them run (each logged that it started). */
  public Instant startAgents(List<String> jvmOptions, Node... those) {
    for (Node n : those) {
      n.agent = n.host.spawn("agent", agentCommand(jvmOptions, n), ProductJar.AGENT_ENVIRONMENT);
    }
    Instant deadline = Instant.now().plusSeconds(30);
    boolean[] up = new boolean[those.length];
    int running = 0;
    while (running < those.length) {
      for (int i = 0; i < those.length; i++) {
        if (!up[i]) {
          if (those[i].agent.log().contains("agent on")) {
            up[i] = true;
            running++;
          } else if (!those[i].agent.isAlive() || Instant.now().isAfter(deadline)) {
            throw new IllegalStateException("the agent of " + those[i].name + " did not start:\n" + those[i].agent.log());
          }
        }
      }
      if (running < those.length) {
        sleep(10);
      }
    }
    return Instant.now();
  }

  private List<String> agentCommand(List<String> jvmOptions, Node node) {
    List<String> args = new java.util.ArrayList<>(List.of("agent", "--device", node.wg.name()));
    for (Registry r : registries) {
      args.addAll(List.of("--registry", r.dnsAddress()));
    }
    args.addAll(List.of("--zone", ZONE));
    return product.command(jvmOptions, args.toArray(String[]::new));
  }

  /** Stops the nodes' agents and devices and removes them from the registry and the mesh. */
  public void retire(Node... those) {
    for (Node n : those) {
      if (n.agent != null) {
        n.agent.stop();
      }
    }
    for (Node n : those) {
      n.wg.stop();
      nodes.remove(n.name);
      for (Registry r : registries) {
        try {
          r.wg.removePeer(n.wg.publicKey());
        } catch (RuntimeException e) {
          // the lab goes away anyway
        }
      }
    }
  }

  /** NAT routers (NAT hosts, sites, double-NAT and IPv6 hosts) made so far (a lab holds a bounded number). */
  public int natHosts() {
    return natHosts;
  }

  /** Hosts on the internet (public and UDP-blocked ones, the registry's included) made so far (a lab holds a bounded number). */
  public int publicHosts() {
    return publicHosts;
  }

  public Node node(String name) {
    return nodes.get(name);
  }

  public List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  /** The endpoint node {@code from} uses for node {@code to}, as WireGuard reports it. */
  public String endpointOf(String from, String to) {
    return node(from).endpointOf(node(to)).orElse(null);
  }

  /** True when one ping from {@code from} to {@code to}'s tunnel address is answered within 1 s. */
  public boolean ping(String from, String to) {
    return node(from).host.exec("ping", "-c", "1", "-W", "1", node(to).tunnelIp).ok();
  }

  /** Bytes the (first) registry's WireGuard received and sent for a node (its tunnel to the registry). */
  public long registryBytes(String name) {
    return registryBytes(0, name);
  }

  /** Bytes registry {@code i}'s WireGuard received and sent for a node (its tunnel to that registry). */
  public long registryBytes(int i, String name) {
    return registries.get(i).wg.peer(node(name).wg.publicKey()).map(p -> p.rxBytes() + p.txBytes()).orElse(0L);
  }

  /** How a node reaches a peer, as its WireGuard device shows it. */
  public enum Route {
    DIRECT,
    RELAYED,
    PENDING
  }

  /** {@link #pathBetween} folded into three cases: LAN, IPv6 and direct are all {@link Route#DIRECT}. */
  public Route routeBetween(String from, String to) {
    return switch (pathBetween(from, to)) {
      case RELAYED -> Route.RELAYED;
      case LAN, IPV6, DIRECT -> Route.DIRECT;
      case PENDING -> Route.PENDING;
    };
  }

  /** The kind of path a node uses for a peer, from the endpoint its WireGuard device shows ({@link #pathBetween}). */
  public enum PathKind {
    /** The endpoint is 127.x.x.x: the agent's relay socket, the registry relays. */
    RELAYED,
    /** The endpoint is the peer's own private address (both on one LAN), with a handshake younger than 180 s. */
    LAN,
    /** An IPv6 endpoint, with a handshake younger than 180 s. */
    IPV6,
    /** Any other endpoint (a public address or a NAT mapping), with a handshake younger than 180 s. */
    DIRECT,
    /** No endpoint, or no handshake younger than 180 s on a non-relay endpoint. */
    PENDING;

    /** {@code relayed}, {@code lan}, {@code ipv6}, {@code direct} or {@code pending}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The path node {@code from} uses for node {@code to}, see {@link PathKind}. */
  public PathKind pathBetween(String from, String to) {
    return pathBetween(node(from), node(to));
  }

  /** The path {@code from} uses for {@code to}, see {@link PathKind}. */
  public static PathKind pathBetween(Node from, Node to) {
    Optional<WgInterface.Peer> peer;
    try {
      peer = from.wg.peer(to.wg.publicKey());
    } catch (RuntimeException e) {
      return PathKind.PENDING;
    }
    return peer.map(p -> classify(p, to.host, Instant.now())).orElse(PathKind.PENDING);
  }

  /**
   * The path {@code from}'s agent last logged for {@code to} ({@link AgentPathLog}): the agent's own
   * view, {@link PathKind#PENDING} before its first change or without an agent.
   */
  public static PathKind agentPath(Node from, Node to) {
    return from.agent == null ? PathKind.PENDING : AgentPathLog.current(from.agent.log(), to.tunnelIp);
  }

  /** {@link #agentPath(Node, Node)} by node names. */
  public PathKind agentPath(String from, String to) {
    return agentPath(node(from), node(to));
  }

  static PathKind classify(WgInterface.Peer p, Host to, Instant now) {
    String endpoint = p.endpoint();
    if (endpoint == null) {
      return PathKind.PENDING;
    }
    if (endpoint.startsWith("127.")) {
      return PathKind.RELAYED;
    }
    boolean fresh = p.latestHandshakeTime().map(t -> t.isAfter(now.minusSeconds(180))).orElse(false);
    if (!fresh) {
      return PathKind.PENDING;
    }
    if (endpoint.startsWith("[")) {
      return PathKind.IPV6;
    }
    String ip = endpoint.substring(0, endpoint.lastIndexOf(':'));
    if (to.isBehindNat() && ip.equals(to.address().getHostAddress())) {
      return PathKind.LAN;
    }
    return PathKind.DIRECT;
  }

  /** Waits until {@code condition} holds; fails with {@code failure} after {@code limit}. */
  public static void waitFor(Duration limit, BooleanSupplier condition, String failure) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(failure + " within " + Math.max(1, limit.toSeconds()) + " s");
      }
      sleep(20);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    lab.close();
  }
}
