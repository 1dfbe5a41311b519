package dev.wgmesh.testapiserver;

import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.util.AbstractMap;
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
 * keep the mock's own code.
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

  /** How many objects the store holds. */
  int size() {
    return objects.size();
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

    /** A copy: the mock streams over it while other requests write. */
    @Override
    public synchronized Set<Map.Entry<AttributeSet, String>> entrySet() {
      Set<Map.Entry<AttributeSet, String>> copy = new LinkedHashSet<>();
      all.forEach((set, object) -> copy.add(new SimpleImmutableEntry<>(set, object)));
      return copy;
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
