package dev.wgmesh.testapiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What kube-apiserver checks of the metadata of a built-in object on create and update
 * (ValidateObjectMeta with the kind's name rule, and the labels its spec holds): the name by the
 * rule of its kind, labels and annotation keys as for any object ({@link ObjectMetaRules}), and the
 * label maps of a workload's pod template and selector and of a Service's selector. Name rules, as
 * k8s.io/kubernetes/pkg/apis/.../validation words them:
 *
 * <ul>
 *   <li>Service: an RFC 1035 label (ValidateServiceName: it becomes a DNS name in the cluster);
 *   <li>Namespace: an RFC 1123 label;
 *   <li>Role, ClusterRole, RoleBinding, ClusterRoleBinding: a path segment (ValidateRBACName: not
 *       "." or "..", no '/' or '%');
 *   <li>every other kind (Secret, ConfigMap, Pod, Deployment, Event, Lease, ...): an RFC 1123
 *       subdomain, as the documentation of object names says of most kinds.
 * </ul>
 */
public final class BuiltInObjectRules {
  private static final String DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

  /** Kinds by resource, for kube-apiserver's messages ("Service", "Deployment.apps"). */
  private static final Map<String, String> KINDS = Map.ofEntries(
      Map.entry("services", "Service"), Map.entry("namespaces", "Namespace"), Map.entry("secrets", "Secret"),
      Map.entry("configmaps", "ConfigMap"), Map.entry("pods", "Pod"), Map.entry("nodes", "Node"),
      Map.entry("serviceaccounts", "ServiceAccount"), Map.entry("events", "Event"), Map.entry("endpoints", "Endpoints"),
      Map.entry("deployments", "Deployment"), Map.entry("daemonsets", "DaemonSet"), Map.entry("replicasets", "ReplicaSet"),
      Map.entry("statefulsets", "StatefulSet"), Map.entry("leases", "Lease"), Map.entry("roles", "Role"),
      Map.entry("clusterroles", "ClusterRole"), Map.entry("rolebindings", "RoleBinding"),
      Map.entry("clusterrolebindings", "ClusterRoleBinding"));

  private BuiltInObjectRules() {}

  /** The errors of a create or update of {@code object}, a {@code resource} of {@code group} ("" for core). */
  public static List<FieldError> errors(String group, String resource, JsonNode object) {
    JsonNode metadata = object.path("metadata");
    List<FieldError> errors = new ArrayList<>();
    JsonNode name = metadata.get("name");
    if (name != null && name.isTextual()) {
      nameErrors(group, resource, name, errors);
    }
    errors.addAll(ObjectMetaRules.errors(withoutName(metadata)));
    JsonNode spec = object.path("spec");
    if (group.equals("apps") || group.equals("batch")) {
      labelErrors("spec.template.metadata.labels", spec.path("template").path("metadata").path("labels"), errors);
      labelErrors("spec.selector.matchLabels", spec.path("selector").path("matchLabels"), errors);
    }
    if (group.isEmpty() && resource.equals("services")) {
      labelErrors("spec.selector", spec.path("selector"), errors);
    }
    return errors;
  }

  /** kube-apiserver's message: {@code Service "x" is invalid: ...}, {@code Deployment.apps "x" is invalid: ...}. */
  public static String message(String group, String resource, JsonNode object, List<FieldError> errors) {
    return FieldError.message(kind(resource, object), group, object.path("metadata").path("name").asText(""), errors);
  }

  /** The kind of a {@code resource}: from the body where this class does not know the resource. */
  public static String kind(String resource, JsonNode object) {
    return KINDS.getOrDefault(resource, object.path("kind").asText(resource));
  }

  private static void nameErrors(String group, String resource, JsonNode name, List<FieldError> errors) {
    String n = name.asText();
    if (group.equals("rbac.authorization.k8s.io")) {
      if (n.equals(".") || n.equals("..")) {
        errors.add(FieldError.invalid("metadata.name", name, "may not be '" + n + "'"));
      }
      for (String bad : new String[] {"/", "%"}) {
        if (n.contains(bad)) {
          errors.add(FieldError.invalid("metadata.name", name, "may not contain '" + bad + "'"));
        }
      }
      return;
    }
    if (group.isEmpty() && resource.equals("services")) {
      label(name, DNS1035_LABEL, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
          + "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '"
          + DNS1035_LABEL + "')", errors);
    } else if (group.isEmpty() && resource.equals("namespaces")) {
      label(name, DNS1123_LABEL, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
          + "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '"
          + DNS1123_LABEL + "')", errors);
    } else {
      errors.addAll(ObjectMetaRules.nameErrors(name));
    }
  }

  private static void label(JsonNode name, String regex, String detail, List<FieldError> errors) {
    if (name.asText().length() > 63) {
      errors.add(FieldError.invalid("metadata.name", name, "must be no more than 63 characters"));
    }
    if (!name.asText().matches(regex)) {
      errors.add(FieldError.invalid("metadata.name", name, detail));
    }
  }

  private static void labelErrors(String field, JsonNode labels, List<FieldError> errors) {
    if (!labels.isObject()) {
      return;
    }
    ObjectNode metadata = JsonNodeFactory.instance.objectNode();
    metadata.set("labels", labels);
    for (FieldError e : ObjectMetaRules.errors(metadata)) {
      errors.add(new FieldError(e.field().replace("metadata.labels", field), e.type(), e.value(), e.detail()));
    }
  }

  private static JsonNode withoutName(JsonNode metadata) {
    if (!metadata.isObject()) {
      return metadata;
    }
    ObjectNode copy = ((ObjectNode) metadata).deepCopy();
    copy.remove("name");
    return copy;
  }
}
