package dev.wgmesh.lab;

import java.net.InetAddress;

/**
 * A NAT router in front of one {@link Host} or of a {@link NatSite}'s LAN: its own namespace with a
 * WAN leg on the lab's internet (a public 203.0.113.x address) and a LAN leg (10.x.0.1/24: a veth
 * to the host, or the site's bridge), iptables NAT and firewall rules according to its {@link
 * NatKind}. Behind a carrier-grade NAT ({@link Lab#doubleNatHost}) the home router's WAN leg is on
 * the CGN's inside network (100.64.m.2) and the CGN is a NatRouter too, with the host's network
 * (100.64.m.0/24) as its LAN.
 */
public final class NatRouter extends Node {
  private final NatKind kind;
  private final InetAddress publicAddress;
  private final InetAddress lanAddress;
  private final String wanInterface;
  private final String lanInterface;

  NatRouter(Lab lab, String name, String namespace, NatKind kind, InetAddress publicAddress,
      InetAddress lanAddress, String wanInterface, String lanInterface) {
    super(lab, name, namespace);
    this.kind = kind;
    this.publicAddress = publicAddress;
    this.lanAddress = lanAddress;
    this.wanInterface = wanInterface;
    this.lanInterface = lanInterface;
  }

  public NatKind kind() {
    return kind;
  }

  /**
   * The router's WAN address: on the internet (203.0.113.x), what peers see as the host's source
   * address; for a home router behind a carrier-grade NAT, its address on the CGN's inside network (100.64.m.2).
   */
  public InetAddress publicAddress() {
    return publicAddress;
  }

  /** The router's LAN address (10.x.0.1, 100.64.m.1 for a CGN), its hosts' default gateway. */
  public InetAddress lanAddress() {
    return lanAddress;
  }

  public String wanInterface() {
    return wanInterface;
  }

  public String lanInterface() {
    return lanInterface;
  }

  /**
   * Forgets every NAT mapping and connection ({@code conntrack -F}), as a router reboot or a
   * mapping timeout would. New packets get new mappings (with the same port, unless the kind is
   * {@link NatKind#SYMMETRIC}); packets of old flows from the WAN are dropped until the host sends again.
   */
  public void flushConntrack() {
    execOk("conntrack", "-F");
  }

  /**
   * Changes the router's mappings, as a NAT whose mappings time out or that reboots: from now on
   * it maps UDP from its LAN to ports of a range of 1000 that does not hold the port of {@code
   * mapping} (the current mapping as peers see it, {@code ip:port}: Linux keeps a source port that
   * lies in the allowed range, and the mapping would not change), and it forgets its connections
   * ({@link #flushConntrack()}). Returns the range's first port; new mappings lie in {@code [first, first + 999]}.
   */
  public int remapUdp(String mapping) {
    int currentPort = Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1));
    int first = currentPort >= 41000 && currentPort <= 41999 ? 42000 : 41000;
    execOk("iptables", "-t", "nat", "-I", "POSTROUTING", "1", "-o", wanInterface, "-p", "udp", "-j", "MASQUERADE",
        "--to-ports", first + "-" + (first + 999));
    flushConntrack();
    return first;
  }

  /** The router's conntrack table as {@code conntrack -L} prints it (for assertions and diagnosis). */
  public String conntrack() {
    return execOk("conntrack", "-L").stdout();
  }

  /** The router's iptables rules ({@code iptables -S} of the filter and nat tables). */
  public String rules() {
    return execOk("iptables", "-S").stdout() + execOk("iptables", "-t", "nat", "-S").stdout();
  }
}
