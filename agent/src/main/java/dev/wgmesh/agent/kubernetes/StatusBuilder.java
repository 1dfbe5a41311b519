package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.Agent;
import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.agent.discovery.RegistryHealth;
import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.NodeStatus;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The agent's part of its {@code WireGuardNodeConfig.status} ({@link NodeStatus}): the registry's
 * own peer is not reported, and the counts come from the discovery loop when it runs.
 */
public final class StatusBuilder {
  private StatusBuilder() {}

  /**
   * @param appliedGeneration the generation last applied to the interface, null when none yet
   * @param peers the applied configuration's peers; the registry's own peer is not reported
   * @param device empty when the device cannot be read: peers are then reported pending
   * @param modeCounts the discovery loop's counts, empty when it does not run
   * @param paths the discovery loop's path per peer
   */
  public static WireGuardNodeConfigStatus build(Long appliedGeneration, String lastError, WireGuardKey publicKey,
      List<PeerConfig> peers, Optional<DeviceState> device, Optional<Map<PeerPathStateMachine.Mode, Integer>> modeCounts,
      Map<WireGuardKey, PathKind> paths, Predicate<InetSocketAddress> isRelayEndpoint, Instant now) {
    return NodeStatus.build(appliedGeneration, lastError, publicKey, reported(peers), device, modeCounts.map(StatusBuilder::counts),
        labels(paths), k -> false, isRelayEndpoint, now, NodeStatus.Listing.NOT_ON_BEST_PATH);
  }

  /** The discovery loop's paths as status labels. */
  static Map<WireGuardKey, String> labels(Map<WireGuardKey, PathKind> paths) {
    Map<WireGuardKey, String> out = new java.util.HashMap<>();
    paths.forEach((k, v) -> out.put(k, v.label()));
    return out;
  }

  /**
   * Whether each registry answers through the tunnel, by tunnel address, for the status; a
   * registry nothing was asked of yet is left out (the status then says it cannot tell).
   */
  static Map<String, Boolean> reachable(List<Agent.RegistryReach> registries) {
    Map<String, Boolean> out = new java.util.LinkedHashMap<>();
    for (Agent.RegistryReach r : registries) {
      if (r.state() != RegistryHealth.State.UNKNOWN) {
        out.put(dev.wgmesh.core.net.IpPrefix.hostText(r.target().address()), r.state() == RegistryHealth.State.REACHABLE);
      }
    }
    return out;
  }

  /** The peers the agent reports: all but the registry. */
  static List<PeerConfig> reported(List<PeerConfig> peers) {
    return peers.stream().filter(p -> !p.name().equals(NodeConfigs.REGISTRY_PEER_NAME)).toList();
  }

  /** The peers' path modes as the status counts them: discovering is pending. */
  static NodeStatus.PathCounts counts(Map<PeerPathStateMachine.Mode, Integer> counts) {
    return new NodeStatus.PathCounts(counts.getOrDefault(PeerPathStateMachine.Mode.DIRECT, 0), counts.getOrDefault(PeerPathStateMachine.Mode.RELAYED, 0),
        counts.getOrDefault(PeerPathStateMachine.Mode.DISCOVERING, 0));
  }
}
