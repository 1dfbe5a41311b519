package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The desired state of one mesh, computed by {@link MeshPlanner#plan} without any I/O.
 *
 * @param peers outcome per WireGuardPeer name
 * @param nodeConfigs desired WireGuardNodeConfig spec per config name (node name, or
 *     {@code <mesh>-registry} for the registry's)
 * @param peerSets desired WireGuardPeerSet spec per name ({@code <mesh>-peers-<n>}); only
 *     non-empty sets are listed
 * @param meshConditions conditions of the WireGuardMesh itself (e.g. an invalid network)
 * @param registries the mesh's registries in spec order (empty when the mesh is invalid)
 * @param valid false when the mesh spec itself is unusable: then the plan holds no configs, and
 *     the reconciler must leave existing configs alone (a typo must not tear a mesh down)
 */
public record MeshPlan(
    Map<String, PeerOutcome> peers,
    Map<String, WireGuardNodeConfigSpec> nodeConfigs,
    Map<String, WireGuardPeerSetSpec> peerSets,
    List<Condition> meshConditions,
    List<Registry> registries,
    boolean valid) {

  /**
   * One registry as planned.
   *
   * @param name its name in spec.registries; null for the single spec.registry
   * @param objectName its Deployment, Service and node config
   * @param address its tunnel address
   * @param endpoint its public endpoint as nodes are told it; null while unknown
   * @param publicKey null until its key Secret exists
   */
  public record Registry(String name, String objectName, String address, String endpoint, String publicKey) {}

  /**
   * How many sets a mesh's members are spread over. Fixed, so that a member never moves between
   * sets and no node config has to name them: 1000 members make sets of about 60 (15 KB), and an
   * object stays far below etcd's 1.5 MB limit up to tens of thousands of members.
   */
  public static final int PEER_SETS = 16;

  public static String peerSetName(String mesh, int set) {
    return mesh + "-peers-" + set;
  }

  /** The set a member belongs to: a hash of its name that is the same in every JVM and release. */
  public static int peerSetOf(String peerName) {
    CRC32 crc = new CRC32();
    crc.update(peerName.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % PEER_SETS);
  }
}
