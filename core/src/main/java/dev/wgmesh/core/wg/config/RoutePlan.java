package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The routes an interface needs, as a pure function: every peer's AllowedIPs that the interface's
 * own subnets do not already cover (the kernel's connected route covers the tunnel addresses), such
 * as other nodes' pod CIDRs and extra networks. A default route (/0) is never installed: it would
 * take the node's own traffic, the API server's included, into the mesh.
 */
public final class RoutePlan {
  private RoutePlan() {}

  /** Routes to add or replace (idempotent: {@code ip route replace}) and routes to delete. */
  public record Change(List<IpPrefix> replace, List<IpPrefix> delete) {
    public Change {
      replace = List.copyOf(replace);
      delete = List.copyOf(delete);
    }

    public boolean isEmpty() {
      return replace.isEmpty() && delete.isEmpty();
    }
  }

  private static final Comparator<IpPrefix> ORDER = Comparator.comparing(IpPrefix::isIpv4).reversed()
      .thenComparing(IpPrefix::toString);

  /** The routes {@code config} needs through its interface, as networks (host bits cleared), sorted. */
  public static Set<IpPrefix> desired(InterfaceConfig config) {
    List<IpPrefix> out = new ArrayList<>();
    Set<IpPrefix> seen = new HashSet<>(); // a list's contains would compare every route with every other
    for (PeerConfig peer : config.peers()) {
      for (IpPrefix allowed : peer.allowedIps()) {
        IpPrefix net = allowed.network();
        if (net.length() == 0 || coveredByInterface(net, config.addresses()) || !seen.add(net)) {
          continue;
        }
        out.add(net);
      }
    }
    out.sort(ORDER);
    return new LinkedHashSet<>(out);
  }

  /** From the routes this interface has (those wgmesh installed) to the ones it needs. */
  public static Change diff(Set<IpPrefix> current, Set<IpPrefix> desired) {
    List<IpPrefix> replace = new ArrayList<>();
    for (IpPrefix p : desired) {
      if (!current.contains(p.network())) {
        replace.add(p.network());
      }
    }
    List<IpPrefix> delete = new ArrayList<>();
    for (IpPrefix p : current) {
      if (!desired.contains(p.network())) {
        delete.add(p);
      }
    }
    replace.sort(ORDER);
    delete.sort(ORDER);
    return new Change(replace, delete);
  }

  public static Change plan(Set<IpPrefix> current, InterfaceConfig config) {
    return diff(current, desired(config));
  }

  private static boolean coveredByInterface(IpPrefix net, List<IpPrefix> addresses) {
    return addresses.stream().anyMatch(a -> a.isIpv4() == net.isIpv4() && a.length() <= net.length() && a.contains(net.address()));
  }
}
