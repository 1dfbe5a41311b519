package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.net.IpPrefix;
import java.util.List;

/**
 * A network interface as {@code ip} reports it.
 *
 * @param up administratively up (the UP flag)
 * @param addresses the configured addresses with their prefix length, e.g. 10.88.0.1/16
 */
public record LinkState(boolean up, int mtu, List<IpPrefix> addresses) {
  public LinkState {
    addresses = List.copyOf(addresses);
  }
}
