package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.Agent;
import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.agent.discovery.PathKind;

/**
 * The endpoint-discovery loop as the Kubernetes mode drives it: one {@link #tick()} per interval,
 * on the same device the configuration is applied to. {@link AgentDiscoveryLoop} is the standalone
 * agent's loop; tests use a stand-in.
 */
public interface DiscoveryLoop extends AutoCloseable {
  void tick() throws IOException;

  /** Peers per mode, as of the last tick. */
  Map<PeerPathStateMachine.Mode, Integer> modeCounts();

  /** Each peer's kind of path as the status labels it ({@link PathKind#label()}), as of the last tick. */
  default Map<WireGuardKey, String> peerPaths() {
    return Map.of();
  }

  /** The mesh's registries and whether each answers through the tunnel, as of the last questions. */
  default List<Agent.RegistryReach> registries() {
    return List.of();
  }

  /** True when WireGuard's endpoint for a peer is this agent's local relay socket. */
  boolean isRelayEndpoint(InetSocketAddress endpoint);

  @Override
  void close();

  /** Starts discovery for a target on a device. */
  @FunctionalInterface
  interface Factory {
    DiscoveryLoop start(RegistryAccess target, WireGuardDevice device) throws IOException;
  }
}
