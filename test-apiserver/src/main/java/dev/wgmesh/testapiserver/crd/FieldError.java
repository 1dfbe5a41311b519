package dev.wgmesh.testapiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One validation error as kube-apiserver reports it (k8s.io/apimachinery's field.Error): the
 * field path ("spec.registries[0].name", "" for the object itself), the error type, the offending
 * value where the type shows one, and a detail. {@link #toString} is the API server's text, e.g.
 * {@code spec.mtu: Invalid value: 100: spec.mtu in body should be greater than or equal to 1280}.
 */
public record FieldError(String field, Type type, String value, String detail) {

  /** field.ErrorType: its text, and the reason a Status cause gives (metav1.CauseType). */
  public enum Type {
    REQUIRED("Required value", "FieldValueRequired", false),
    INVALID("Invalid value", "FieldValueInvalid", true),
    /** A value of the wrong JSON type; it keeps the CEL rules from running, as a real server does. */
    TYPE_INVALID("Invalid value", "FieldValueTypeInvalid", true),
    NOT_SUPPORTED("Unsupported value", "FieldValueNotSupported", true),
    FORBIDDEN("Forbidden", "FieldValueForbidden", false),
    DUPLICATE("Duplicate value", "FieldValueDuplicate", true),
    TOO_LONG("Too long", "FieldValueTooLong", false),
    TOO_MANY("Too many", "FieldValueTooMany", true);

    final String text;
    final String reason;
    final boolean showsValue;

    Type(String text, String reason, boolean showsValue) {
      this.text = text;
      this.reason = reason;
      this.showsValue = showsValue;
    }

    /** The reason of a Status cause for this error. */
    public String reason() {
      return reason;
    }
  }

  static FieldError required(String field, String detail) {
    return new FieldError(field, Type.REQUIRED, null, detail);
  }

  static FieldError invalid(String field, JsonNode value, String detail) {
    return new FieldError(field, Type.INVALID, show(value), detail);
  }

  /** The value as Go's %v/%q shows it in these messages: strings quoted, other scalars plain. */
  static String show(JsonNode value) {
    if (value == null || value.isMissingNode()) {
      return "null";
    }
    return value.isTextual() ? TextNode.valueOf(value.asText()).toString() : value.toString();
  }

  /** "field: body", the field "<nil>" for the object itself (a nil field.Path). */
  @Override
  public String toString() {
    return (field.isEmpty() ? "<nil>" : field) + ": " + body();
  }

  /** The message without the field, as in a Status cause. */
  public String body() {
    StringBuilder b = new StringBuilder(type.text);
    if (type.showsValue && value != null) {
      b.append(": ").append(value);
    }
    if (detail != null && !detail.isEmpty()) {
      b.append(": ").append(detail);
    }
    return b.toString();
  }

  /** kube-apiserver's message for an invalid object: {@code Kind.group "name" is invalid: error} or {@code [e1, e2]} ({@code Kind} alone for the core group). */
  public static String message(String kind, String group, String name, List<FieldError> errors) {
    String list = errors.size() == 1 ? errors.get(0).toString()
        : errors.stream().map(FieldError::toString).collect(Collectors.joining(", ", "[", "]"));
    return (group.isEmpty() ? kind : kind + "." + group) + " \"" + name + "\" is invalid: " + list;
  }
}
