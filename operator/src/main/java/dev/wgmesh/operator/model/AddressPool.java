package dev.wgmesh.operator.model;

import dev.wgmesh.core.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.BitSet;
import java.util.Optional;

/**
 * Tunnel addresses of one IPv4 network: which are taken, and the lowest free one. The network and
 * broadcast addresses are never handed out. Pure and deterministic: the same claims in the same
 * order give the same addresses, which is what keeps allocations stable across operator restarts.
 */
final class AddressPool {
  private final IpPrefix network;
  private final long base;
  private final long size;
  private final BitSet used = new BitSet();
  private int cursor = 1;

  AddressPool(IpPrefix network) {
    if (!network.isIpv4()) {
      throw new IllegalArgumentException("the tunnel network must be IPv4: " + network);
    }
    if (network.length() > 30) {
      throw new IllegalArgumentException("the tunnel network " + network + " is too small: use a /30 or larger");
    }
    if (network.length() < 8) {
      throw new IllegalArgumentException("the tunnel network " + network + " is too large: use a /8 or smaller");
    }
    this.network = network.network();
    this.base = toLong(this.network.address());
    this.size = 1L << (32 - network.length());
    used.set(0); // network address
    used.set((int) (size - 1)); // broadcast address
  }

  IpPrefix network() {
    return network;
  }

  boolean contains(InetAddress address) {
    return address instanceof Inet4Address && network.contains(address);
  }

  /** The highest free address, taken (the registries' defaults count down from the last usable one); empty when full. */
  Optional<InetAddress> highestFree() {
    int free = used.previousClearBit((int) (size - 2));
    if (free <= 0) {
      return Optional.empty();
    }
    used.set(free);
    return Optional.of(at(free));
  }

  /** Takes a specific address; empty when it was free and inside, else why not. */
  Optional<String> claim(InetAddress address) {
    if (!contains(address)) {
      return Optional.of(IpPrefix.hostText(address) + " is outside the mesh network " + network);
    }
    int offset = (int) (toLong(address) - base);
    if (offset == 0 || offset == size - 1) {
      return Optional.of(IpPrefix.hostText(address) + " is the network or broadcast address of " + network);
    }
    if (used.get(offset)) {
      return Optional.of(IpPrefix.hostText(address) + " is already taken");
    }
    used.set(offset);
    return Optional.empty();
  }

  /** The lowest free address, taken; empty when the network is full. */
  Optional<InetAddress> next() {
    int free = used.nextClearBit(cursor);
    if (free >= size - 1) {
      return Optional.empty();
    }
    used.set(free);
    cursor = free + 1;
    return Optional.of(at(free));
  }

  /** Offset of an address inside the network (for deriving a matching IPv6 address). */
  long offsetOf(InetAddress address) {
    return toLong(address) - base;
  }

  private InetAddress at(long offset) {
    long value = base + offset;
    try {
      return InetAddress.getByAddress(new byte[] {(byte) (value >> 24), (byte) (value >> 16), (byte) (value >> 8), (byte) value});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long toLong(InetAddress address) {
    byte[] b = address.getAddress();
    return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
  }
}
