/**
 * The wgmesh operator ({@code wgmesh operator}, {@link dev.wgmesh.operator.OperatorCommand}; from
 * code {@link dev.wgmesh.operator.MeshOperator#start}).
 *
 * <p>One reconciler, {@link dev.wgmesh.operator.MeshReconciler}, with the WireGuardMesh as primary
 * resource. Peers, Nodes, node configs and peer sets are secondary resources whose events map back to their
 * mesh (Nodes to every mesh); each reconcile plans the whole mesh with the pure
 * {@link dev.wgmesh.operator.model.MeshPlanner} and writes what differs:
 *
 * <ul>
 *   <li>WireGuardPeerSets and WireGuardNodeConfigs ({@link dev.wgmesh.operator.MeshObjectWriter}):
 *       created, patched with the difference only, or deleted; owned by the mesh and labelled
 *       {@code wgmesh.dev/mesh}. The members every node has live in the mesh's (at most 16) peer
 *       sets, written once per mesh; a node config holds what is the node's own (interface,
 *       registry, discovery). A join thus writes one peer set, the registry's config and the new
 *       node's config, however large the mesh.
 *   <li>WireGuardPeer status ({@link dev.wgmesh.operator.PeerStatusWriter}): the operator's fields
 *       only; the agent's {@code endpoint} and {@code mode} are never sent.
 *   <li>WireGuardMesh status ({@link dev.wgmesh.operator.MeshStatusAggregator}): counts, the
 *       registry's public key and address, conditions.
 *   <li>The registry ({@code registry} package, JOSDK dependent resources in the operator's
 *       namespace, owned by the cluster-scoped mesh): the key Secret {@code <mesh>-registry-key}
 *       (created once, never updated, immutable), the Deployment {@code <mesh>-registry} (one pod,
 *       Recreate, NET_ADMIN; host network pinned to {@code spec.registry.nodeName} for exposure
 *       HostNetwork) and, for exposure LoadBalancer only, the Service {@code <mesh>-registry}
 *       (UDP WireGuard port only, externalTrafficPolicy Local).
 * </ul>
 *
 * <p>Nothing is written when nothing changed: a reconcile of an unchanged mesh sends no request
 * but reads from the informers' caches. No server-side apply anywhere (fabric8's mock API server
 * answers it with 415): statuses and configs are patched with JSON Patch.
 */
package dev.wgmesh.operator;
