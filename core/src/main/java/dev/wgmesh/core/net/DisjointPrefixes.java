package dev.wgmesh.core.net;

import java.math.BigInteger;
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
  private record Stored<V>(IpPrefix prefix, BigInteger last, V owner, long order) {}

  private final TreeMap<BigInteger, Stored<V>> v4 = new TreeMap<>();
  private final TreeMap<BigInteger, Stored<V>> v6 = new TreeMap<>();
  private long added;

  /** The owner of the earliest added prefix that overlaps {@code prefix}, if any. */
  public Optional<V> overlapping(IpPrefix prefix) {
    TreeMap<BigInteger, Stored<V>> map = prefix.isIpv4() ? v4 : v6;
    BigInteger first = first(prefix);
    BigInteger last = last(prefix, first);
    Stored<V> best = null;
    Map.Entry<BigInteger, Stored<V>> before = map.floorEntry(first);
    if (before != null && before.getValue().last().compareTo(first) >= 0) {
      best = before.getValue(); // contains the start of prefix
    }
    for (Stored<V> inside : map.subMap(first, true, last, true).values()) {
      if (best == null || inside.order() < best.order()) {
        best = inside;
      }
    }
    return Optional.ofNullable(best).map(Stored::owner);
  }

  /** Adds {@code prefix} for {@code owner}; it must not overlap any prefix added before. */
  public void add(IpPrefix prefix, V owner) {
    if (overlapping(prefix).isPresent()) {
      throw new IllegalArgumentException(prefix + " overlaps a prefix already added");
    }
    BigInteger first = first(prefix);
    (prefix.isIpv4() ? v4 : v6).put(first, new Stored<>(prefix, last(prefix, first), owner, added++));
  }

  private static BigInteger first(IpPrefix prefix) {
    return new BigInteger(1, prefix.network().address().getAddress());
  }

  private static BigInteger last(IpPrefix prefix, BigInteger first) {
    int bits = prefix.isIpv4() ? 32 : 128;
    return first.add(BigInteger.ONE.shiftLeft(bits - prefix.length())).subtract(BigInteger.ONE);
  }
}
