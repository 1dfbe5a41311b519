package dev.wgmesh.helm;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds fields that a fabric8 typed model did not know: they land in {@code additionalProperties}
 * instead of failing, so a misspelt field ({@code securityContex}, {@code hostNetwrok}) would
 * otherwise parse "fine" and be silently ignored by the API server.
 */
final class UnknownFields {
  private UnknownFields() {}

  static List<String> of(Object model) {
    List<String> found = new ArrayList<>();
    walk(model, "", found, new IdentityHashMap<>());
    return found;
  }

  private static void walk(Object o, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
    if (o == null || seen.put(o, Boolean.TRUE) != null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", found, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        walk(e.getValue(), path + "." + e.getKey(), found, seen);
      }
      return;
    }
    Class<?> type = o.getClass();
    if (!isModel(type)) {
      return;
    }
    for (Method m : type.getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
        continue;
      }
      String name = m.getName();
      if (!name.startsWith("get") || name.equals("getClass")) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(o);
      } catch (ReflectiveOperationException | RuntimeException e) {
        continue;
      }
      if (name.equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          found.add((path.isEmpty() ? "" : path + ".") + extra.keySet() + " (unknown to " + type.getSimpleName() + ")");
        }
        continue;
      }
      String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
      walk(value, path.isEmpty() ? field : path + "." + field, found, seen);
    }
  }

  private static boolean isModel(Class<?> type) {
    String n = type.getName();
    return n.startsWith("io.fabric8.kubernetes.api.model") || n.startsWith("dev.wgmesh.api");
  }
}
