package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.relay.RelayFrame;
import io.fabric8.kubernetes.api.model.Node;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The desired state of a mesh from its resources: validation, IPAM, effective AllowedIPs, one
 * WireGuardNodeConfig per node plus the registry's, and the mesh's WireGuardPeerSets. A pure
 * function, as Kilo's topology code is:
 * it reads no clock and does no I/O, so it is tested with resources built as values.
 *
 * <p>Peers are considered in a fixed order (creation time, then name), so the earlier of two
 * conflicting peers keeps its address or key and the later one gets the condition; addresses
 * recorded in a peer's status are kept, which keeps them stable across operator restarts.
 */
public final class MeshPlanner {
  static final int DNS_PORT = 53;

  private MeshPlanner() {}

  public static MeshPlan plan(WireGuardMesh mesh, List<WireGuardPeer> peers, List<Node> nodes, String registryPublicKey) {
    String meshName = mesh.getMetadata().getName();
    WireGuardMeshSpec spec = mesh.getSpec();
    Network network;
    try {
      network = Network.of(spec);
    } catch (IllegalArgumentException e) {
      List<Condition> conditions = List.of(Conditions.isFalse(Conditions.READY, Conditions.INVALID_SPEC, e.getMessage()));
      return new MeshPlan(Map.of(), Map.of(), Map.of(), conditions, null, false);
    }

    Map<String, Node> eligibleNodes = new HashMap<>();
    Map<String, Node> allNodes = new HashMap<>();
    for (Node node : nodes) {
      allNodes.put(node.getMetadata().getName(), node);
      if (selected(node, spec.getNodeSelector())) {
        eligibleNodes.put(node.getMetadata().getName(), node);
      }
    }

    List<WireGuardPeer> ordered = new ArrayList<>(peers);
    ordered.sort(Comparator.comparing((WireGuardPeer p) -> Objects.toString(p.getMetadata().getCreationTimestamp(), ""))
        .thenComparing(p -> p.getMetadata().getName()));

    Map<String, Candidate> candidates = new LinkedHashMap<>();
    Map<String, PeerOutcome> outcomes = new TreeMap<>();
    Map<WireGuardKey, String> keysSeen = new HashMap<>();
    WireGuardKey registryKey = registryPublicKey == null ? null : WireGuardKey.fromBase64(registryPublicKey);

    for (WireGuardPeer peer : ordered) {
      String name = peer.getMetadata().getName();
      Optional<String> problem = Optional.empty();
      String problemType = null;
      WireGuardKey key = null;
      try {
        key = WireGuardKey.fromBase64(peer.getSpec().getPublicKey());
      } catch (IllegalArgumentException e) {
        problem = Optional.of(e.getMessage());
        problemType = Conditions.INVALID_KEY;
      }
      if (problem.isEmpty() && (keysSeen.containsKey(key) || key.equals(registryKey))) {
        problem = Optional.of("public key already used by " + (key.equals(registryKey) ? "the registry" : "peer " + keysSeen.get(key)));
        problemType = Conditions.DUPLICATE_KEY;
      }
      String nodeName = peer.getSpec().getNodeName();
      if (problem.isEmpty() && nodeName != null && !allNodes.containsKey(nodeName)) {
        problem = Optional.of("node " + nodeName + " does not exist");
        problemType = Conditions.NODE_NOT_FOUND;
      } else if (problem.isEmpty() && nodeName != null && !eligibleNodes.containsKey(nodeName)) {
        problem = Optional.of("node " + nodeName + " does not match the mesh's node selector");
        problemType = Conditions.NOT_SELECTED;
      }
      List<IpPrefix> extra = new ArrayList<>();
      if (problem.isEmpty()) {
        try {
          for (String cidr : peer.getSpec().getAllowedIPs()) {
            extra.add(IpPrefix.parse(cidr));
          }
          if (peer.getSpec().getEndpoint() != null) {
            Endpoints.parseHostOrAddress(peer.getSpec().getEndpoint());
          }
        } catch (IllegalArgumentException e) {
          problem = Optional.of(e.getMessage());
          problemType = Conditions.INVALID_SPEC;
        }
      }
      if (problem.isPresent()) {
        outcomes.put(name, excluded(problemType, problem.get(), null));
        continue;
      }
      keysSeen.put(key, name);
      candidates.put(name, new Candidate(peer, key, extra, nodeName == null ? null : eligibleNodes.get(nodeName)));
    }

    allocateAddresses(candidates, network, outcomes);
    assignAllowedIps(candidates, network, outcomes);

    Map<String, WireGuardNodeConfigSpec> configs = new TreeMap<>();
    List<Candidate> members = candidates.values().stream().filter(c -> c.address != null).toList();
    for (Candidate member : members) {
      if (member.node != null) {
        configs.put(member.node.getMetadata().getName(), nodeConfig(meshName, spec, network, member, registryPublicKey));
      }
    }
    configs.put(MeshPlan.registryConfigName(meshName), registryConfig(meshName, spec, network, members));
    Map<String, WireGuardPeerSetSpec> peerSets = peerSets(meshName, spec, members);
    List<Condition> meshConditions = new ArrayList<>();
    meshConditions.add(registryPublicKey == null
        ? Conditions.isFalse(Conditions.REGISTRY_READY, "KeyPending", "the registry's key is not created yet")
        : Conditions.isTrue(Conditions.REGISTRY_READY, "KeyReady", "the registry's key exists"));
    return new MeshPlan(outcomes, configs, peerSets, meshConditions, IpPrefix.hostText(network.registry), true);
  }

