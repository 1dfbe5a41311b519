package dev.wgmesh.testapiserver.crd;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.regex.Matcher;

/**
 * A rule's fieldPath (".registries", ".spec['x']") joined to the path of the node the rule sits
 * on, as kube-apiserver reports it: named properties as ".name", map entries as "[key]".
 */
final class FieldPaths {
  private static final java.util.regex.Pattern STEP =
      java.util.regex.Pattern.compile("\\G(?:\\.([A-Za-z_$][A-Za-z0-9_$-]*)|\\['((?:[^'\\\\]|\\\\.)*)'\\])");

  private FieldPaths() {}

  static String append(String path, String fieldPath, JSONSchemaProps schema) {
    StringBuilder b = new StringBuilder(path);
    JSONSchemaProps at = schema;
    Matcher m = STEP.matcher(fieldPath);
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2).replace("\\'", "'");
      JSONSchemaProps property = at == null || at.getProperties() == null ? null : at.getProperties().get(name);
      if (property != null || at == null || at.getAdditionalProperties() == null) {
        b.append(b.length() == 0 ? "" : ".").append(name);
        at = property;
      } else {
        b.append('[').append(name).append(']');
        at = at.getAdditionalProperties().getSchema();
      }
    }
    return b.toString();
  }
}
