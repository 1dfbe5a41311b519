package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.config.InterfaceConfig;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.NodeRole;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * From the registry's {@code WireGuardNodeConfig} ({@code <mesh>-registry}) to its interface: every
 * member as a peer with its tunnel addresses, no endpoints unless static (the registry learns each
 * node's NAT mapping from its handshakes and keepalives), no keepalive of its own. A pure function.
 */
public final class RegistryConfigs {
  private RegistryConfigs() {}

  public record Translated(InterfaceConfig config, boolean relay, List<String> problems) implements NodeRole.Translation {
    public Translated {
      problems = List.copyOf(problems);
    }
  }

  /** @throws IllegalArgumentException when the interface part is unusable */
  public static Translated translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey) {
    WireGuardNodeConfigSpec.InterfaceSpec iface = spec.getInterfaceSpec() == null
        ? new WireGuardNodeConfigSpec.InterfaceSpec() : spec.getInterfaceSpec();
    List<String> problems = new ArrayList<>();
    List<PeerConfig> peers = new ArrayList<>();
    Set<WireGuardKey> keys = new HashSet<>();
    keys.add(ownPublicKey);
    for (WireGuardNodeConfigSpec.Peer p : spec.getPeers() == null ? List.<WireGuardNodeConfigSpec.Peer>of() : spec.getPeers()) {
      try {
        PeerConfig peer = PeerConfig.parse(p.getName(), p.getPublicKey(), p.getAllowedIPs(), p.getEndpoint(), p.getPersistentKeepalive());
        if (!keys.add(peer.publicKey())) {
          problems.add("peer " + peer.name() + ": public key " + (peer.publicKey().equals(ownPublicKey) ? "is the registry's own" : "used twice")
              + "; left out");
        } else {
          peers.add(peer);
        }
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage() + "; left out");
      }
    }
    InterfaceConfig config = InterfaceConfig.parse(iface.getAddresses(), iface.getListenPort(), iface.getMtu(), peers);
    if (config.addresses().isEmpty()) {
      throw new IllegalArgumentException("no interface address: the registry serves DNS-SD and the relay on its tunnel addresses");
    }
    boolean relay = spec.getDiscovery() == null || dev.wgmesh.api.v1alpha1.WireGuardMeshSpec.Relay.enabled(spec.getDiscovery().getRelay());
    return new Translated(config, relay, problems);
  }
}
