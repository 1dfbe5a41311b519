package dev.wgmesh.agent.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One registry as an agent reaches it inside the tunnel: its tunnel address, where it serves
 * DNS-SD and the relay, and its zone.
 *
 * @param name the registry's name in its mesh (Kubernetes mode), or null
 */
public record RegistryTarget(String name, InetAddress address, int dnsPort, int relayPort, String zone) {
  public RegistryTarget {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(zone, "zone");
  }

  public InetSocketAddress dns() {
    return new InetSocketAddress(address, dnsPort);
  }

  public InetSocketAddress relay() {
    return new InetSocketAddress(address, relayPort);
  }

  /** Whether the registries' tunnel addresses are of one family, as the relay link (one uplink socket) needs. */
  public static boolean oneFamily(java.util.List<RegistryTarget> registries) {
    return registries.stream().map(r -> r.address() instanceof java.net.Inet6Address).distinct().count() <= 1;
  }

  /** How logs and metrics name it: its tunnel address (names are not known in standalone mode). */
  public String label() {
    return address.getHostAddress();
  }
}
