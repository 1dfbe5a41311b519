package dev.wgmesh.agent;

import dev.wgmesh.core.dnssd.HostCandidates;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * This node's host candidates: the addresses of its own interfaces that another node may reach
 * directly (on a shared LAN or over global IPv6). {@link #select} is the pure rule; {@link
 * #ofThisHost} reads the interfaces.
 */
public final class HostAddresses {
  /**
   * Interfaces that never carry a path to another node: container and pod bridges and veths,
   * overlay and tunnel devices. Their addresses exist on many nodes at once.
   */
  static final List<String> VIRTUAL_PREFIXES =
      List.of("docker", "br-", "veth", "cni", "flannel", "cali", "cilium", "kube-", "lxc", "virbr", "vxlan", "tun", "tap", "weave");

  /** One interface as the rule sees it. */
  public record Interface(String name, boolean up, boolean loopback, boolean pointToPoint, List<InetAddress> addresses) {}

  private HostAddresses() {}

  /**
   * IPv4 addresses first, then global IPv6 ones, each once, from interfaces that are up, neither
   * loopback nor point-to-point (WireGuard devices are) nor virtual, and not {@code ownDevice};
   * link-local, loopback and IPv6 addresses that are not global are left out. At most {@link
   * HostCandidates#MAX}.
   */
  public static List<InetAddress> select(List<Interface> interfaces, String ownDevice) {
    List<InetAddress> v4 = new ArrayList<>();
    List<InetAddress> v6 = new ArrayList<>();
    for (Interface nif : interfaces) {
      if (!nif.up() || nif.loopback() || nif.pointToPoint() || nif.name().equals(ownDevice) || isVirtual(nif.name())) {
        continue;
      }
      for (InetAddress a : nif.addresses()) {
        if (HostCandidates.unusable(a).isPresent()) {
          continue;
        }
        if (a instanceof Inet4Address) {
          if (!v4.contains(a)) {
            v4.add(a);
          }
        } else if (HostCandidates.isGlobalIpv6(a) && !v6.contains(a)) {
          v6.add(a);
        }
      }
    }
    List<InetAddress> out = new ArrayList<>(v4);
    out.addAll(v6);
    return List.copyOf(out.subList(0, Math.min(out.size(), HostCandidates.MAX)));
  }

  /**
   * The Node's own addresses (its InternalIP and ExternalIP, as the agent publishes them in its
   * WireGuardPeer's endpoint hints) with this host's interface addresses, each once, usable ones
   * only, IPv4 first, at most {@link HostCandidates#MAX}.
   */
  public static List<InetAddress> withNodeAddresses(List<InetAddress> nodeAddresses, List<InetAddress> interfaces) {
    List<InetAddress> all = new ArrayList<>(nodeAddresses);
    all.addAll(interfaces);
    List<InetAddress> out = new ArrayList<>();
    for (boolean v4 : new boolean[] {true, false}) {
      for (InetAddress a : all) {
        boolean usable = HostCandidates.unusable(a).isEmpty() && (a instanceof Inet4Address || HostCandidates.isGlobalIpv6(a));
        if (usable && (a instanceof Inet4Address) == v4 && !out.contains(a)) {
          out.add(a);
        }
      }
    }
    return List.copyOf(out.subList(0, Math.min(out.size(), HostCandidates.MAX)));
  }

  static boolean isVirtual(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return VIRTUAL_PREFIXES.stream().anyMatch(n::startsWith);
  }

  /** The host candidates of this machine's network namespace; empty when the interfaces cannot be read. */
  public static List<InetAddress> ofThisHost(String ownDevice) {
    try {
      List<Interface> all = new ArrayList<>();
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        all.add(new Interface(nif.getName(), nif.isUp(), nif.isLoopback(), nif.isPointToPoint(), Collections.list(nif.getInetAddresses())));
      }
      return select(all, ownDevice);
    } catch (SocketException | RuntimeException e) {
      return List.of();
    }
  }
}
