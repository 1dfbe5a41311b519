package dev.wgmesh.agent.discovery;

import java.util.Locale;

/**
 * How a node reaches one peer, as users see it in status, {@code wgmeshctl status} and metrics.
 * In order of preference when several work: {@code lan} (the peer's own address on a network both
 * share, typically behind one NAT), {@code ipv6} (both have global IPv6: no NAT in the way),
 * {@code direct} (the NAT mapping the registry observed, hole-punched), {@code relayed} (through
 * the registry), and {@code pending} (no path yet).
 */
public enum PathKind {
  LAN,
  IPV6,
  DIRECT,
  RELAYED,
  PENDING;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** The lower-case name used in status, metrics labels and logs (made once, not on each call). */
  public String label() {
    return label;
  }

  /** A path that does not go through the registry. */
  public boolean isDirect() {
    return this == LAN || this == IPV6 || this == DIRECT;
  }
}
