package dev.wgmesh.kube.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;

/**
 * What the node daemons (agent and registry) ask of the Kubernetes API server: read, create and
 * update single objects, merge-patch a status, and list and watch collections. {@link HttpKubeApi}
 * is the one implementation, over the JDK's HTTP client; the operator uses fabric8 instead.
 *
 * <p>Every method throws {@link KubeApiException} when the API server cannot be reached or
 * refuses (except {@link #get}, which answers 404 with empty).
 */
public interface KubeApi extends AutoCloseable {
  /** The API server's URL, for messages. */
  String masterUrl();

  /** The client's namespace (in a pod: its own), if it has one. */
  Optional<String> namespace();

  /** The JSON mapper objects are read and written with. */
  ObjectMapper json();

  /** The object, empty when it does not exist. */
  <T> Optional<T> get(ResourceKind<T> kind, String namespace, String name);

  /** Creates the object (its namespace from its metadata); returns it as stored. */
  <T> T create(ResourceKind<T> kind, T object);

  /** Replaces the object (a conflict, 409, when its resourceVersion is not the stored one); returns it as stored. */
  <T> T update(ResourceKind<T> kind, T object);

  /** Applies a JSON merge patch to the status subresource of a cluster-scoped object. */
  void patchStatus(ResourceKind<?> kind, String name, String mergePatch);

  /** The objects of a cluster-scoped collection that match the selectors (either may be null). */
  <T> Listing<T> list(ResourceKind<T> kind, Selector selector);

  /**
   * Watches a cluster-scoped collection from {@code resourceVersion}; returns once the watch is
   * open, events then go to {@code listener} in order.
   */
  <T> Watch watch(ResourceKind<T> kind, Selector selector, String resourceVersion, WatchListener<T> listener);

  @Override
  void close();

  /** A label selector and a field selector, each null when not used. */
  record Selector(String labels, String fields) {
    public static Selector labels(String key, String value) {
      return new Selector(key + "=" + value, null);
    }

    public static Selector name(String name) {
      return new Selector(null, "metadata.name=" + name);
    }
  }

  /** A list's items and the resourceVersion to watch from. */
  record Listing<T>(List<T> items, String resourceVersion) {}

  /** An open watch. */
  interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  /** What a watch hears, on one thread at a time and in order. */
  interface WatchListener<T> {
    /** ADDED, MODIFIED or DELETED, with the object. */
    void onEvent(String type, T object);

    /** A BOOKMARK: the collection is at {@code resourceVersion}. */
    default void onBookmark(String resourceVersion) {}

    /**
     * The watch ended: normally (the server closed it; {@code error} null), because the
     * resourceVersion is too old (410 Gone: relist), or with an error.
     */
    void onClose(KubeApiException error);
  }
}
