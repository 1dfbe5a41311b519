package dev.wgmesh.lab;

/**
 * The behaviour of a lab NAT router, in RFC 4787 terms. Every kind masquerades the LAN behind
 * one public address, drops unsolicited packets from the WAN to the router itself (so the router
 * never answers them and never creates a conntrack entry that would steal the mapped port), and
 * forwards WAN packets only to the LAN host as described per kind.
 */
public enum NatKind {
  /**
   * Full cone: endpoint-independent mapping (port-preserving {@code MASQUERADE}: the LAN socket
   * keeps its port on the public address for every destination) and endpoint-independent
   * filtering: every UDP datagram from any WAN host to any port of the public address is
   * DNAT-ed to the LAN host, same port ("DMZ host"). Unsolicited TCP/ICMP from the WAN is dropped.
   * Hole punching towards this kind always works; it models a permissive home router or a
   * cloud VM with a 1:1 public IP.
   */
  CONE,

  /**
   * Port-restricted cone: endpoint-independent, port-preserving mapping ({@code MASQUERADE}) with
   * address-and-port-dependent filtering, i.e. the typical home router: INPUT and FORWARD from the
   * WAN accept only conntrack ESTABLISHED,RELATED and drop everything else. A WAN peer reaches the
   * LAN host only after the LAN host has sent to exactly that peer's address and port, so hole
   * punching works when both sides send.
   */
  PORT_RESTRICTED,

  /**
   * Symmetric: {@code MASQUERADE --random-fully}, a new random public port for every destination
   * (every conntrack tuple), with the same firewall as {@link #PORT_RESTRICTED}. The mapping a
   * third party (the registry) observes is useless to other peers, so hole punching fails and
   * only a relay works.
   */
  SYMMETRIC
}
