package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * The network-link side of an interface (what {@code ip} does): existence, addresses, MTU, state
 * and the routes wgmesh put on it. {@link IpLinkManager} runs {@code ip}; tests use a fake.
 */
public interface LinkManager {
  /** The link, or empty when no interface of that name exists. */
  Optional<LinkState> read(String iface) throws IOException;

  /**
   * Creates a kernel WireGuard interface ({@code ip link add <iface> type wireguard}).
   *
   * @throws IOException when the kernel cannot (no module, no permission); the message says why
   */
  void addKernelWireGuard(String iface) throws IOException;

  void addAddress(String iface, IpPrefix address) throws IOException;

  void removeAddress(String iface, IpPrefix address) throws IOException;

  void setMtu(String iface, int mtu) throws IOException;

  void setUp(String iface) throws IOException;

  /** The routes through {@code iface} that wgmesh installed (its own route protocol), as networks. */
  Set<IpPrefix> routes(String iface) throws IOException;

  /** {@code ip route replace <prefix> dev <iface>}: idempotent, and takes over a route of another device. */
  void replaceRoute(String iface, IpPrefix prefix) throws IOException;

  void deleteRoute(String iface, IpPrefix prefix) throws IOException;

  /** Removes the interface; a missing one is not an error. */
  void delete(String iface) throws IOException;
}
