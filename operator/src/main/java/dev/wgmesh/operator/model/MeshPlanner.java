package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.DisjointPrefixes;
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

  /**
   * @param registryKeys each registry's public key by its object name ({@code <mesh>-registry},
   *     {@code <mesh>-registry-<name>}); a registry missing here has no key Secret yet
   */
  public static MeshPlan plan(WireGuardMesh mesh, List<WireGuardPeer> peers, List<Node> nodes, Map<String, String> registryKeys) {
    String meshName = mesh.getMetadata().getName();
    WireGuardMeshSpec spec = mesh.getSpec();
    Optional<String> nameProblem = RegistryObjectNames.meshNameProblem(meshName);
    if (nameProblem.isPresent()) {
      List<Condition> conditions = List.of(Conditions.isFalse(Conditions.READY, Conditions.INVALID_NAME, nameProblem.get()));
      return new MeshPlan(Map.of(), Map.of(), Map.of(), conditions, List.of(), false);
    }
    Network network;
    try {
      network = Network.of(spec);
    } catch (IllegalArgumentException e) {
      List<Condition> conditions = List.of(Conditions.isFalse(Conditions.READY, Conditions.INVALID_SPEC, e.getMessage()));
      return new MeshPlan(Map.of(), Map.of(), Map.of(), conditions, List.of(), false);
    }
    List<MeshPlan.Registry> registries = new ArrayList<>();
    for (int i = 0; i < network.registries.size(); i++) {
      WireGuardMeshSpec.RegistrySpec r = network.registries.get(i);
      registries.add(new MeshPlan.Registry(r.getName(), r.objectName(meshName), IpPrefix.hostText(network.registryAddresses.get(i)),
          r.getEndpoint(), registryKeys.get(r.objectName(meshName))));
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
    Map<WireGuardKey, String> registryKeysSeen = new HashMap<>();
    for (MeshPlan.Registry r : registries) {
      if (r.publicKey() != null) {
        registryKeysSeen.put(WireGuardKey.fromBase64(r.publicKey()), r.name() == null ? "the registry" : "registry " + r.name());
      }
    }

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
      if (problem.isEmpty() && (keysSeen.containsKey(key) || registryKeysSeen.containsKey(key))) {
        problem = Optional.of("public key already used by " + (registryKeysSeen.containsKey(key) ? registryKeysSeen.get(key)
            : "peer " + keysSeen.get(key)));
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
        configs.put(member.node.getMetadata().getName(), nodeConfig(meshName, spec, network, member, registries));
      }
    }
    for (int i = 0; i < registries.size(); i++) {
      configs.put(registries.get(i).objectName(), registryConfig(meshName, spec, network, network.registries.get(i),
          network.registryAddresses.get(i), members));
    }
    Map<String, WireGuardPeerSetSpec> peerSets = peerSets(meshName, spec, members);
    List<Condition> meshConditions = new ArrayList<>();
    List<String> keyPending = registries.stream().filter(r -> r.publicKey() == null).map(MeshPlanner::label).toList();
    meshConditions.add(!keyPending.isEmpty()
        ? Conditions.isFalse(Conditions.REGISTRY_READY, "KeyPending", "the key of " + String.join(", ", keyPending) + " is not created yet")
        : Conditions.isTrue(Conditions.REGISTRY_READY, "KeyReady", "every registry's key exists"));
    List<String> noEndpoint = new ArrayList<>();
    for (WireGuardMeshSpec.RegistrySpec r : network.registries) {
      if (r.getEndpoint() == null && r.hostNetwork()) {
        noEndpoint.add(label(r.getName()) + (r.getNodeName() == null ? " (HostNetwork without nodeName)"
            : " (node " + r.getNodeName() + " has no ExternalIP)"));
      }
    }
    if (!noEndpoint.isEmpty()) {
      meshConditions.add(Conditions.isTrue(Conditions.REGISTRY_ENDPOINT_MISSING, "NoEndpoint", "no endpoint for "
          + String.join(", ", noEndpoint) + ": set its endpoint; nodes cannot reach it until then"));
    }
    return new MeshPlan(outcomes, configs, peerSets, meshConditions, registries, true);
  }

  /** How messages name a registry: "registry eu", or "the registry" for the single one. */
  public static String label(MeshPlan.Registry registry) {
    return label(registry.name());
  }

  private static String label(String name) {
    return name == null ? "the registry" : "registry " + name;
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
    /** Text forms, made once: the outcome, the peer sets and the registry's config all carry them. */
    String addressText;
    List<String> allowedTexts;
    String keyText;

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
    for (int i = 0; i < network.registries.size(); i++) {
      owners.put(IpPrefix.hostText(network.registryAddresses.get(i)), label(network.registries.get(i).getName()));
    }
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
    DisjointPrefixes<String> taken = new DisjointPrefixes<>();
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
        if (prefix.overlaps(network.v4) || network.v6.map(prefix::overlaps).orElse(false)) {
          c.warnings.add(Conditions.isTrue(Conditions.ALLOWED_IPS_OVERLAP, "OverlapsMeshNetwork",
              prefix + " overlaps the mesh network and is not routed to this peer"));
          continue;
        }
        Optional<String> clash = taken.addUnlessOverlapping(prefix, c.name());
        if (clash.isPresent()) {
          c.warnings.add(Conditions.isTrue(Conditions.ALLOWED_IPS_OVERLAP, "OverlapsPeer",
              prefix + " overlaps an AllowedIP of " + clash.get() + " and is not routed to this peer"));
        } else {
          c.allowed.add(prefix);
        }
      }
      c.addressText = IpPrefix.hostText(c.address);
      c.allowedTexts = c.allowed.stream().map(IpPrefix::toString).toList();
      c.keyText = c.key.toBase64();
      List<Condition> conditions = new ArrayList<>();
      conditions.add(Conditions.isTrue(Conditions.READY, "InMesh", "address " + c.addressText + " in mesh"));
      conditions.addAll(c.warnings);
      outcomes.put(c.name(), new PeerOutcome(c.addressText, c.allowedTexts, conditions, true));
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

  /**
   * A node's own part: interface, registries, discovery. Its peers are the mesh's peer sets. A
   * registry without a key yet is left out until it has one; the others are listed.
   */
  private static WireGuardNodeConfigSpec nodeConfig(String mesh, WireGuardMeshSpec spec, Network network, Candidate self,
      List<MeshPlan.Registry> registries) {
    WireGuardNodeConfigSpec config = new WireGuardNodeConfigSpec();
    config.setMesh(mesh);
    config.setNodeName(self.node.getMetadata().getName());
    config.setInterfaceSpec(interfaceSpec(network, self.address, self.address6, spec.getListenPort(), spec.getMtu()));
    for (int i = 0; i < registries.size(); i++) {
      MeshPlan.Registry planned = registries.get(i);
      if (planned.publicKey() == null) {
        continue;
      }
      WireGuardNodeConfigSpec.RegistryPeer registry = new WireGuardNodeConfigSpec.RegistryPeer();
      registry.setName(planned.name());
      registry.setPublicKey(planned.publicKey());
      registry.setEndpoint(planned.endpoint());
      registry.setAddress(planned.address());
      registry.setZone(network.registries.get(i).getZone());
      registry.setDnsPort(DNS_PORT);
      registry.setRelayPort(RelayFrame.DEFAULT_PORT);
      registry.setPersistentKeepalive(spec.getPersistentKeepalive());
      config.getRegistryPeers().add(registry);
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
          .add(new WireGuardNodeConfigSpec.Peer(member.name(), member.keyText, member.allowedTexts, member.peer.getSpec().getEndpoint(),
              spec.getPersistentKeepalive()));
    }
    return sets;
  }

  /** The registry routes only tunnel addresses: it carries DNS-SD and relay frames, never pod traffic. */
  private static WireGuardNodeConfigSpec registryConfig(String mesh, WireGuardMeshSpec spec, Network network,
      WireGuardMeshSpec.RegistrySpec registry, InetAddress address, List<Candidate> members) {
    WireGuardNodeConfigSpec config = new WireGuardNodeConfigSpec();
    config.setMesh(mesh);
    config.setRegistry(true);
    config.setNodeName(registry.getNodeName());
    InetAddress registry6 = network.v6.isPresent() ? network.v6AddressFor(network.pool().offsetOf(address)) : null;
    config.setInterfaceSpec(interfaceSpec(network, address, registry6, registry.getPort(), spec.getMtu()));
    for (Candidate member : members) {
      // The tunnel addresses: the first of its AllowedIPs (two when dual-stack), never its pod CIDRs.
      List<String> tunnel = member.allowedTexts.subList(0, member.address6 != null ? 2 : 1);
      config.getPeers().add(new WireGuardNodeConfigSpec.Peer(member.name(), member.keyText, tunnel, member.peer.getSpec().getEndpoint(), null));
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

  /** The mesh's networks and its registries with their tunnel addresses (same order), validated. */
  private record Network(IpPrefix v4, Optional<IpPrefix> v6, List<WireGuardMeshSpec.RegistrySpec> registries,
      List<InetAddress> registryAddresses) {
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
      List<WireGuardMeshSpec.RegistrySpec> registries = spec.effectiveRegistries();
      if (registries.isEmpty()) {
        throw new IllegalArgumentException("spec.registry or spec.registries is required");
      }
      if (spec.getRegistry() != null && spec.getRegistries() != null && !spec.getRegistries().isEmpty()) {
        throw new IllegalArgumentException("set exactly one of spec.registry and spec.registries");
      }
      java.util.Set<String> names = new java.util.HashSet<>();
      Map<String, String> hostPorts = new HashMap<>();
      for (int i = 0; i < registries.size(); i++) {
        WireGuardMeshSpec.RegistrySpec r = registries.get(i);
        String where = fieldOf(spec, i);
        if (spec.getRegistry() == null && (r.getName() == null || !names.add(r.getName()))) {
          throw new IllegalArgumentException(where + ".name: " + (r.getName() == null ? "required" : "duplicate name " + r.getName()));
        }
        if (r.getEndpoint() != null) {
          Endpoints.parseHostOrAddress(r.getEndpoint());
        }
        if (r.hostNetwork() && r.getNodeName() != null) {
          String other = hostPorts.putIfAbsent(r.getNodeName() + ":" + r.portOrDefault(), label(r.getName()));
          if (other != null) {
            throw new IllegalArgumentException(label(r.getName()) + " and " + other + " are both pinned to node " + r.getNodeName()
                + " with UDP port " + r.portOrDefault() + ": give one another port or node");
          }
        }
      }
      // Explicit addresses first, then the defaults from the top of the network down, skipping taken ones.
      InetAddress[] addresses = new InetAddress[registries.size()];
      for (int i = 0; i < registries.size(); i++) {
        String fixed = registries.get(i).getAddress();
        if (fixed != null) {
          addresses[i] = IpPrefix.parseAddress(fixed);
          Optional<String> unusable = pool.claim(addresses[i]);
          if (unusable.isPresent()) {
            throw new IllegalArgumentException(fieldOf(spec, i) + ".address: " + unusable.get());
          }
        }
      }
      for (int i = 0; i < registries.size(); i++) {
        if (addresses[i] == null) {
          int index = i;
          addresses[i] = pool.highestFree()
              .orElseThrow(() -> new IllegalArgumentException(fieldOf(spec, index) + ": no free address left in " + spec.getNetwork()));
        }
      }
      return new Network(v4, v6, registries, List.of(addresses));
    }

    private static String fieldOf(WireGuardMeshSpec spec, int index) {
      return spec.getRegistry() != null ? "spec.registry" : "spec.registries[" + index + "]";
    }

    /** A fresh pool with the registries' addresses taken: IPAM never hands them to nodes. */
    AddressPool pool() {
      AddressPool pool = new AddressPool(v4);
      registryAddresses.forEach(pool::claim);
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
