package dev.wgmesh.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.ResourceKind;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * The simulated agents' shared client, with at most {@code limit} requests under way. Real agents
 * each hold their own connection to the API server; thousands of them simulated in one JVM, with
 * the server in the same JVM, would hold both ends of a connection per concurrent request (the
 * JDK's HTTP client opens one each) and run out of file descriptors.
 */
final class BoundedKubeApi implements KubeApi {
  private final KubeApi api;
  private final Semaphore slots;

  BoundedKubeApi(KubeApi api, int limit) {
    this.api = api;
    this.slots = new Semaphore(limit);
  }

  private <T> T bounded(java.util.function.Supplier<T> request) {
    slots.acquireUninterruptibly();
    try {
      return request.get();
    } finally {
      slots.release();
    }
  }

  @Override
  public String masterUrl() {
    return api.masterUrl();
  }

  @Override
  public Optional<String> namespace() {
    return api.namespace();
  }

  @Override
  public ObjectMapper json() {
    return api.json();
  }

  @Override
  public <T> Optional<T> get(ResourceKind<T> kind, String namespace, String name) {
    return bounded(() -> api.get(kind, namespace, name));
  }

  @Override
  public <T> T create(ResourceKind<T> kind, T object) {
    return bounded(() -> api.create(kind, object));
  }

  @Override
  public <T> T update(ResourceKind<T> kind, T object) {
    return bounded(() -> api.update(kind, object));
  }

  @Override
  public void patchStatus(ResourceKind<?> kind, String name, String mergePatch) {
    bounded(() -> {
      api.patchStatus(kind, name, mergePatch);
      return null;
    });
  }

  @Override
  public <T> Listing<T> list(ResourceKind<T> kind, Selector selector) {
    return bounded(() -> api.list(kind, selector));
  }

  @Override
  public <T> Watch watch(ResourceKind<T> kind, Selector selector, String resourceVersion, WatchListener<T> listener) {
    return api.watch(kind, selector, resourceVersion, listener);
  }

  @Override
  public void close() {
    api.close();
  }
}
