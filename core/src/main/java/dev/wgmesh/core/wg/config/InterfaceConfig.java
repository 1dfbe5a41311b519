package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a WireGuard interface should look like: its addresses (with the mesh's prefix length, so
 * the kernel's connected route covers the tunnel addresses), port, MTU and peers. The private key
 * is not part of it: it never travels with a configuration (see {@link InterfaceReconciler}).
 *
 * @param listenPort empty: leave the port as it is (a new interface picks one)
 * @param mtu empty: leave the MTU as it is
 */
public record InterfaceConfig(List<IpPrefix> addresses, OptionalInt listenPort, OptionalInt mtu, List<PeerConfig> peers) {

  public InterfaceConfig {
    addresses = List.copyOf(addresses);
    peers = List.copyOf(peers);
  }

  /**
   * Parses the text form of the interface part of a rendered configuration.
   *
   * @throws IllegalArgumentException on a bad address, port or MTU
   */
  public static InterfaceConfig parse(List<String> addresses, Integer listenPort, Integer mtu, List<PeerConfig> peers) {
    List<IpPrefix> parsed = new ArrayList<>();
    for (String a : addresses == null ? List.<String>of() : addresses) {
      try {
        parsed.add(IpPrefix.parse(a));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("interface address: " + e.getMessage());
      }
    }
    if (listenPort != null && (listenPort < 1 || listenPort > 65535)) {
      throw new IllegalArgumentException("listen port " + listenPort + " is outside 1..65535");
    }
    if (mtu != null && (mtu < 1280 || mtu > 65535)) {
      throw new IllegalArgumentException("MTU " + mtu + " is outside 1280..65535");
    }
    return new InterfaceConfig(parsed, listenPort == null ? OptionalInt.empty() : OptionalInt.of(listenPort),
        mtu == null ? OptionalInt.empty() : OptionalInt.of(mtu), peers);
  }

  public Optional<PeerConfig> peer(WireGuardKey key) {
    return peers.stream().filter(p -> p.publicKey().equals(key)).findFirst();
  }

  public InterfaceConfig withPeers(List<PeerConfig> newPeers) {
    return new InterfaceConfig(addresses, listenPort, mtu, newPeers);
  }
}
