package dev.wgmesh.core.net;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Prefixes that do not overlap one another, each with an owner: {@link #overlapping} finds the
 * owner of the earliest added prefix that overlaps a given one in O(log n) (plus one step per
 * stored prefix inside it), where comparing against every stored prefix would make a mesh's
 * AllowedIPs check quadratic in its nodes.
 *
 * <p>Two prefixes overlap when one contains the other. Since the stored ones are disjoint, at most
 * one of them contains the start of a given prefix (the one starting last at or before it), and
 * every other stored prefix that overlaps it starts inside it.
 */
public final class DisjointPrefixes<V> {
  /** A stored prefix by its first address: its last address, its owner, and when it was added. */
  private record Stored<V>(Position last, V owner, long order) {}

  /**
   * An address as an unsigned 128-bit number (an IPv4 address in the low 32 bits): compared
   * without the BigInteger arithmetic that made a 5000-node mesh's check allocate most of a plan.
   */
  private record Position(long high, long low) implements Comparable<Position> {
    static Position first(IpPrefix prefix) {
      byte[] bytes = prefix.address().getAddress();
      long high = 0;
      long low = 0;
      int hostBits = bytes.length * 8 - prefix.length();
      for (byte b : bytes) {
        high = (high << 8) | (low >>> 56);
        low = (low << 8) | (b & 0xff);
      }
      return new Position(high, low).withHostBits(hostBits, false);
    }

    Position last(IpPrefix prefix) {
      return withHostBits((prefix.isIpv4() ? 32 : 128) - prefix.length(), true);
    }

    /** This position with its lowest {@code bits} bits all cleared, or all set. */
    private Position withHostBits(int bits, boolean set) {
      long lowMask = bits >= 64 ? -1L : (1L << bits) - 1;
      long highMask = bits <= 64 ? 0 : bits >= 128 ? -1L : (1L << (bits - 64)) - 1;
      return set ? new Position(high | highMask, low | lowMask) : new Position(high & ~highMask, low & ~lowMask);
    }

    @Override
    public int compareTo(Position other) {
      int c = Long.compareUnsigned(high, other.high);
      return c != 0 ? c : Long.compareUnsigned(low, other.low);
    }
  }

  private final TreeMap<Position, Stored<V>> v4 = new TreeMap<>();
  private final TreeMap<Position, Stored<V>> v6 = new TreeMap<>();
  private long added;

  /** The owner of the earliest added prefix that overlaps {@code prefix}, if any. */
  public Optional<V> overlapping(IpPrefix prefix) {
    Position first = Position.first(prefix);
    return Optional.ofNullable(earliestOverlapping(prefix.isIpv4() ? v4 : v6, first, first.last(prefix))).map(Stored::owner);
  }

  /** Adds {@code prefix} for {@code owner}; it must not overlap any prefix added before. */
  public void add(IpPrefix prefix, V owner) {
    Optional<V> clash = addUnlessOverlapping(prefix, owner);
    if (clash.isPresent()) {
      throw new IllegalArgumentException(prefix + " overlaps a prefix already added");
    }
  }

  /**
   * Adds {@code prefix} for {@code owner} unless it overlaps a prefix added before: then nothing is
   * added and the owner of the earliest such prefix is returned (what {@link #overlapping} says).
   */
  public Optional<V> addUnlessOverlapping(IpPrefix prefix, V owner) {
    TreeMap<Position, Stored<V>> map = prefix.isIpv4() ? v4 : v6;
    Position first = Position.first(prefix);
    Position last = first.last(prefix);
    Stored<V> clash = earliestOverlapping(map, first, last);
    if (clash != null) {
      return Optional.of(clash.owner());
    }
    map.put(first, new Stored<>(last, owner, added++));
    return Optional.empty();
  }

  private static <V> Stored<V> earliestOverlapping(TreeMap<Position, Stored<V>> map, Position first, Position last) {
    Stored<V> best = null;
    Map.Entry<Position, Stored<V>> before = map.floorEntry(first);
    if (before != null && before.getValue().last().compareTo(first) >= 0) {
      best = before.getValue(); // contains the start of prefix
    }
    Map.Entry<Position, Stored<V>> inside = map.ceilingEntry(first);
    if (inside == null || inside.getKey().compareTo(last) > 0) {
      return best; // nothing starts inside: the common case, without a sub-map view
    }
    for (Stored<V> stored : map.subMap(first, true, last, true).values()) {
      if (best == null || stored.order() < best.order()) {
        best = stored;
      }
    }
    return best;
  }
}
