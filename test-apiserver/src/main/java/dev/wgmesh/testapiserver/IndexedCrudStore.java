package dev.wgmesh.testapiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * fabric8's CRUD store, finding one object by its key instead of by looking at every object it
 * holds. The mock stores objects under their attribute sets and answers a get, and the existence
 * check of every create, update and patch, by matching each stored set against the request's: at
 * 5000 nodes (some 15 000 objects) that made a create cost ~60 ms, so the server, not the operator,
 * set the pace of every scale benchmark. A real API server looks an object up by key.
 *
 * <p>Here the store's map is an {@link Objects} that also indexes each stored set by resource,
 * namespace and name, so it sees exactly the keys the mock puts and removes. Lookups of one object
 * (a get by name, and the mock's {@link #findResource}) use the index, and then check the stored
 * set against the request's as the mock would (API group, version). Lists, watches and deletes
 * keep the mock's own code. Whether a write changed the object (a new resourceVersion) or its
 * spec (a new generation) is decided by equality instead of the mock's JSON diff.
 */
final class IndexedCrudStore extends KubernetesCrudDispatcher {
  private final Objects objects = new Objects();

  IndexedCrudStore() {
    try {
      Field map = CrudDispatcher.class.getDeclaredField("map");
      map.setAccessible(true);
      map.set(this, objects);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("fabric8's CRUD store no longer keeps its objects in a field 'map'", e);
    }
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String key = key(query);
    return key == null ? super.findResource(query) : objects.find(key, query);
  }

  @Override
  public MockResponse handleGet(String path) {
    if (path.contains("watch=")) {
      return super.handleGet(path);
    }
    AttributeSet query = getAttributeExtractor().fromPath(path);
    String key = key(query);
    if (key == null) {
      return super.handleGet(path); // a list, or the API's discovery
    }
    Map.Entry<AttributeSet, String> found = objects.find(key, query);
    return found == null ? new MockResponse().setResponseCode(404) : new MockResponse().setResponseCode(200).setBody(found.getValue());
  }

  /**
   * The stored JSON of the one object at {@code path}, null when there is none: the same String
   * until the object is written again, without a response built around a copy of it.
   */
  String stored(String path) {
    AttributeSet query = getAttributeExtractor().fromPath(path);
    String key = key(query);
    Map.Entry<AttributeSet, String> found = key == null ? null : objects.find(key, query);
    return found == null ? null : found.getValue();
  }

  /**
   * A new resourceVersion when the object changed, as the mock does; but the mock finds out with a
   * JSON diff that looks for moves inside arrays (quadratic in an array's length: seconds for the
   * registry's config at 5000 peers, with every other request waiting), where equality says the same.
   */
  @Override
  public void touchResourceVersion(JsonNode current, JsonNode updated) {
    if (current == null || !current.equals(updated)) {
      ((ObjectNode) updated.get(METADATA)).put(RESOURCE_VERSION, String.valueOf(requestResourceVersion()));
    }
  }

  /** A new generation when anything but the metadata and the status changed, as the mock and kube-apiserver do (see above). */
  @Override
  public void touchGeneration(JsonNode current, JsonNode updated) {
    if (current == null || !sameExceptMetadataAndStatus(current, updated)) {
      ((ObjectNode) updated.get(METADATA)).put(GENERATION, updated.path(METADATA).path(GENERATION).asInt(0) + 1);
    }
  }

  static boolean sameExceptMetadataAndStatus(JsonNode a, JsonNode b) {
    Set<String> fields = new java.util.HashSet<>();
    a.fieldNames().forEachRemaining(fields::add);
    b.fieldNames().forEachRemaining(fields::add);
    fields.remove(METADATA);
    fields.remove("status");
    for (String field : fields) {
      if (!a.path(field).equals(b.path(field))) {
        return false;
      }
    }
    return true;
  }

  /** "plural/namespace/name" of a set that names one object (the namespace empty when cluster-scoped), or null. */
  static String key(AttributeSet set) {
    String plural = single(set, KubernetesAttributesExtractor.PLURAL);
    String name = single(set, KubernetesAttributesExtractor.NAME);
    if (plural == null || name == null) {
      return null;
    }
    String namespace = single(set, KubernetesAttributesExtractor.NAMESPACE);
    return plural + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  private static String single(AttributeSet set, String attribute) {
    Attribute a = set.getAttribute(attribute);
    return a == null || a.getValues().size() != 1 ? null : a.getValues().get(0).toString();
  }

  /**
   * The store's map: every stored set and its object in insertion order (as the mock's own map),
   * and the stored sets that name one object, by {@link #key}. Synchronized as the mock's map is.
   */
  static final class Objects extends AbstractMap<AttributeSet, String> {
    private final Map<AttributeSet, String> all = new LinkedHashMap<>();
    private final Map<String, Set<AttributeSet>> byKey = new HashMap<>();

    synchronized Map.Entry<AttributeSet, String> find(String key, AttributeSet query) {
      for (AttributeSet stored : byKey.getOrDefault(key, Set.of())) {
        if (stored.matches(query)) {
          return new SimpleImmutableEntry<>(stored, all.get(stored));
        }
      }
      return null;
    }

    @Override
    public synchronized String put(AttributeSet set, String object) {
      String key = key(set);
      if (key != null) {
        byKey.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(set);
      }
      return all.put(set, object);
    }

    @Override
    public synchronized String remove(Object set) {
      if (!all.containsKey(set)) {
        return null;
      }
      String key = key((AttributeSet) set);
      if (key != null) {
        Set<AttributeSet> sets = byKey.get(key);
        sets.remove(set);
        if (sets.isEmpty()) {
          byKey.remove(key);
        }
      }
      return all.remove(set);
    }

    @Override
    public synchronized String get(Object set) {
      return all.get(set);
    }

    @Override
    public synchronized boolean containsKey(Object set) {
      return all.containsKey(set);
    }

    @Override
    public synchronized int size() {
      return all.size();
    }

    @Override
    public synchronized void clear() {
      all.clear();
      byKey.clear();
    }

    /**
     * A copy of the entries, in order, for the mock to stream over while other requests write: the
     * references only (no hashing of attribute sets), as it is taken for every list.
     */
    @Override
    public synchronized Set<Map.Entry<AttributeSet, String>> entrySet() {
      List<Map.Entry<AttributeSet, String>> copy = new ArrayList<>(all.entrySet());
      return new AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<AttributeSet, String>> iterator() {
          return Collections.unmodifiableList(copy).iterator();
        }

        @Override
        public int size() {
          return copy.size();
        }
      };
    }

    @Override
    public synchronized Set<AttributeSet> keySet() {
      return new LinkedHashSet<>(all.keySet());
    }

    @Override
    public synchronized java.util.Collection<String> values() {
      return new ArrayList<>(all.values());
    }
  }
}
