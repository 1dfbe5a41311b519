package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.dnssd.HostCandidates;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which endpoints of a peer to try, in which order: a pure function of what the registry says
 * about the peer and what this node knows about itself, the same on both sides of a pair so that
 * both try the same kind of path at the same time.
 *
 * <ul>
 *   <li>{@code lan}: the peer's IPv4 host candidates, when both nodes show the registry the same
 *       public address (one NAT in front of both: NAT gateways of clouds do not hairpin, so the
 *       observed mapping cannot work between them);
 *   <li>{@code ipv6}: the peer's global IPv6 host candidates, when this node has a global IPv6
 *       address too;
 *   <li>{@code direct}: the mapping the registry observed, always last.
 * </ul>
 */
public final class PathCandidates {
  private PathCandidates() {}

  /** One endpoint to try and the kind of path it makes. */
  public record Candidate(InetSocketAddress endpoint, PathKind kind) {}

  /**
   * What this node knows about itself.
   *
   * @param publicAddress the address the registry observes for this node, once known
   * @param hasGlobalIpv6 whether one of this node's interfaces has a global IPv6 address
   */
  public record Self(Optional<InetAddress> publicAddress, boolean hasGlobalIpv6) {
    public static final Self UNKNOWN = new Self(Optional.empty(), false);
  }

  public static List<Candidate> order(Lookup.Found peer, Self self) {
    List<Candidate> out = new ArrayList<>();
    boolean sameNat = self.publicAddress().map(a -> a.equals(peer.endpoint().getAddress())).orElse(false);
    if (sameNat) {
      for (InetSocketAddress c : peer.hostCandidates()) {
        if (HostCandidates.isIpv4(c.getAddress()) && !c.equals(peer.endpoint())) {
          out.add(new Candidate(c, PathKind.LAN));
        }
      }
    }
    if (self.hasGlobalIpv6()) {
      for (InetSocketAddress c : peer.hostCandidates()) {
        if (HostCandidates.isGlobalIpv6(c.getAddress()) && !c.equals(peer.endpoint())) {
          out.add(new Candidate(c, PathKind.IPV6));
        }
      }
    }
    out.add(new Candidate(peer.endpoint(), PathKind.DIRECT));
    return List.copyOf(out);
  }

  /**
   * The kind of a working direct path at {@code endpoint}: the kind of the candidate it is, else
   * (a path found without a plan, say after a restart) {@code ipv6} for a global IPv6 address,
   * {@code lan} for a private or shared IPv4 address (RFC 1918, RFC 6598), {@code direct} for
   * the rest.
   */
  public static PathKind kindOf(InetSocketAddress endpoint, List<Candidate> tried) {
    for (Candidate c : tried) {
      if (c.endpoint().equals(endpoint)) {
        return c.kind();
      }
    }
    InetAddress a = endpoint.getAddress();
    if (HostCandidates.isGlobalIpv6(a)) {
      return PathKind.IPV6;
    }
    return a.isSiteLocalAddress() || isSharedAddressSpace(a) ? PathKind.LAN : PathKind.DIRECT;
  }

  /** 100.64.0.0/10, the carrier-grade NAT range (RFC 6598). */
  private static boolean isSharedAddressSpace(InetAddress a) {
    byte[] b = a.getAddress();
    return b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
  }
}
