package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.net.IpPrefix;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** The link part of reconciliation (addresses, MTU, up), as a pure function. */
public final class LinkPlan {
  private LinkPlan() {}

  /**
   * What to change on the link. Addresses are removed before new ones are added: removing an
   * IPv4 primary address also removes the secondaries of its subnet.
   */
  public record Change(List<IpPrefix> removeAddresses, List<IpPrefix> addAddresses, OptionalInt mtu, boolean bringUp) {
    public Change {
      removeAddresses = List.copyOf(removeAddresses);
      addAddresses = List.copyOf(addAddresses);
    }

    public boolean isEmpty() {
      return removeAddresses.isEmpty() && addAddresses.isEmpty() && mtu.isEmpty() && !bringUp;
    }
  }

  /** IPv6 link-local addresses are the kernel's business and never removed. */
  public static Change plan(LinkState current, InterfaceConfig desired) {
    List<IpPrefix> remove = new ArrayList<>();
    for (IpPrefix a : current.addresses()) {
      if (!desired.addresses().contains(a) && !isLinkLocal(a)) {
        remove.add(a);
      }
    }
    List<IpPrefix> add = new ArrayList<>();
    for (IpPrefix a : desired.addresses()) {
      if (!current.addresses().contains(a) && !add.contains(a)) {
        add.add(a);
      }
    }
    OptionalInt mtu = desired.mtu().isPresent() && desired.mtu().getAsInt() != current.mtu() ? desired.mtu() : OptionalInt.empty();
    return new Change(remove, add, mtu, !current.up());
  }

  private static boolean isLinkLocal(IpPrefix a) {
    return a.address() instanceof Inet6Address && a.address().isLinkLocalAddress();
  }
}
