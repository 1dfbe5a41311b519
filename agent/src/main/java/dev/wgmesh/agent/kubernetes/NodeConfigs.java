package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.discovery.RegistryTarget;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSets;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.relay.RelayFrame;
import dev.wgmesh.core.wg.config.InterfaceConfig;
import dev.wgmesh.kube.NodeRole;
import dev.wgmesh.core.wg.config.PeerConfig;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What the agent applies, as pure functions, in two steps:
 *
 * <ol>
 *   <li>{@link #withPeerSets}: the node's {@code WireGuardNodeConfig} (interface, registry peer,
 *       peers of this node only) together with the peers of all {@code WireGuardPeerSet}s of its
 *       mesh (the members every node has, the node itself among them, which is left out);
 *   <li>{@link #translate}: from that spec to the interface configuration (the registry peer first,
 *       with its public endpoint and keepalive; the other peers with a static endpoint only where
 *       the configuration has one) and the discovery target.
 * </ol>
 *
 * <p>One bad peer does not stop the others: it is left out and reported. A bad interface part
 * (address, port, MTU) rejects the whole configuration: the interface stays as it is.
 */
public final class NodeConfigs {
  public static final String REGISTRY_PEER_NAME = "registry";
  static final int DEFAULT_DNS_PORT = 53;

  private static final ObjectMapper COPIER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private NodeConfigs() {}

  /**
   * The spec the agent applies: a copy of {@code config} whose peers are the config's own peers,
   * then the peers of {@code sets} of the config's mesh, as {@link WireGuardPeerSets#effectivePeers}
   * combines them: this node's own entry and names already taken are left out without a problem to
   * report. Nothing is parsed here: a bad entry goes through, for {@link #translate} to leave out
   * and report. The inputs are not changed.
   */
  public static WireGuardNodeConfigSpec withPeerSets(WireGuardNodeConfigSpec config, Collection<WireGuardPeerSet> sets,
      WireGuardKey ownPublicKey) {
    WireGuardNodeConfigSpec merged = COPIER.convertValue(config, WireGuardNodeConfigSpec.class); // a deep copy, every field
    merged.setPeers(WireGuardPeerSets.effectivePeers(merged, sets, ownPublicKey.toBase64()));
    return merged;
  }

  /**
   * @param problems what was left out and why, for the status's lastError
   */
  public record Translated(InterfaceConfig config, Optional<RegistryAccess> discovery, List<String> problems)
      implements NodeRole.Translation {
    public Translated {
      problems = List.copyOf(problems);
    }
  }

  /**
   * @param ownPublicKey this node's key: a peer with it is left out (WireGuard would refuse it)
   * @throws IllegalArgumentException when the interface part is unusable
   */
  public static Translated translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey) {
    List<String> problems = new ArrayList<>();
    List<PeerConfig> peers = new ArrayList<>();
    Set<WireGuardKey> keys = new HashSet<>();
    keys.add(ownPublicKey);
    WireGuardNodeConfigSpec.InterfaceSpec iface = spec.getInterfaceSpec() == null
        ? new WireGuardNodeConfigSpec.InterfaceSpec() : spec.getInterfaceSpec();
    InterfaceConfig shape = InterfaceConfig.parse(iface.getAddresses(), iface.getListenPort(), iface.getMtu(), List.of());
    if (shape.addresses().isEmpty()) {
      // Applying it would strip the node's tunnel address: surely a rendering problem, not a wish.
      throw new IllegalArgumentException("no interface address");
    }

    List<RegistryTarget> registries = new ArrayList<>();
    List<WireGuardNodeConfigSpec.RegistryPeer> registryPeers = registryPeers(spec);
    for (int i = 0; i < registryPeers.size(); i++) {
      WireGuardNodeConfigSpec.RegistryPeer registry = registryPeers.get(i);
      String what = registryPeers.size() == 1 ? "registry peer"
          : "registry peer " + (nameOf(registry) != null ? nameOf(registry) : String.valueOf(i + 1));
      try {
        if (registry.getAddress() == null) {
          throw new IllegalArgumentException(what + ": no address");
        }
        InetAddress address = IpPrefix.parseAddress(registry.getAddress());
        String allowed = IpPrefix.hostText(address) + (address instanceof Inet6Address ? "/128" : "/32");
        String peerName = REGISTRY_PEER_NAME + (nameOf(registry) != null ? "-" + nameOf(registry) : i == 0 ? "" : "-" + (i + 1));
        PeerConfig peer = PeerConfig.parse(peerName, registry.getPublicKey(), List.of(allowed), registry.getEndpoint(),
            registry.getPersistentKeepalive());
        if (!keys.add(peer.publicKey())) {
          throw new IllegalArgumentException(what + ": has this node's own public key or another registry's");
        }
        peers.add(peer);
        if (registry.getZone() == null || registry.getZone().isBlank()) {
          problems.add(what + ": no DNS zone, endpoint discovery does not use it");
        } else {
          registries.add(new RegistryTarget(nameOf(registry), address,
              registry.getDnsPort() == null ? DEFAULT_DNS_PORT : registry.getDnsPort(),
              registry.getRelayPort() == null ? RelayFrame.DEFAULT_PORT : registry.getRelayPort(), registry.getZone()));
        }
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage().startsWith(what) ? e.getMessage() : what + ": " + e.getMessage());
      }
    }
    Optional<RegistryAccess> discovery = Optional.empty();
    if (!registries.isEmpty()) {
      InetAddress first = registries.get(0).address();
      Optional<InetAddress> own = shape.addresses().stream().map(IpPrefix::address)
          .filter(a -> (a instanceof Inet6Address) == (first instanceof Inet6Address)).findFirst();
      boolean relay = spec.getDiscovery() == null || WireGuardMeshSpec.Relay.enabled(spec.getDiscovery().getRelay());
      discovery = Optional.of(new RegistryAccess(registries, relay, own, shape.listenPort()));
    }
    for (WireGuardNodeConfigSpec.Peer p : spec.getPeers() == null ? List.<WireGuardNodeConfigSpec.Peer>of() : spec.getPeers()) {
      try {
        PeerConfig peer = PeerConfig.parse(p.getName(), p.getPublicKey(), p.getAllowedIPs(), p.getEndpoint(), p.getPersistentKeepalive());
        if (peer.publicKey().equals(ownPublicKey)) {
          problems.add("peer " + peer.name() + ": has this node's own public key; left out");
        } else if (!keys.add(peer.publicKey())) {
          problems.add("peer " + peer.name() + ": public key used by another peer; left out");
        } else {
          peers.add(peer);
        }
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage() + "; left out");
      }
    }
    InterfaceConfig config = new InterfaceConfig(shape.addresses(), shape.listenPort(), shape.mtu(), peers);
    return new Translated(config, discovery, problems);
  }

  /** The configuration's registries, in the mesh's order. */
  static List<WireGuardNodeConfigSpec.RegistryPeer> registryPeers(WireGuardNodeConfigSpec spec) {
    return spec.getRegistryPeer() == null ? List.of() : List.of(spec.getRegistryPeer());
  }

  /** A registry's name in its mesh (configurations of a one-registry mesh name none). */
  static String nameOf(WireGuardNodeConfigSpec.RegistryPeer registry) {
    return null;
  }

  /** The listen port a discovery target should tell the relay, falling back to the device's. */
  static int listenPort(RegistryAccess target, int devicePort) {
    OptionalInt p = target.listenPort();
    return p.isPresent() ? p.getAsInt() : devicePort;
  }
}
