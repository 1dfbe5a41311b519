package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import java.util.List;
import java.util.Map;

/**
 * The desired state of one mesh, computed by {@link MeshPlanner#plan} without any I/O.
 *
 * @param peers outcome per WireGuardPeer name
 * @param nodeConfigs desired WireGuardNodeConfig spec per config name (node name, or
 *     {@code <mesh>-registry} for the registry's)
 * @param meshConditions conditions of the WireGuardMesh itself (e.g. an invalid network)
 * @param registryAddress the registry's tunnel address (null when the mesh is invalid)
 * @param valid false when the mesh spec itself is unusable: then the plan holds no configs, and
 *     the reconciler must leave existing configs alone (a typo must not tear a mesh down)
 */
public record MeshPlan(
    Map<String, PeerOutcome> peers,
    Map<String, WireGuardNodeConfigSpec> nodeConfigs,
    List<Condition> meshConditions,
    String registryAddress,
    boolean valid) {

  public static String registryConfigName(String mesh) {
    return mesh + "-registry";
  }
}
