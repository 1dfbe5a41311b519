package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Network links in memory, for tests of what configures them (see {@link InMemoryDevice}). Records
 * every mutating call as the {@code ip} command it stands for.
 */
public final class InMemoryLinks implements LinkManager {
  private static final class Link {
    boolean up;
    int mtu = 1420;
    final List<IpPrefix> addresses = new ArrayList<>();
    final Set<IpPrefix> routes = new LinkedHashSet<>();
  }

  private final Map<String, Link> links = new ConcurrentHashMap<>();
  private final List<String> commands = new ArrayList<>();
  private volatile boolean kernelWireGuard;

  /** Whether {@link #addKernelWireGuard} works (false: as on a kernel without the module). */
  public InMemoryLinks kernelWireGuard(boolean supported) {
    this.kernelWireGuard = supported;
    return this;
  }

  /** Creates a link as a userspace WireGuard (wireguard-go) does when it starts. */
  public synchronized void create(String iface) {
    links.putIfAbsent(iface, new Link());
  }

  /** Removes a link, as when wireguard-go exits. */
  public synchronized void remove(String iface) {
    links.remove(iface);
  }

  public synchronized List<String> commands() {
    return List.copyOf(commands);
  }

  public synchronized Set<IpPrefix> routesOf(String iface) {
    Link l = links.get(iface);
    return l == null ? Set.of() : Set.copyOf(l.routes);
  }

  @Override
  public synchronized Optional<LinkState> read(String iface) {
    Link l = links.get(iface);
    return l == null ? Optional.empty() : Optional.of(new LinkState(l.up, l.mtu, l.addresses));
  }

  @Override
  public synchronized void addKernelWireGuard(String iface) throws IOException {
    if (!kernelWireGuard) {
      throw new IOException("Error: Unknown device type.");
    }
    if (links.containsKey(iface)) {
      throw new IOException("RTNETLINK answers: File exists");
    }
    commands.add("ip link add dev " + iface + " type wireguard");
    links.put(iface, new Link());
  }

  @Override
  public synchronized void addAddress(String iface, IpPrefix address) throws IOException {
    commands.add("ip addr add " + address + " dev " + iface);
    Link l = link(iface);
    if (l.addresses.contains(address)) {
      throw new IOException("RTNETLINK answers: File exists");
    }
    l.addresses.add(address);
  }

  @Override
  public synchronized void removeAddress(String iface, IpPrefix address) throws IOException {
    commands.add("ip addr del " + address + " dev " + iface);
    if (!link(iface).addresses.remove(address)) {
      throw new IOException("RTNETLINK answers: Cannot assign requested address");
    }
  }

  @Override
  public synchronized void setMtu(String iface, int mtu) throws IOException {
    commands.add("ip link set dev " + iface + " mtu " + mtu);
    link(iface).mtu = mtu;
  }

  @Override
  public synchronized void setUp(String iface) throws IOException {
    commands.add("ip link set dev " + iface + " up");
    link(iface).up = true;
  }

  @Override
  public synchronized Set<IpPrefix> routes(String iface) throws IOException {
    return Set.copyOf(link(iface).routes);
  }

  @Override
  public synchronized void replaceRoute(String iface, IpPrefix prefix) throws IOException {
    commands.add("ip route replace " + prefix + " dev " + iface);
    Link l = link(iface);
    if (!l.up) {
      throw new IOException("RTNETLINK answers: Network is down");
    }
    l.routes.add(prefix);
  }

  @Override
  public synchronized void deleteRoute(String iface, IpPrefix prefix) throws IOException {
    commands.add("ip route del " + prefix + " dev " + iface);
    if (!link(iface).routes.remove(prefix)) {
      throw new IOException("RTNETLINK answers: No such process");
    }
  }

  @Override
  public synchronized void delete(String iface) {
    commands.add("ip link del dev " + iface);
    links.remove(iface);
  }

  private Link link(String iface) throws IOException {
    Link l = links.get(iface);
    if (l == null) {
      throw new IOException("Cannot find device \"" + iface + "\"");
    }
    return l;
  }
}
