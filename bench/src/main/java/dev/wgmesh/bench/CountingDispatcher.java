package dev.wgmesh.bench;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The mock API server's CRUD dispatcher, counting the writes it gets (every method but GET) and their bytes, by method and resource. */
final class CountingDispatcher extends KubernetesCrudDispatcher {
  record Count(long requests, long bytes) {}

  private final Map<String, LongAdder[]> counts = new ConcurrentHashMap<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (!"GET".equalsIgnoreCase(request.getMethod())) {
      LongAdder[] c = counts.computeIfAbsent(request.getMethod() + " " + resource(request.getPath()), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
      c[0].increment();
      c[1].add(request.getBody() == null ? 0 : request.getBody().size());
    }
    return super.dispatch(request);
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
