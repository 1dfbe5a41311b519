package dev.wgmesh.lab;

/**
 * Where a {@link StandaloneMesh} node sits in the lab: one of the lab's network shapes. Two nodes
 * on one LAN behind one router are made with {@link StandaloneMesh#addNodesOnSite} instead of
 * {@link StandaloneMesh#addNodeAt}.
 */
public enum Placement {
  /** On the internet, IPv4 and IPv6, no NAT and no firewall ({@link Lab#publicHost}). */
  PUBLIC,
  /** Behind a full-cone NAT ({@link Lab#natHost}, {@link NatKind#CONE}). */
  CONE,
  /** Behind a port-restricted cone NAT, the typical home router ({@link NatKind#PORT_RESTRICTED}). */
  PORT_RESTRICTED,
  /** Behind a symmetric NAT ({@link NatKind#SYMMETRIC}). */
  SYMMETRIC,
  /** Behind a port-restricted home router behind a carrier-grade NAT ({@link Lab#doubleNatHost}). */
  DOUBLE_NAT,
  /**
   * On the internet with IPv4 only, its firewall passing UDP only to and from the registry's
   * WireGuard endpoint ({@link Lab#udpBlockedHost}): only the relay reaches it.
   */
  UDP_BLOCKED,
  /** IPv4 behind a symmetric NAT, plus a global IPv6 address without NAT or firewall ({@link Lab#ipv6Host}). */
  IPV6;

  /** The placement of {@link StandaloneMesh#addNode(String, NatKind)}'s {@code kind} (null: public). */
  public static Placement of(NatKind kind) {
    if (kind == null) {
      return PUBLIC;
    }
    return switch (kind) {
      case CONE -> CONE;
      case PORT_RESTRICTED -> PORT_RESTRICTED;
      case SYMMETRIC -> SYMMETRIC;
    };
  }

  /** True when a node placed so occupies one of the lab's NAT slots (10.(200+m), 203.0.113.(10+m)). */
  public boolean usesNat() {
    return this != PUBLIC && this != UDP_BLOCKED;
  }
}
