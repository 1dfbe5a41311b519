package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.operator.model.MeshPlan;
import io.fabric8.kubernetes.api.model.Node;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last plan of each mesh, with what it was made from: a reconcile whose inputs are those of
 * the last one reuses its plan. Most reconciles of a large, settled mesh come from what the plan
 * does not read (node agents' path counts, the operator's own writes coming back), and at 5000
 * nodes planning is some 40 % of a reconcile, which a join arriving meanwhile waits for.
 *
 * <p>The inputs are compared, never trusted: the mesh's generation and its registries' endpoints
 * (as {@code forPlanning} filled them in), the registries' public keys, what the plan reads of
 * each node ({@link NodeFactsStore#planned}), and the WireGuardPeers as the very objects of the
 * informer's cache, which replaces an object whenever the API server has a new version of it. So
 * anything that could change the plan makes a new one; a reused plan is the one the planner would
 * make again (it is a pure function, and nothing changes a plan after it is made).
 */
final class PlanMemo {
  /** What a plan is made from, as far as it can change the plan. */
  record Inputs(Long generation, List<String> registryEndpoints, Map<String, String> registryKeys, Set<WireGuardPeer> peers,
      Map<String, List<Object>> nodes) {
    static Inputs of(WireGuardMesh planned, List<WireGuardPeer> peers, List<Node> nodes, Map<String, String> registryKeys) {
      Set<WireGuardPeer> same = Collections.newSetFromMap(new IdentityHashMap<>());
      same.addAll(peers);
      Map<String, List<Object>> facts = new HashMap<>();
      nodes.forEach(n -> facts.put(n.getMetadata().getName(), NodeFactsStore.planned(n)));
      return new Inputs(planned.getMetadata().getGeneration(),
          planned.getSpec().effectiveRegistries().stream().map(r -> Objects.toString(r.getEndpoint(), "")).toList(),
          Map.copyOf(registryKeys), same, facts);
    }
  }

  /** The planner, as the memo calls it. */
  interface Planner {
    MeshPlan plan(WireGuardMesh mesh, List<WireGuardPeer> peers, List<Node> nodes, Map<String, String> registryKeys);
  }

  private record Planned(Inputs inputs, MeshPlan plan) {}

  private final Map<String, Planned> last = new ConcurrentHashMap<>();
  private final Planner planner;

  PlanMemo(Planner planner) {
    this.planner = planner;
  }

  /** The plan of {@code planned} (a mesh with its registry endpoints filled in): the last one when nothing it reads changed. */
  MeshPlan plan(WireGuardMesh planned, List<WireGuardPeer> peers, List<Node> nodes, Map<String, String> registryKeys) {
    String mesh = planned.getMetadata().getName();
    Inputs inputs = Inputs.of(planned, peers, nodes, registryKeys);
    Planned previous = last.get(mesh);
    if (previous != null && previous.inputs().equals(inputs)) {
      return previous.plan();
    }
    MeshPlan plan = planner.plan(planned, peers, nodes, registryKeys);
    last.put(mesh, new Planned(inputs, plan));
    return plan;
  }

  /** Forgets the meshes not named: those that are gone. */
  void retainOnly(Set<String> meshes) {
    last.keySet().retainAll(meshes);
  }
}
