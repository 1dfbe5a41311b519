package dev.wgmesh.demo;

import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.WgInterface;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A standalone wgmesh mesh in the NAT lab: a public registry host running {@code wgmesh registry
 * --relay}, and nodes that each run {@code wgmesh agent} next to a wireguard-go interface whose
 * peers are the registry (with its public endpoint) and every other node (with no endpoint).
 * Everything runs as real processes; closing the lab removes it all.
 */
public final class StandaloneMesh implements AutoCloseable {
  public static final String ZONE = "mesh.wgmesh.test";
  public static final String REGISTRY_IP = "10.88.0.254";
  static final int KEEPALIVE = 25;

  public final Lab lab;
  public final Host registryHost;
  public final WgInterface registryWg;
  public ManagedProcess registry;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private int nextIp = 1;

  /** One node of the mesh: a lab host, its WireGuard interface, and its agent once started. */
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
  }

  public StandaloneMesh(String purpose) {
    lab = Lab.create(purpose);
    registryHost = lab.publicHost("reg");
    registryWg = registryHost.wireguard("wg", REGISTRY_IP + "/24", 51820);
    startRegistry();
  }

  public void startRegistry() {
    registry = registryHost.spawn("registry", Product.command("registry", "--device", registryWg.name(), "--zone", ZONE,
        "--relay", "--refresh", "500ms", "--metrics", "off"));
    registry.awaitLog("relaying for the mesh", Duration.ofSeconds(30));
  }

  /** Adds a node behind the given NAT (null: a public host), meshed with every existing node. */
  public Node addNode(String name, NatKind nat) {
    Host host = nat == null ? lab.publicHost(name) : lab.natHost(name, nat);
    String ip = "10.88.0." + nextIp++;
    WgInterface wg = host.wireguard("wg", ip + "/24", 0);
    registryWg.addPeer(wg.publicKey(), null, List.of(ip + "/32"), 0);
    wg.addPeer(registryWg.publicKey(), registryHost.endpoint(51820), List.of(REGISTRY_IP + "/32"), KEEPALIVE);
    for (Node other : nodes.values()) {
      wg.addPeer(other.wg.publicKey(), null, List.of(other.tunnelIp + "/32"), KEEPALIVE);
      other.wg.addPeer(wg.publicKey(), null, List.of(ip + "/32"), KEEPALIVE);
    }
    Node node = new Node(name, host, wg, ip);
    nodes.put(name, node);
    waitFor(Duration.ofSeconds(20), () -> registryWg.peer(wg.publicKey()).map(WgInterface.Peer::hasHandshake).orElse(false),
        name + " did not reach the registry");
    return node;
  }

  public void startAgent(Node node) {
    node.agent = node.host.spawn("agent", Product.command("agent", "--device", node.wg.name(),
        "--registry", REGISTRY_IP + ":53", "--zone", ZONE));
    node.agent.awaitLog("agent on", Duration.ofSeconds(30));
  }

  public Node node(String name) {
    return nodes.get(name);
  }

  public List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  /** The endpoint node {@code from} uses for node {@code to}, as WireGuard reports it. */
  public String endpointOf(String from, String to) {
    return node(from).wg.peer(node(to).wg.publicKey()).map(WgInterface.Peer::endpoint).orElse(null);
  }

  /** True when one ping from {@code from} to {@code to}'s tunnel address is answered within 1 s. */
  public boolean ping(String from, String to) {
    return node(from).host.exec("ping", "-c", "1", "-W", "1", node(to).tunnelIp).ok();
  }

  /** Bytes the registry's WireGuard received and sent for a node (its tunnel to the registry). */
  public long registryBytes(String name) {
    return registryWg.peer(node(name).wg.publicKey()).map(p -> p.rxBytes() + p.txBytes()).orElse(0L);
  }

  /** How a node reaches a peer, as its WireGuard device shows it. */
  public enum Route {
    DIRECT,
    RELAYED,
    PENDING
  }

  public Route routeBetween(String from, String to) {
    return node(from).wg.peer(node(to).wg.publicKey()).map(p -> {
      if (p.endpoint() != null && p.endpoint().startsWith("127.")) {
        return Route.RELAYED;
      }
      boolean fresh = p.latestHandshakeTime().map(t -> t.isAfter(java.time.Instant.now().minusSeconds(180))).orElse(false);
      return fresh && p.endpoint() != null ? Route.DIRECT : Route.PENDING;
    }).orElse(Route.PENDING);
  }

  static void waitFor(Duration limit, java.util.function.BooleanSupplier condition, String failure) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(failure + " within " + limit.toSeconds() + " s");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public void close() {
    lab.close();
  }
}
