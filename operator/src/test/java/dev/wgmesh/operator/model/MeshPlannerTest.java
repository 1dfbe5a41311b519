package dev.wgmesh.operator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSets;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The planner with resources built as values: no API server, no clock. */
class MeshPlannerTest {
  static final String REGISTRY_KEY = KeyPair.generate().publicKey().toBase64();
  /** The single registry's key by its object name. */
  static final Map<String, String> KEYS = Map.of("prod-registry", REGISTRY_KEY);

  static WireGuardMesh mesh(String network) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("prod").build());
    mesh.getSpec().setNetwork(network);
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    mesh.getSpec().getRegistry().setEndpoint("203.0.113.5:51820");
    return mesh;
  }

  static Node node(String name, String podCidr, Map<String, String> labels) {
    return new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec().build();
  }

  static int created;

  static WireGuardPeer peer(String name, String nodeName) {
    WireGuardPeer peer = new WireGuardPeer();
    // Creation times in creation order, as the API server would stamp them.
    peer.setMetadata(new ObjectMetaBuilder().withName(name)
        .withCreationTimestamp(String.format("2026-11-24T10:%02d:%02dZ", created / 60, created++ % 60)).build());
    peer.getSpec().setMesh("prod");
    peer.getSpec().setPublicKey(KeyPair.generate().publicKey().toBase64());
    peer.getSpec().setNodeName(nodeName);
    return peer;
  }

  final WireGuardMesh mesh = mesh("10.88.0.0/24");
  final List<Node> nodes = List.of(
      node("n1", "10.244.1.0/24", Map.of()), node("n2", "10.244.2.0/24", Map.of()), node("n3", "10.244.3.0/24", Map.of()));
  final List<WireGuardPeer> peers = new ArrayList<>(List.of(peer("n1", "n1"), peer("n2", "n2"), peer("n3", "n3")));

  MeshPlan plan() {
    return MeshPlanner.plan(mesh, peers, nodes, KEYS);
  }

  /** The peers the agent of {@code node} applies: its config with the plan's peer sets, without itself. */
  static List<WireGuardNodeConfigSpec.Peer> effectivePeers(MeshPlan plan, String node) {
    List<WireGuardPeerSet> sets = new ArrayList<>();
    plan.peerSets().forEach((name, spec) -> {
      WireGuardPeerSet set = new WireGuardPeerSet();
      set.setMetadata(new ObjectMetaBuilder().withName(name).build());
      set.setSpec(spec);
      sets.add(set);
    });
    String ownKey = plan.peerSets().values().stream().flatMap(s -> s.getPeers().stream()).filter(p -> p.getName().equals(node))
        .map(WireGuardNodeConfigSpec.Peer::getPublicKey).findFirst().orElseThrow();
    return WireGuardPeerSets.effectivePeers(plan.nodeConfigs().get(node), sets, ownKey);
  }

  static Condition condition(PeerOutcome outcome, String type) {
    return outcome.conditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  @Test
  void everyNodeGetsAConfigListingTheOthersWithPodCidrsAndTheRegistry() {
    MeshPlan plan = plan();
    assertTrue(plan.valid());
    assertEquals(List.of("n1", "n2", "n3", "prod-registry"), List.copyOf(plan.nodeConfigs().keySet()));
    WireGuardNodeConfigSpec n1 = plan.nodeConfigs().get("n1");
    assertEquals(List.of("10.88.0.1/24"), n1.getInterfaceSpec().getAddresses());
    assertEquals(51820, n1.getInterfaceSpec().getListenPort());
    assertEquals(1420, n1.getInterfaceSpec().getMtu());
    assertEquals(List.of(), n1.getPeers(), "the members are in the mesh's peer sets, not repeated per node");
    List<WireGuardNodeConfigSpec.Peer> effective = effectivePeers(plan, "n1");
    assertEquals(Set.of("n2", "n3"), effective.stream().map(WireGuardNodeConfigSpec.Peer::getName).collect(Collectors.toSet()));
    assertEquals(2, effective.size());
    WireGuardNodeConfigSpec.Peer n2 = effective.stream().filter(p -> p.getName().equals("n2")).findFirst().orElseThrow();
    assertEquals(peers.get(1).getSpec().getPublicKey(), n2.getPublicKey());
    assertEquals(List.of("10.88.0.2/32", "10.244.2.0/24"), n2.getAllowedIPs());
    assertNull(n2.getEndpoint(), "discovered endpoints are the agent's, never the config's");
    assertEquals(25, n2.getPersistentKeepalive());
    assertNull(n1.getRegistryPeer(), "the deprecated field is no longer written");
    assertEquals(1, n1.getRegistryPeers().size());
    WireGuardNodeConfigSpec.RegistryPeer registry = n1.getRegistryPeers().get(0);
    assertNull(registry.getName(), "the single registry has no name");
    assertEquals(REGISTRY_KEY, registry.getPublicKey());
    assertEquals("203.0.113.5:51820", registry.getEndpoint());
    assertEquals("10.88.0.254", registry.getAddress());
    assertEquals("wgmesh.internal", registry.getZone());
    assertEquals(53, registry.getDnsPort());
    assertEquals(51821, registry.getRelayPort());
    assertEquals(List.of(new MeshPlan.Registry(null, "prod-registry", "10.88.0.254", "203.0.113.5:51820", REGISTRY_KEY)), plan.registries());
  }

  @Test
  void registryConfigListsEveryMemberWithTunnelAddressesOnly() {
    WireGuardNodeConfigSpec registry = plan().nodeConfigs().get("prod-registry");
    assertTrue(registry.getRegistry());
    assertEquals(List.of("10.88.0.254/24"), registry.getInterfaceSpec().getAddresses());
    assertEquals(List.of(List.of("10.88.0.1/32"), List.of("10.88.0.2/32"), List.of("10.88.0.3/32")),
        registry.getPeers().stream().map(WireGuardNodeConfigSpec.Peer::getAllowedIPs).toList());
    assertNull(registry.getRegistryPeer());
    assertEquals(List.of(), registry.getRegistryPeers(), "a registry does not have registries as peers");
  }

  @Test
  void peerStatusGetsAddressAllowedIpsAndReady() {
    PeerOutcome n3 = plan().peers().get("n3");
    assertTrue(n3.included());
    assertEquals("10.88.0.3", n3.address());
    assertEquals(List.of("10.88.0.3/32", "10.244.3.0/24"), n3.allowedIPs());
    assertTrue(condition(n3, Conditions.READY).isTrue());
  }

  @Test
  void planDoesNotDependOnTheOrderOfItsInputs() {
    MeshPlan first = plan();
    for (long seed = 0; seed < 10; seed++) {
      List<WireGuardPeer> shuffled = new ArrayList<>(peers);
      Collections.shuffle(shuffled, new Random(seed));
      List<Node> shuffledNodes = new ArrayList<>(nodes);
      Collections.shuffle(shuffledNodes, new Random(seed));
      assertEquals(first, MeshPlanner.plan(mesh, shuffled, shuffledNodes, KEYS));
    }
  }

  /** What the operator does after a plan: record the address in the peer's status. */
  static void record(List<WireGuardPeer> peers, MeshPlan plan) {
    for (WireGuardPeer p : peers) {
      PeerOutcome outcome = plan.peers().get(p.getMetadata().getName());
      WireGuardPeerStatus status = new WireGuardPeerStatus();
      status.setAddress(outcome.address());
      p.setStatus(status);
    }
  }

  @Test
  void recordedAddressesSurviveRemovalsAndRestarts() {
    record(peers, plan());
    peers.remove(0); // n1 leaves: 10.88.0.1 is free
    WireGuardPeer late = peer("n4", "n4");
    peers.add(late);
    List<Node> withN4 = new ArrayList<>(nodes);
    withN4.add(node("n4", "10.244.4.0/24", Map.of()));
    MeshPlan plan = MeshPlanner.plan(mesh, peers, withN4, KEYS);
    assertEquals("10.88.0.2", plan.peers().get("n2").address(), "kept from status");
    assertEquals("10.88.0.3", plan.peers().get("n3").address(), "kept from status");
    assertEquals("10.88.0.1", plan.peers().get("n4").address(), "the lowest free address");
  }

  @Test
  void fixedAddressIsHonouredAndAConflictExcludesOnlyTheLaterPeer() {
    WireGuardPeer laptop = peer("laptop", null);
    laptop.getSpec().setAddress("10.88.0.2");
    WireGuardPeer phone = peer("phone", null);
    phone.getSpec().setAddress("10.88.0.2");
    peers.add(laptop);
    peers.add(phone);
    MeshPlan plan = plan();
    assertEquals("10.88.0.2", plan.peers().get("laptop").address());
    PeerOutcome conflicted = plan.peers().get("phone");
    assertFalse(conflicted.included());
    assertTrue(condition(conflicted, Conditions.ADDRESS_CONFLICT).getMessage().contains("laptop"));
    assertFalse(condition(conflicted, Conditions.READY).isTrue());
    // The node that would have had .2 gets another address; the mesh stays whole.
    assertEquals(List.of("n1", "n2", "n3", "prod-registry"), List.copyOf(plan.nodeConfigs().keySet()));
    Set<String> names = effectivePeers(plan, "n1").stream().map(WireGuardNodeConfigSpec.Peer::getName).collect(Collectors.toSet());
    assertEquals(Set.of("n2", "n3", "laptop"), names);
    assertFalse(plan.nodeConfigs().values().stream().flatMap(c -> c.getPeers().stream()).anyMatch(p -> p.getName().equals("phone")));
    assertFalse(plan.peerSets().values().stream().flatMap(s -> s.getPeers().stream()).anyMatch(p -> p.getName().equals("phone")));
  }

  @Test
  void fixedAddressOutsideTheNetworkOrOnTheRegistryConflicts() {
    WireGuardPeer outside = peer("outside", null);
    outside.getSpec().setAddress("192.168.1.1");
    WireGuardPeer onRegistry = peer("squatter", null);
    onRegistry.getSpec().setAddress("10.88.0.254");
    peers.add(outside);
    peers.add(onRegistry);
    MeshPlan plan = plan();
    assertTrue(condition(plan.peers().get("outside"), Conditions.ADDRESS_CONFLICT).getMessage().contains("outside"));
    assertTrue(condition(plan.peers().get("squatter"), Conditions.ADDRESS_CONFLICT).getMessage().contains("registry"));
  }

  @Test
  void duplicateAndInvalidKeysAreReportedAndLeftOut() {
    WireGuardPeer copy = peer("copycat", null);
    copy.getSpec().setPublicKey(peers.get(0).getSpec().getPublicKey());
    WireGuardPeer garbage = peer("garbage", null);
    garbage.getSpec().setPublicKey("not-a-key");
    WireGuardPeer registryKey = peer("impostor", null);
    registryKey.getSpec().setPublicKey(REGISTRY_KEY);
    peers.addAll(List.of(copy, garbage, registryKey));
    MeshPlan plan = plan();
    assertTrue(condition(plan.peers().get("copycat"), Conditions.DUPLICATE_KEY).getMessage().contains("n1"));
    assertNotNull(condition(plan.peers().get("garbage"), Conditions.INVALID_KEY));
    assertTrue(condition(plan.peers().get("impostor"), Conditions.DUPLICATE_KEY).getMessage().contains("registry"));
    assertTrue(plan.peers().get("n1").included(), "the first holder of a key keeps it");
    assertEquals(4, plan.nodeConfigs().size());
  }

  @Test
  void exhaustedPoolIsACondition() {
    WireGuardMesh small = mesh("10.88.0.0/29"); // 6 usable, one for the registry
    List<WireGuardPeer> many = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      many.add(peer("ext" + i, null));
    }
    MeshPlan plan = MeshPlanner.plan(small, many, List.of(), KEYS);
    assertEquals(5, plan.peers().values().stream().filter(PeerOutcome::included).count());
    assertNotNull(condition(plan.peers().get("ext5"), Conditions.ADDRESS_POOL_EXHAUSTED));
  }

  @Test
  void missingAndUnselectedNodesAreNotMeshed() {
    mesh.getSpec().setNodeSelector(Map.of("wgmesh.dev/member", "true"));
    List<Node> labelled = List.of(node("n1", "10.244.1.0/24", Map.of("wgmesh.dev/member", "true")),
        node("n2", "10.244.2.0/24", Map.of()));
    MeshPlan plan = MeshPlanner.plan(mesh, peers, labelled, KEYS);
    assertNotNull(condition(plan.peers().get("n2"), Conditions.NOT_SELECTED));
    assertNotNull(condition(plan.peers().get("n3"), Conditions.NODE_NOT_FOUND));
    assertEquals(List.of("n1", "prod-registry"), List.copyOf(plan.nodeConfigs().keySet()));
    assertTrue(effectivePeers(plan, "n1").isEmpty());
  }

  @Test
  void externalPeerIsInEveryNodeConfigWithItsExtraNetworksAndStaticEndpoint() {
    WireGuardPeer home = peer("home-server", null);
    home.getSpec().setAllowedIPs(List.of("192.168.10.0/24"));
    home.getSpec().setEndpoint("198.51.100.77:51820");
    peers.add(home);
    MeshPlan plan = plan();
    assertFalse(plan.nodeConfigs().containsKey("home-server"), "external peers get no node config");
    for (String node : List.of("n1", "n2", "n3")) {
      WireGuardNodeConfigSpec.Peer p = effectivePeers(plan, node).stream()
          .filter(x -> x.getName().equals("home-server")).findFirst().orElseThrow();
      assertEquals(List.of("10.88.0.4/32", "192.168.10.0/24"), p.getAllowedIPs());
      assertEquals("198.51.100.77:51820", p.getEndpoint());
    }
  }

  @Test
  void overlappingAllowedIpsAreLeftOutWithACondition() {
    WireGuardPeer thief = peer("thief", null);
    thief.getSpec().setAllowedIPs(List.of("10.244.2.128/25", "10.88.0.0/16", "172.16.0.0/12"));
    peers.add(thief);
    PeerOutcome outcome = plan().peers().get("thief");
    assertTrue(outcome.included());
    assertEquals(List.of("10.88.0.4/32", "172.16.0.0/12"), outcome.allowedIPs());
    List<String> messages = outcome.conditions().stream().filter(c -> c.getType().equals(Conditions.ALLOWED_IPS_OVERLAP))
        .map(Condition::getMessage).collect(Collectors.toList());
    assertEquals(2, messages.size());
    assertTrue(messages.get(0).contains("n2"), messages.toString());
    assertTrue(messages.get(1).contains("mesh network"), messages.toString());
  }

  @Test
  void invalidMeshNetworkYieldsNoConfigsAndAClearCondition() {
    for (String bad : List.of("10.88.0.0/31", "fd00::/64", "banana", "10.0.0.0/4")) {
      MeshPlan plan = MeshPlanner.plan(mesh(bad), peers, nodes, KEYS);
      assertFalse(plan.valid(), bad);
      assertTrue(plan.nodeConfigs().isEmpty());
      Condition ready = plan.meshConditions().get(0);
      assertEquals(Conditions.INVALID_SPEC, ready.getReason());
      assertFalse(ready.isTrue());
    }
    WireGuardMesh wrongRegistry = mesh("10.88.0.0/24");
    wrongRegistry.getSpec().getRegistry().setAddress("10.99.0.1");
    assertFalse(MeshPlanner.plan(wrongRegistry, peers, nodes, KEYS).valid());
  }

  @Test
  void aMeshNameNoLabelCanHoldYieldsNoConfigsAndACondition() {
    WireGuardMesh longName = mesh("10.88.0.0/24");
    longName.getMetadata().setName("m".repeat(64));
    MeshPlan plan = MeshPlanner.plan(longName, peers, nodes, KEYS);
    assertFalse(plan.valid());
    assertTrue(plan.nodeConfigs().isEmpty() && plan.peerSets().isEmpty() && plan.registries().isEmpty());
    Condition ready = plan.meshConditions().get(0);
    assertEquals(Conditions.INVALID_NAME, ready.getReason());
    assertTrue(ready.getMessage().contains("64 characters"), ready.getMessage());

    WireGuardMesh dotted = mesh("10.88.0.0/24");
    dotted.getMetadata().setName("prod.eu-west");
    MeshPlan fine = MeshPlanner.plan(dotted, peers, nodes, Map.of());
    assertTrue(fine.valid());
    assertEquals(List.of(RegistryObjectNames.object("prod.eu-west", null)), fine.registries().stream().map(MeshPlan.Registry::objectName).toList());
  }

  @Test
  void dualStackGivesMatchingIpv6Addresses() {
    mesh.getSpec().setNetworkV6("fd00:88::/64");
    MeshPlan plan = plan();
    assertEquals(List.of("10.88.0.1/24", "fd00:88::1/64"), plan.nodeConfigs().get("n1").getInterfaceSpec().getAddresses());
    assertEquals(List.of("10.88.0.2/32", "fd00:88::2/128", "10.244.2.0/24"), plan.peers().get("n2").allowedIPs());
    assertEquals(List.of("10.88.0.254/24", "fd00:88::fe/64"), plan.nodeConfigs().get("prod-registry").getInterfaceSpec().getAddresses());
  }

  @Test
  void withoutTheRegistryKeyConfigsHaveNoRegistryPeerAndTheMeshSaysSo() {
    MeshPlan plan = MeshPlanner.plan(mesh, peers, nodes, Map.of());
    assertEquals(List.of(), plan.nodeConfigs().get("n1").effectiveRegistryPeers());
    assertFalse(plan.meshConditions().get(0).isTrue());
  }

  /** Two registries: eu with an explicit address, us and ap taking the last free ones of the network from the top down. */
  static WireGuardMesh threeRegistries() {
    WireGuardMesh mesh = mesh("10.88.0.0/24");
    mesh.getSpec().setRegistry(null);
    mesh.getSpec().setRegistries(List.of(registry("eu", "10.88.0.254", "203.0.113.5:51820", "edge-eu"),
        registry("us", null, "198.51.100.5:51820", "edge-us"), registry("ap", null, "192.0.2.5:51820", null)));
    return mesh;
  }

  static WireGuardMeshSpec.RegistrySpec registry(String name, String address, String endpoint, String nodeName) {
    WireGuardMeshSpec.RegistrySpec r = new WireGuardMeshSpec.RegistrySpec();
    r.setName(name);
    r.setAddress(address);
    r.setEndpoint(endpoint);
    r.setNodeName(nodeName);
    return r;
  }

  @Test
  void everyNodeListsEveryRegistryInSpecOrderAndEachRegistryHasItsConfig() {
    WireGuardMesh mesh = threeRegistries();
    String eu = KeyPair.generate().publicKey().toBase64();
    String us = KeyPair.generate().publicKey().toBase64();
    String ap = KeyPair.generate().publicKey().toBase64();
    MeshPlan plan = MeshPlanner.plan(mesh, peers, nodes, Map.of("prod-registry-eu", eu, "prod-registry-us", us, "prod-registry-ap", ap));
    assertTrue(plan.valid(), plan.meshConditions().toString());
    assertEquals(List.of("n1", "n2", "n3", "prod-registry-ap", "prod-registry-eu", "prod-registry-us"), List.copyOf(plan.nodeConfigs().keySet()));
    assertEquals(List.of("10.88.0.254", "10.88.0.253", "10.88.0.252"), plan.registries().stream().map(MeshPlan.Registry::address).toList(),
        "explicit first, then from the top down, skipping taken ones");

    List<WireGuardNodeConfigSpec.RegistryPeer> n1 = plan.nodeConfigs().get("n1").getRegistryPeers();
    assertEquals(List.of("eu", "us", "ap"), n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getName).toList());
    assertEquals(List.of(eu, us, ap), n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getPublicKey).toList());
    assertEquals(List.of("203.0.113.5:51820", "198.51.100.5:51820", "192.0.2.5:51820"),
        n1.stream().map(WireGuardNodeConfigSpec.RegistryPeer::getEndpoint).toList());
    for (WireGuardNodeConfigSpec.RegistryPeer r : n1) {
      assertEquals("wgmesh.internal", r.getZone());
      assertEquals(53, r.getDnsPort());
      assertEquals(51821, r.getRelayPort());
      assertEquals(25, r.getPersistentKeepalive());
    }
    assertNull(plan.nodeConfigs().get("n1").getRegistryPeer());

    WireGuardNodeConfigSpec usConfig = plan.nodeConfigs().get("prod-registry-us");
    assertTrue(usConfig.getRegistry());
    assertEquals("edge-us", usConfig.getNodeName());
    assertEquals(List.of("10.88.0.253/24"), usConfig.getInterfaceSpec().getAddresses());
    assertEquals(3, usConfig.getPeers().size(), "each registry lists every member");
    assertEquals(Set.of("10.88.0.1", "10.88.0.2", "10.88.0.3"),
        plan.peers().values().stream().map(PeerOutcome::address).collect(Collectors.toSet()), "IPAM never hands out a registry's address");
  }

  @Test
  void aRegistryWithoutAKeyYetIsLeftOutOfTheNodesConfigsTheOthersStay() {
    WireGuardMesh mesh = threeRegistries();
    MeshPlan plan = MeshPlanner.plan(mesh, peers, nodes, Map.of("prod-registry-eu", REGISTRY_KEY));
    assertTrue(plan.valid());
    assertEquals(List.of("eu"), plan.nodeConfigs().get("n2").getRegistryPeers().stream().map(WireGuardNodeConfigSpec.RegistryPeer::getName).toList());
    assertTrue(plan.nodeConfigs().containsKey("prod-registry-us"), "its own config is rendered anyway");
    Condition registryReady = plan.meshConditions().stream().filter(c -> c.getType().equals(Conditions.REGISTRY_READY)).findFirst().orElseThrow();
    assertEquals("the key of registry us, registry ap is not created yet", registryReady.getMessage());
  }

  @Test
  void badRegistryInputIsOneLineOfInvalidSpec() {
    WireGuardMesh samePort = threeRegistries();
    samePort.getSpec().getRegistries().get(1).setNodeName("edge-eu");
    MeshPlan plan = MeshPlanner.plan(samePort, peers, nodes, KEYS);
    assertFalse(plan.valid());
    assertEquals("registry us and registry eu are both pinned to node edge-eu with UDP port 51820: give one another port or node",
        plan.meshConditions().get(0).getMessage());
    samePort.getSpec().getRegistries().get(1).setPort(51821);
    assertTrue(MeshPlanner.plan(samePort, peers, nodes, KEYS).valid(), "another port on the same node is fine");

    WireGuardMesh outside = threeRegistries();
    outside.getSpec().getRegistries().get(2).setAddress("10.99.0.1");
    assertEquals("spec.registries[2].address: 10.99.0.1 is outside the mesh network 10.88.0.0/24",
        MeshPlanner.plan(outside, peers, nodes, KEYS).meshConditions().get(0).getMessage());

    WireGuardMesh duplicate = threeRegistries();
    duplicate.getSpec().getRegistries().get(2).setName("eu");
    assertEquals("spec.registries[2].name: duplicate name eu", MeshPlanner.plan(duplicate, peers, nodes, KEYS).meshConditions().get(0).getMessage());

    WireGuardMesh noEndpoint = threeRegistries();
    noEndpoint.getSpec().getRegistries().get(2).setEndpoint(null);
    MeshPlan withoutEndpoint = MeshPlanner.plan(noEndpoint, peers, nodes, KEYS);
    assertTrue(withoutEndpoint.valid(), "the other registries keep working");
    Condition missing = withoutEndpoint.meshConditions().stream().filter(c -> c.getType().equals(Conditions.REGISTRY_ENDPOINT_MISSING))
        .findFirst().orElseThrow();
    assertEquals("no endpoint for registry ap (HostNetwork without nodeName): set its endpoint; nodes cannot reach it until then",
        missing.getMessage());
  }

  @Test
  void thousandNodesPlanWithDistinctAddresses() {
    WireGuardMesh big = mesh("10.88.0.0/16");
    List<Node> manyNodes = new ArrayList<>();
    List<WireGuardPeer> manyPeers = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      manyNodes.add(node("node-" + i, "10." + (100 + i / 250) + "." + (i % 250) + ".0/24", Map.of()));
      manyPeers.add(peer("node-" + i, "node-" + i));
    }
    MeshPlan plan = MeshPlanner.plan(big, manyPeers, manyNodes, KEYS);
    assertEquals(1001, plan.nodeConfigs().size());
    assertEquals(1000, plan.peers().values().stream().map(PeerOutcome::address).distinct().count());
    assertEquals(999, effectivePeers(plan, "node-0").size());
    assertEquals(MeshPlan.PEER_SETS, plan.peerSets().size(), "1000 members fill every set");
    assertTrue(plan.peerSets().values().stream().allMatch(s -> s.getPeers().size() < 100), "no set much above the mean of 62");

    // A join: one peer set and the registry's config change, one node config is new, nothing else.
    manyNodes.add(node("node-new", "10.200.0.0/24", Map.of()));
    manyPeers.add(peer("node-new", "node-new"));
    MeshPlan joined = MeshPlanner.plan(big, manyPeers, manyNodes, KEYS);
    List<String> changedSets = joined.peerSets().keySet().stream()
        .filter(name -> !joined.peerSets().get(name).equals(plan.peerSets().get(name))).toList();
    assertEquals(List.of(MeshPlan.peerSetName("prod", MeshPlan.peerSetOf("node-new"))), changedSets);
    List<String> changedConfigs = joined.nodeConfigs().keySet().stream()
        .filter(name -> !joined.nodeConfigs().get(name).equals(plan.nodeConfigs().get(name))).toList();
    assertEquals(List.of("node-new", "prod-registry"), changedConfigs);
    assertEquals(1000, effectivePeers(joined, "node-new").size());
  }

  @Test
  void everyMemberIsInExactlyOneSetChosenByItsName() {
    MeshPlan plan = plan();
    for (String member : List.of("n1", "n2", "n3")) {
      List<String> holders = plan.peerSets().entrySet().stream()
          .filter(e -> e.getValue().getPeers().stream().anyMatch(p -> p.getName().equals(member))).map(Map.Entry::getKey).toList();
      assertEquals(List.of(MeshPlan.peerSetName("prod", MeshPlan.peerSetOf(member))), holders, member);
    }
    assertTrue(plan.peerSets().values().stream().allMatch(s -> "prod".equals(s.getMesh())));
    // Pinned: a different hash in a new release would move most members to another set at upgrade.
    assertEquals(List.of(11, 12, 11), List.of(MeshPlan.peerSetOf("node-17"), MeshPlan.peerSetOf("n1"), MeshPlan.peerSetOf("laptop")));
  }
}