  /** A peer that passed validation, collecting its address and AllowedIPs. */
  private static final class Candidate {
    final WireGuardPeer peer;
    final WireGuardKey key;
    final List<IpPrefix> extra;
    final Node node;
    InetAddress address;
    InetAddress address6;
    final List<IpPrefix> allowed = new ArrayList<>();
    final List<Condition> warnings = new ArrayList<>();

    Candidate(WireGuardPeer peer, WireGuardKey key, List<IpPrefix> extra, Node node) {
      this.peer = peer;
      this.key = key;
      this.extra = extra;
      this.node = node;
    }

    String name() {
      return peer.getMetadata().getName();
    }
  }

  /** Fixed addresses first, then addresses already recorded in status, then new ones. */
  private static void allocateAddresses(Map<String, Candidate> candidates, Network network, Map<String, PeerOutcome> outcomes) {
    AddressPool pool = network.pool();
    Map<String, String> owners = new HashMap<>();
    owners.put(IpPrefix.hostText(network.registry), "the registry");
    List<String> rejected = new ArrayList<>();
    for (Candidate c : candidates.values()) {
      String fixed = c.peer.getSpec().getAddress();
      if (fixed == null) {
        continue;
      }
      InetAddress wanted = IpPrefix.parseAddress(fixed);
      Optional<String> conflict = pool.claim(wanted);
      if (conflict.isEmpty()) {
        c.address = wanted;
        owners.put(IpPrefix.hostText(wanted), c.name());
      } else {
        String owner = owners.get(IpPrefix.hostText(wanted));
        outcomes.put(c.name(), excluded(Conditions.ADDRESS_CONFLICT,
            owner == null ? conflict.get() : fixed + " is already the address of " + owner, null));
        rejected.add(c.name());
      }
    }
    for (Candidate c : candidates.values()) {
      String recorded = c.peer.getStatus() == null ? null : c.peer.getStatus().getAddress();
      if (c.address != null || rejected.contains(c.name()) || recorded == null || c.peer.getSpec().getAddress() != null) {
        continue;
      }
      try {
        InetAddress previous = IpPrefix.parseAddress(recorded);
        if (pool.claim(previous).isEmpty()) {
          c.address = previous;
        }
      } catch (IllegalArgumentException ignored) {
        // a garbled status address is simply replaced below
      }
    }
    for (Candidate c : candidates.values()) {
      if (c.address != null || rejected.contains(c.name())) {
        continue;
      }
      Optional<InetAddress> next = pool.next();
      if (next.isPresent()) {
        c.address = next.get();
      } else {
        outcomes.put(c.name(), excluded(Conditions.ADDRESS_POOL_EXHAUSTED, "no free address left in " + network.v4, null));
        rejected.add(c.name());
      }
    }
    rejected.forEach(candidates::remove);
    for (Candidate c : candidates.values()) {
      network.v6.ifPresent(v6 -> c.address6 = network.v6AddressFor(pool.offsetOf(c.address)));
    }
  }

