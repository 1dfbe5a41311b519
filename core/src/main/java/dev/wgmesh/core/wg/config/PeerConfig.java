package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One peer as an interface should have it: what a rendered configuration asks for, never what
 * discovery found. The endpoint is a <em>static</em> endpoint only (a registry's public address, a
 * peer with a fixed address); it may name a host, resolved where it is applied.
 *
 * @param name for messages and status only (WireGuard knows peers by key)
 * @param persistentKeepalive seconds; 0 turns it off
 */
public record PeerConfig(
    String name,
    WireGuardKey publicKey,
    List<IpPrefix> allowedIps,
    Optional<InetSocketAddress> endpoint,
    int persistentKeepalive) {

  public PeerConfig {
    allowedIps = List.copyOf(allowedIps);
    if (persistentKeepalive < 0 || persistentKeepalive > 65535) {
      throw new IllegalArgumentException("persistent keepalive " + persistentKeepalive + " is outside 0..65535");
    }
  }

  /**
   * Parses the text form of a rendered peer (as the custom resources carry it).
   *
   * @param endpoint null or blank for none
   * @param persistentKeepalive null for off
   * @throws IllegalArgumentException naming the peer and the bad value (never key material: a
   *     public key is not secret, but the message says what is wrong rather than repeating it)
   */
  public static PeerConfig parse(String name, String publicKey, List<String> allowedIps, String endpoint, Integer persistentKeepalive) {
    String who = "peer " + (name == null ? "(unnamed)" : name);
    WireGuardKey key;
    try {
      key = WireGuardKey.fromBase64(publicKey);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(who + ": public key: " + e.getMessage());
    }
    List<IpPrefix> prefixes = new ArrayList<>();
    for (String cidr : allowedIps == null ? List.<String>of() : allowedIps) {
      try {
        prefixes.add(IpPrefix.parse(cidr));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(who + ": allowed IP: " + e.getMessage());
      }
    }
    Optional<InetSocketAddress> ep = Optional.empty();
    if (endpoint != null && !endpoint.isBlank()) {
      try {
        ep = Optional.of(Endpoints.parseHostOrAddress(endpoint));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(who + ": endpoint: " + e.getMessage());
      }
    }
    int keepalive = persistentKeepalive == null ? 0 : persistentKeepalive;
    if (keepalive < 0 || keepalive > 65535) {
      throw new IllegalArgumentException(who + ": persistent keepalive " + keepalive + " is outside 0..65535");
    }
    return new PeerConfig(name == null ? key.toBase64() : name, key, prefixes, ep, keepalive);
  }

  public PeerConfig withEndpoint(Optional<InetSocketAddress> newEndpoint) {
    return new PeerConfig(name, publicKey, allowedIps, newEndpoint, persistentKeepalive);
  }
}
