package dev.wgmesh.lab;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A LAN of several hosts behind one NAT router ({@link Lab#natSite}): a cloud subnet behind a NAT
 * gateway, or an office behind its router. The hosts share one L2 segment (a bridge in the
 * router's namespace) and reach each other on their LAN addresses; the router masquerades all of
 * them behind one public address and does not hairpin.
 *
 * <pre>{@code
 * NatSite site = lab.natSite("s", NatKind.PORT_RESTRICTED);
 * Host a = site.host("a");   // 10.(200+m).0.2
 * Host b = site.host("b");   // 10.(200+m).0.3
 * }</pre>
 */
public final class NatSite {
  private final Lab lab;
  private final String name;
  private final NatRouter router;
  private final String lanPrefix;
  private final List<Host> hosts = new ArrayList<>();

  NatSite(Lab lab, String name, NatRouter router, String lanPrefix) {
    this.lab = lab;
    this.name = name;
    this.router = router;
    this.lanPrefix = lanPrefix;
  }

  /**
   * A new host on the site's LAN, at the next free address (10.(200+m).0.2, .3, ...), with the
   * router as its default gateway. {@code name} follows the rules of {@link Lab#publicHost}.
   */
  public synchronized Host host(String hostName) {
    Host host = lab.siteHost(this, hostName, hosts.size() + 1);
    hosts.add(host);
    return host;
  }

  /** The site's name (its router's namespace is {@code <labId>-<name>-nat}). */
  public String name() {
    return name;
  }

  /** The router shared by the site's hosts; its {@link NatRouter#lanInterface()} is the LAN bridge. */
  public NatRouter natRouter() {
    return router;
  }

  /** The address every host of the site is seen with on the internet. */
  public InetAddress publicAddress() {
    return router.publicAddress();
  }

  /** The hosts joined so far, in order. */
  public synchronized List<Host> hosts() {
    return List.copyOf(hosts);
  }

  /** {@code 10.(200+m).0.}: the LAN's first three octets, with the dot. */
  String lanPrefix() {
    return lanPrefix;
  }

  @Override
  public String toString() {
    return "NatSite[" + name + " behind " + router.kind() + " " + router.publicAddress().getHostAddress() + "]";
  }
}