  /**
   * Tunnel address(es), the node's pod CIDRs and the extra AllowedIPs. A prefix that overlaps the
   * mesh network or an earlier peer's prefix would steal traffic: it is left out, with a condition.
   */
  private static void assignAllowedIps(Map<String, Candidate> candidates, Network network, Map<String, PeerOutcome> outcomes) {
    List<Map.Entry<IpPrefix, String>> taken = new ArrayList<>();
    for (Candidate c : candidates.values()) {
      c.allowed.add(new IpPrefix(c.address, 32));
      if (c.address6 != null) {
        c.allowed.add(new IpPrefix(c.address6, 128));
      }
      List<IpPrefix> routed = new ArrayList<>();
      if (c.node != null) {
        routed.addAll(podCidrs(c.node));
      }
      routed.addAll(c.extra);
      for (IpPrefix prefix : routed) {
        Optional<String> clash = taken.stream().filter(t -> t.getKey().overlaps(prefix)).map(Map.Entry::getValue).findFirst();
        if (prefix.overlaps(network.v4) || network.v6.map(prefix::overlaps).orElse(false)) {
          c.warnings.add(Conditions.isTrue(Conditions.ALLOWED_IPS_OVERLAP, "OverlapsMeshNetwork",
              prefix + " overlaps the mesh network and is not routed to this peer"));
        } else if (clash.isPresent()) {
          c.warnings.add(Conditions.isTrue(Conditions.ALLOWED_IPS_OVERLAP, "OverlapsPeer",
              prefix + " overlaps an AllowedIP of " + clash.get() + " and is not routed to this peer"));
        } else {
          c.allowed.add(prefix);
          taken.add(Map.entry(prefix, c.name()));
        }
      }
      List<Condition> conditions = new ArrayList<>();
      conditions.add(Conditions.isTrue(Conditions.READY, "InMesh", "address " + IpPrefix.hostText(c.address) + " in mesh"));
      conditions.addAll(c.warnings);
      outcomes.put(c.name(), new PeerOutcome(IpPrefix.hostText(c.address), c.allowed.stream().map(IpPrefix::toString).toList(),
          conditions, true));
    }
  }

  private static List<IpPrefix> podCidrs(Node node) {
    List<String> cidrs = new ArrayList<>();
    if (node.getSpec() != null) {
      if (node.getSpec().getPodCIDRs() != null && !node.getSpec().getPodCIDRs().isEmpty()) {
        cidrs.addAll(node.getSpec().getPodCIDRs());
      } else if (node.getSpec().getPodCIDR() != null) {
        cidrs.add(node.getSpec().getPodCIDR());
      }
    }
    List<IpPrefix> out = new ArrayList<>();
    for (String cidr : cidrs) {
      try {
        out.add(IpPrefix.parse(cidr).network());
      } catch (IllegalArgumentException ignored) {
        // the API server validates podCIDRs; a broken one is not ours to route
      }
    }
    return out;
  }

  /** A node's own part: interface, registry, discovery. Its peers are the mesh's peer sets. */
  private static WireGuardNodeConfigSpec nodeConfig(String mesh, WireGuardMeshSpec spec, Network network, Candidate self,
      String registryPublicKey) {
    WireGuardNodeConfigSpec config = new WireGuardNodeConfigSpec();
    config.setMesh(mesh);
    config.setNodeName(self.node.getMetadata().getName());
    config.setInterfaceSpec(interfaceSpec(network, self.address, self.address6, spec.getListenPort(), spec.getMtu()));
    if (registryPublicKey != null) {
      WireGuardNodeConfigSpec.RegistryPeer registry = new WireGuardNodeConfigSpec.RegistryPeer();
      registry.setPublicKey(registryPublicKey);
      registry.setEndpoint(spec.getRegistry().getEndpoint());
      registry.setAddress(IpPrefix.hostText(network.registry));
      registry.setZone(spec.getRegistry().getZone());
      registry.setDnsPort(DNS_PORT);
      registry.setRelayPort(RelayFrame.DEFAULT_PORT);
      registry.setPersistentKeepalive(spec.getPersistentKeepalive());
      config.setRegistryPeer(registry);
    }
    config.getDiscovery().setRelay(spec.getRelay());
    return config;
  }

  /**
   * Every member as the nodes configure it, spread over {@link MeshPlan#PEER_SETS} sets by a hash
   * of its name: each node applies all of them but itself. Members keep the planner's order
   * (oldest first), so a newcomer is appended to its set and a join is one small patch.
   */
  private static Map<String, WireGuardPeerSetSpec> peerSets(String mesh, WireGuardMeshSpec spec, List<Candidate> members) {
    Map<String, WireGuardPeerSetSpec> sets = new TreeMap<>();
    for (Candidate member : members) {
      String setName = MeshPlan.peerSetName(mesh, MeshPlan.peerSetOf(member.name()));
      sets.computeIfAbsent(setName, n -> new WireGuardPeerSetSpec(mesh, new ArrayList<>())).getPeers()
          .add(new WireGuardNodeConfigSpec.Peer(member.name(), member.key.toBase64(), member.allowed.stream().map(IpPrefix::toString).toList(),
              member.peer.getSpec().getEndpoint(), spec.getPersistentKeepalive()));
    }
    return sets;
  }

