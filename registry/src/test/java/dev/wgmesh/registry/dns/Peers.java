package dev.wgmesh.registry.dns;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.util.Arrays;
import java.util.List;

/** Peers as values for tests: fresh random keys, never fixed key material. */
final class Peers {
  private Peers() {}

  static ServedPeer peer(String endpoint, String... allowed) {
    return new ServedPeer(
        KeyPair.generate().publicKey(),
        Endpoints.parse(endpoint),
        Arrays.stream(allowed).map(IpPrefix::parse).toList());
  }

  static List<ServedPeer> many(int n) {
    return java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> peer("198.51.100." + (i % 250 + 1) + ":" + (40000 + i), "10.99." + (i / 250) + "." + (i % 250 + 1) + "/32"))
        .toList();
  }
}
