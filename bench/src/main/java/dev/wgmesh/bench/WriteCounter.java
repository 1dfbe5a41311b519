package dev.wgmesh.bench;

import dev.wgmesh.testapiserver.StrictApiServer;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts the writes the test API server gets (every method but GET) and their bytes, by method and resource. */
final class WriteCounter implements StrictApiServer.RequestObserver {
  record Count(long requests, long bytes) {}

  private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> stored = new ConcurrentHashMap<>();

  @Override
  public void request(String method, String path, long bodyBytes) {
    if (!"GET".equalsIgnoreCase(method)) {
      LongAdder[] c = counts.computeIfAbsent(method + " " + resource(path), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
      c[0].increment();
      c[1].add(bodyBytes);
    }
  }

  @Override
  public void answered(String method, String path, int code) {
    if (!"GET".equalsIgnoreCase(method) && (code == 200 || code == 201)) {
      stored.computeIfAbsent(method + " " + resource(path), k -> new LongAdder()).increment();
    }
  }

  /** How many writes of this key (e.g. "POST wireguardnodeconfigs") the server stored so far. */
  long stored(String key) {
    LongAdder c = stored.get(key);
    return c == null ? 0 : c.sum();
  }

  /** e.g. wireguardnodeconfigs/status, from /apis/wgmesh.dev/v1alpha1/wireguardnodeconfigs/n1/status?... */
  static String resource(String path) {
    String[] parts = path.split("\\?")[0].split("/");
    int i = parts.length > 1 && parts[1].equals("api") ? 3 : 4; // /api/v1/<r> or /apis/<group>/<version>/<r>
    if (i + 1 < parts.length && parts[i].equals("namespaces")) {
      i += 2;
    }
    if (i >= parts.length) {
      return path;
    }
    return parts[i] + (parts.length > i + 2 ? "/" + parts[i + 2] : "");
  }

  /** What was counted so far, by method and resource. */
  Map<String, Count> snapshot() {
    Map<String, Count> out = new TreeMap<>();
    counts.forEach((k, c) -> out.put(k, new Count(c[0].sum(), c[1].sum())));
    return out;
  }

  /** {@code after - before}, per key, leaving out keys without requests. */
  static Map<String, Count> between(Map<String, Count> before, Map<String, Count> after) {
    Map<String, Count> out = new TreeMap<>();
    after.forEach((k, a) -> {
      Count b = before.getOrDefault(k, new Count(0, 0));
      if (a.requests() > b.requests()) {
        out.put(k, new Count(a.requests() - b.requests(), a.bytes() - b.bytes()));
      }
    });
    return out;
  }

  static Count total(Map<String, Count> counts) {
    return new Count(counts.values().stream().mapToLong(Count::requests).sum(), counts.values().stream().mapToLong(Count::bytes).sum());
  }
}
