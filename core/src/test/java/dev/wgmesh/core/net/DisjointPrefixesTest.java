package dev.wgmesh.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DisjointPrefixesTest {
  static IpPrefix p(String cidr) {
    return IpPrefix.parse(cidr);
  }

  @Test
  void findsTheContainingTheContainedAndTheEqualPrefixButNotNeighbours() {
    DisjointPrefixes<String> set = new DisjointPrefixes<>();
    set.add(p("10.244.1.0/24"), "n1");
    set.add(p("10.244.2.0/24"), "n2");
    set.add(p("192.168.0.0/16"), "n3");
    set.add(p("fd00:1::/64"), "n4");
    assertEquals(Optional.of("n1"), set.overlapping(p("10.244.1.0/24")), "equal");
    assertEquals(Optional.of("n1"), set.overlapping(p("10.244.1.128/25")), "inside a stored one");
    assertEquals(Optional.of("n3"), set.overlapping(p("192.168.7.7/32")));
    assertEquals(Optional.of("n1"), set.overlapping(p("10.244.0.0/16")), "contains two: the earlier added");
    assertEquals(Optional.of("n1"), set.overlapping(p("0.0.0.0/0")));
    assertEquals(Optional.empty(), set.overlapping(p("10.244.3.0/24")), "a neighbour");
    assertEquals(Optional.empty(), set.overlapping(p("10.244.0.0/24")));
    assertEquals(Optional.of("n4"), set.overlapping(p("fd00:1::5/128")));
    assertEquals(Optional.of("n4"), set.overlapping(p("fd00::/16")));
    assertEquals(Optional.empty(), set.overlapping(p("fd00:2::/64")));
    assertEquals(Optional.empty(), set.overlapping(p("a00::/8")), "families apart (the same leading bits as 10.0.0.0/8)");
    assertThrows(IllegalArgumentException.class, () -> set.add(p("10.244.1.7/32"), "n5"));
  }

  @Test
  void answersAsComparingWithEveryPrefixInTheOrderAddedDoes() {
    Random random = new Random(14);
    DisjointPrefixes<Integer> set = new DisjointPrefixes<>();
    List<Map.Entry<IpPrefix, Integer>> added = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int len = 8 + random.nextInt(25);
      IpPrefix prefix = new IpPrefix(IpPrefix.parseAddress("10." + random.nextInt(4) + "." + random.nextInt(256) + "." + random.nextInt(256)),
          len).network();
      checkAndAdd(set, added, prefix, i, random.nextBoolean());
    }
  }

  /** IPv6 prefixes whose host bits start on either side of the 64-bit halves, and the extremes /0 and /128. */
  @Test
  void answersAsComparingWithEveryPrefixDoesForIpv6PrefixesOfEveryLength() throws Exception {
    Random random = new Random(6);
    DisjointPrefixes<Integer> set = new DisjointPrefixes<>();
    List<Map.Entry<IpPrefix, Integer>> added = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      byte[] bytes = new byte[16];
      bytes[0] = (byte) 0xfd;
      for (int b = 5; b < 16; b++) {
        bytes[b] = (byte) random.nextInt(4); // few distinct values: many overlaps
      }
      int len = i == 2999 ? 0 : 40 + random.nextInt(89);
      checkAndAdd(set, added, new IpPrefix(java.net.InetAddress.getByAddress(bytes), len).network(), i, random.nextBoolean());
    }
    assertEquals(Optional.of(added.get(0).getValue()), set.overlapping(p("::/0")));
    assertEquals(Optional.empty(), set.overlapping(p("10.0.0.0/8")), "families apart");
  }

  private static void checkAndAdd(DisjointPrefixes<Integer> set, List<Map.Entry<IpPrefix, Integer>> added, IpPrefix prefix, int owner,
      boolean addUnlessOverlapping) {
    Optional<Integer> expected = added.stream().filter(e -> e.getKey().overlaps(prefix)).map(Map.Entry::getValue).findFirst();
    if (addUnlessOverlapping) {
      assertEquals(expected, set.addUnlessOverlapping(prefix, owner), prefix.toString());
    } else {
      assertEquals(expected, set.overlapping(prefix), prefix.toString());
      if (expected.isEmpty()) {
        set.add(prefix, owner);
      }
    }
    if (expected.isEmpty()) {
      added.add(Map.entry(prefix, owner));
    }
  }
}
