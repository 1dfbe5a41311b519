package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.operator.model.MeshPlan;
import dev.wgmesh.operator.model.MeshPlanner;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A plan is made again exactly when something the planner reads changed; otherwise the last one is reused. */
class PlanMemoTest {
  final AtomicInteger planned = new AtomicInteger();
  final PlanMemo memo = new PlanMemo((mesh, peers, nodes, keys) -> {
    planned.incrementAndGet();
    return MeshPlanner.plan(mesh, peers, nodes, keys);
  });
  final Map<String, String> keys = Map.of("prod-registry", KeyPair.generate().publicKey().toBase64());
  final List<Node> nodes = new ArrayList<>(List.of(node("n1", "10.244.1.0/24", "1"), node("n2", "10.244.2.0/24", "1")));
  final List<WireGuardPeer> peers = new ArrayList<>(List.of(peer("n1"), peer("n2")));

  static WireGuardMesh mesh(long generation, String endpoint) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("prod").withGeneration(generation).build());
    mesh.getSpec().setNetwork("10.88.0.0/24");
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    mesh.getSpec().getRegistry().setEndpoint(endpoint);
    return mesh;
  }

  static Node node(String name, String podCidr, String resourceVersion) {
    return new NodeBuilder().withNewMetadata().withName(name).withResourceVersion(resourceVersion).endMetadata()
        .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec().build();
  }

  static WireGuardPeer peer(String name) {
    WireGuardPeer peer = new WireGuardPeer();
    peer.setMetadata(new ObjectMetaBuilder().withName(name).build());
    peer.getSpec().setMesh("prod");
    peer.getSpec().setPublicKey(KeyPair.generate().publicKey().toBase64());
    peer.getSpec().setNodeName(name);
    return peer;
  }

  MeshPlan plan(WireGuardMesh mesh) {
    return memo.plan(mesh, List.copyOf(peers), List.copyOf(nodes), keys);
  }

  @Test
  void theSameInputsReuseThePlanInWhateverOrderTheyCome() {
    MeshPlan first = plan(mesh(1, "203.0.113.5:51820"));
    java.util.Collections.reverse(peers);
    java.util.Collections.reverse(nodes);
    assertSame(first, plan(mesh(1, "203.0.113.5:51820")), "a new mesh object of the same generation");
    assertEquals(1, planned.get());
  }

  @Test
  void aNewVersionOfAPeerIsPlannedAgainEvenWithEqualContent() {
    MeshPlan first = plan(mesh(1, "203.0.113.5:51820"));
    WireGuardPeer again = peer("n2");
    again.getSpec().setPublicKey(peers.get(1).getSpec().getPublicKey());
    peers.set(1, again);
    assertNotSame(first, plan(mesh(1, "203.0.113.5:51820")));
    assertEquals(2, planned.get());
  }

  @Test
  void aNodeIsPlannedAgainOnlyWhenWhatThePlanReadsOfItChanged() {
    MeshPlan first = plan(mesh(1, "203.0.113.5:51820"));
    nodes.set(0, node("n1", "10.244.1.0/24", "2")); // a heartbeat: a new resourceVersion, nothing the plan reads
    assertSame(first, plan(mesh(1, "203.0.113.5:51820")));
    nodes.set(0, node("n1", "10.244.9.0/24", "3"));
    MeshPlan moved = plan(mesh(1, "203.0.113.5:51820"));
    assertEquals(List.of("10.88.0.1/32", "10.244.9.0/24"), moved.peers().get("n1").allowedIPs());
    nodes.remove(1);
    assertNotSame(moved, plan(mesh(1, "203.0.113.5:51820")), "a node gone");
    assertEquals(3, planned.get());
  }

  @Test
  void aNewGenerationARegistryEndpointOrKeyIsPlannedAgain() {
    MeshPlan first = plan(mesh(1, "203.0.113.5:51820"));
    MeshPlan second = plan(mesh(2, "203.0.113.5:51820"));
    assertNotSame(first, second);
    MeshPlan third = plan(mesh(2, "203.0.113.6:51820"));
    assertEquals("203.0.113.6:51820", third.registries().get(0).endpoint());
    assertNotSame(third, memo.plan(mesh(2, "203.0.113.6:51820"), List.copyOf(peers), List.copyOf(nodes), Map.of()));
    assertEquals(4, planned.get());
  }

  @Test
  void aMeshThatIsGoneIsForgotten() {
    MeshPlan first = plan(mesh(1, "203.0.113.5:51820"));
    memo.retainOnly(Set.of("other"));
    assertNotSame(first, plan(mesh(1, "203.0.113.5:51820")));
    assertEquals(2, planned.get());
  }
}