  /** The registry routes only tunnel addresses: it carries DNS-SD and relay frames, never pod traffic. */
  private static WireGuardNodeConfigSpec registryConfig(String mesh, WireGuardMeshSpec spec, Network network, List<Candidate> members) {
    WireGuardNodeConfigSpec config = new WireGuardNodeConfigSpec();
    config.setMesh(mesh);
    config.setRegistry(true);
    config.setNodeName(spec.getRegistry().getNodeName());
    InetAddress registry6 = network.v6.isPresent() ? network.v6AddressFor(network.pool().offsetOf(network.registry)) : null;
    config.setInterfaceSpec(interfaceSpec(network, network.registry, registry6, spec.getRegistry().getPort(), spec.getMtu()));
    for (Candidate member : members) {
      List<String> tunnel = new ArrayList<>();
      tunnel.add(new IpPrefix(member.address, 32).toString());
      if (member.address6 != null) {
        tunnel.add(new IpPrefix(member.address6, 128).toString());
      }
      config.getPeers().add(new WireGuardNodeConfigSpec.Peer(member.name(), member.key.toBase64(), tunnel,
          member.peer.getSpec().getEndpoint(), null));
    }
    config.getDiscovery().setRelay(spec.getRelay());
    return config;
  }

  private static WireGuardNodeConfigSpec.InterfaceSpec interfaceSpec(Network network, InetAddress v4, InetAddress v6, Integer port, Integer mtu) {
    WireGuardNodeConfigSpec.InterfaceSpec spec = new WireGuardNodeConfigSpec.InterfaceSpec();
    spec.getAddresses().add(IpPrefix.hostText(v4) + "/" + network.v4.length());
    if (v6 != null) {
      spec.getAddresses().add(IpPrefix.hostText(v6) + "/" + network.v6.get().length());
    }
    spec.setListenPort(port);
    spec.setMtu(mtu);
    return spec;
  }

  private static boolean selected(Node node, Map<String, String> selector) {
    if (selector == null || selector.isEmpty()) {
      return true;
    }
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    return selector.entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
  }

  private static PeerOutcome excluded(String type, String message, String address) {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(Conditions.isFalse(Conditions.READY, type, message));
    conditions.add(Conditions.isTrue(type, type, message));
    return new PeerOutcome(address, List.of(), conditions, false);
  }

  /** The mesh's networks and the registry's address, validated. */
  private record Network(IpPrefix v4, Optional<IpPrefix> v6, InetAddress registry) {
    static Network of(WireGuardMeshSpec spec) {
      if (spec.getNetwork() == null) {
        throw new IllegalArgumentException("spec.network is required");
      }
      IpPrefix v4 = IpPrefix.parse(spec.getNetwork());
      if (!v4.isIpv4()) {
        throw new IllegalArgumentException("spec.network must be an IPv4 CIDR, got " + spec.getNetwork());
      }
      v4 = v4.network();
      AddressPool pool = new AddressPool(v4);
      Optional<IpPrefix> v6 = Optional.empty();
      if (spec.getNetworkV6() != null) {
        IpPrefix parsed = IpPrefix.parse(spec.getNetworkV6());
        if (parsed.isIpv4()) {
          throw new IllegalArgumentException("spec.networkV6 must be an IPv6 CIDR, got " + spec.getNetworkV6());
        }
        if (128 - parsed.length() < 32 - v4.length()) {
          throw new IllegalArgumentException("spec.networkV6 " + parsed + " is smaller than spec.network " + v4);
        }
        v6 = Optional.of(parsed.network());
      }
      String fixed = spec.getRegistry() == null ? null : spec.getRegistry().getAddress();
      InetAddress registry = fixed == null ? pool.lastUsable() : IpPrefix.parseAddress(fixed);
      Optional<String> unusable = pool.claim(registry);
      if (unusable.isPresent()) {
        throw new IllegalArgumentException("spec.registry.address: " + unusable.get());
      }
      if (spec.getRegistry() != null && spec.getRegistry().getEndpoint() != null) {
        Endpoints.parseHostOrAddress(spec.getRegistry().getEndpoint());
      }
      return new Network(v4, v6, registry);
    }

    /** A fresh pool with the registry's address taken. */
    AddressPool pool() {
      AddressPool pool = new AddressPool(v4);
      pool.claim(registry);
      return pool;
    }

    /** The IPv6 address with the same offset as the IPv4 one: dual-stack addresses that match. */
    InetAddress v6AddressFor(long offset) {
      BigInteger base = new BigInteger(1, v6.get().address().getAddress());
      byte[] raw = base.add(BigInteger.valueOf(offset)).toByteArray();
      byte[] sixteen = new byte[16];
      System.arraycopy(raw, Math.max(0, raw.length - 16), sixteen, Math.max(0, 16 - raw.length), Math.min(16, raw.length));
      try {
        return InetAddress.getByAddress(sixteen);
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
