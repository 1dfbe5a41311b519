package dev.wgmesh.testapiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What kube-apiserver checks of a custom resource's metadata (ValidateObjectMetaAccessor with
 * NameIsDNSSubdomain; built-in kinds: {@link BuiltInObjectRules}): the name a lowercase RFC 1123 subdomain, label keys qualified names with an
 * optional DNS subdomain prefix, label values at most 63 characters of the label alphabet,
 * annotation keys qualified names. Messages as kube-apiserver words them.
 */
final class ObjectMetaRules {
  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";
  private static final String QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final String LABEL_VALUE = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

  private ObjectMetaRules() {}

  static List<FieldError> errors(JsonNode metadata) {
    List<FieldError> errors = new ArrayList<>();
    JsonNode name = metadata.get("name");
    if (name != null && name.isTextual()) {
      errors.addAll(nameErrors(name));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = metadata.path("labels").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> label = it.next();
      keyErrors("metadata.labels", label.getKey(), errors);
      String value = label.getValue().asText();
      if (value.length() > 63) {
        errors.add(FieldError.invalid("metadata.labels", label.getValue(), "must be no more than 63 characters"));
      }
      if (!value.matches(LABEL_VALUE)) {
        errors.add(FieldError.invalid("metadata.labels", label.getValue(), "a valid label must be an empty string or consist of "
            + "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
      }
    }
    for (Iterator<String> it = metadata.path("annotations").fieldNames(); it.hasNext(); ) {
      keyErrors("metadata.annotations", it.next(), errors);
    }
    return errors;
  }

  /** NameIsDNSSubdomain: the name a lowercase RFC 1123 subdomain of at most 253 characters. */
  static List<FieldError> nameErrors(JsonNode name) {
    List<FieldError> errors = new ArrayList<>();
    String n = name.asText();
    if (n.length() > 253) {
      errors.add(FieldError.invalid("metadata.name", name, "must be no more than 253 characters"));
    }
    if (!n.matches(DNS1123_SUBDOMAIN)) {
      errors.add(FieldError.invalid("metadata.name", name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
          + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
          + "validation is '" + DNS1123_SUBDOMAIN + "')"));
    }
    return errors;
  }

  /** A label or annotation key: [prefix/]name, the prefix a DNS subdomain of at most 253, the name a qualified name of at most 63. */
  private static void keyErrors(String field, String key, List<FieldError> errors) {
    int slash = key.indexOf('/');
    String prefix = slash < 0 ? null : key.substring(0, slash);
    String name = slash < 0 ? key : key.substring(slash + 1);
    boolean ok = name.length() <= 63 && name.matches(QUALIFIED_NAME)
        && (prefix == null || (prefix.length() <= 253 && prefix.matches(DNS1123_SUBDOMAIN)));
    if (!ok) {
      errors.add(FieldError.invalid(field, TextNode.valueOf(key), "name part must consist of alphanumeric characters, '-', '_' or '.', "
          + "and must start and end with an alphanumeric character, at most 63 characters, with an optional DNS subdomain prefix and '/'"));
    }
  }
}
