package dev.wgmesh.testapiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.compiler.CelCompiler;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What kube-apiserver does with a write of a custom resource, given its CRD (one served version):
 * prunes fields the schema does not know (and nulls where the schema is not nullable), then
 * validates the object's metadata (name, labels, annotations), the structural schema (types,
 * required, enum, pattern, minimum/maximum, minLength/maxLength, minItems/maxItems) and, unless
 * those found a type, required, enum or size error, the x-kubernetes-validations CEL rules at the
 * schema node each sits on. Rules with oldSelf (transition rules) run only on updates, where the
 * old value is there. On a write of the status subresource only the status is checked against the
 * schema, and the rules against the whole resulting object, as kube-apiserver does.
 *
 * <p>Not modelled: defaulting, validation ratcheting (1.30+: errors in values an update leaves
 * unchanged are forgiven; here the objects were validated when written, under the same CRD) and
 * the rules' runtime cost budget. A schema using a keyword this class cannot check (a format,
 * allOf/anyOf/oneOf/not, list types set and map, ...) is refused when the validator is built, so
 * that a CRD change cannot silently weaken the test server.
 */
public final class CustomResourceValidator {
  private static final Set<String> OBJECT_META = Set.of("apiVersion", "kind", "metadata");
  /** Formats kube-apiserver accepts and does not check. */
  private static final Set<String> UNCHECKED_FORMATS = Set.of("int32", "int64", "float", "double");

  private static final CelCompiler COMPILER = KubeCel.untypedCompiler();
  private static final CelRuntime RUNTIME = KubeCel.runtime();

  private final String group;
  private final String kind;
  private final JSONSchemaProps root;
  private final boolean statusSubresource;
  private final Map<JSONSchemaProps, Pattern> patterns = new IdentityHashMap<>();
  private final Map<ValidationRule, Rule> rules = new IdentityHashMap<>();
  private final Map<JSONSchemaProps, Boolean> hasRules = new IdentityHashMap<>();

  /** A compiled rule: its program, its messageExpression's (or null), and whether it reads oldSelf. */
  private record Rule(ValidationRule source, CelRuntime.Program program, CelRuntime.Program message, boolean usesOldSelf) {}

  /** What pruning left of a request body, and the unknown fields it removed ("spec.foo"). */
  public record Pruned(JsonNode object, List<String> unknownFields) {}

  private CustomResourceValidator(CustomResourceDefinition crd, CustomResourceDefinitionVersion version) {
    this.group = crd.getSpec().getGroup();
    this.kind = crd.getSpec().getNames().getKind();
    this.root = version.getSchema().getOpenAPIV3Schema();
    this.statusSubresource = version.getSubresources() != null && version.getSubresources().getStatus() != null;
    prepare(root, "");
  }

  /** The validator of the CRD's storage version; IllegalArgumentException when its schema uses what this class cannot check. */
  public static CustomResourceValidator of(CustomResourceDefinition crd) {
    CustomResourceDefinitionVersion version = crd.getSpec().getVersions().stream()
        .filter(v -> Boolean.TRUE.equals(v.getStorage())).findFirst().orElse(crd.getSpec().getVersions().get(0));
    return new CustomResourceValidator(crd, version);
  }

  public String kind() {
    return kind;
  }

  public String group() {
    return group;
  }

  // --- the three writes

  /** A create: the body (pruned) with its status dropped when status is a subresource. */
  public List<FieldError> validateCreate(JsonNode object) {
    JsonNode created = statusSubresource ? without(object, "status") : object;
    List<FieldError> errors = new ArrayList<>(ObjectMetaRules.errors(object.path("metadata")));
    schema(created, root, "", errors);
    return withRules(errors, created, null);
  }

  /** An update of the object: the body (pruned) with the stored status when status is a subresource. */
  public List<FieldError> validateUpdate(JsonNode object, JsonNode old) {
    JsonNode updated = statusSubresource ? with(object, "status", old.get("status")) : object;
    List<FieldError> errors = new ArrayList<>(ObjectMetaRules.errors(object.path("metadata")));
    schema(updated, root, "", errors);
    return withRules(errors, updated, old);
  }

  /** A write of the status subresource: the stored object with the body's (pruned) status; the schema checks only the status. */
  public List<FieldError> validateStatusUpdate(JsonNode object, JsonNode old) {
    JsonNode updated = with(old, "status", object.get("status"));
    List<FieldError> errors = new ArrayList<>();
    JSONSchemaProps status = root.getProperties() == null ? null : root.getProperties().get("status");
    if (status != null && updated.hasNonNull("status")) {
      schema(updated.get("status"), status, "status", errors);
    }
    return withRules(errors, updated, old);
  }

  /** kube-apiserver's message for these errors on the object named {@code name}. */
  public String message(String name, List<FieldError> errors) {
    return FieldError.message(kind, group, name, errors);
  }

  /** The errors with those of the CEL rules, or, when the CRD has rules and a blocking error was found, a note that they did not run. */
  private List<FieldError> withRules(List<FieldError> errors, JsonNode object, JsonNode old) {
    if (!hasRules.get(root)) {
      return errors;
    }
    if (errors.stream().anyMatch(CustomResourceValidator::blocking)) {
      errors.add(new FieldError("", FieldError.Type.INVALID, null,
          "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"));
    } else {
      rules(object, old, root, "", true, errors);
    }
    return errors;
  }

  /** Errors that keep the CEL rules from running (apiextensions' hasBlockingErr). */
  private static boolean blocking(FieldError e) {
    return switch (e.type()) {
      case NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID -> true;
      default -> false;
    };
  }

  // --- pruning

  /** The body without the fields the schema does not know, and without nulls where the schema is not nullable. */
  public Pruned prune(JsonNode body) {
    JsonNode copy = body.deepCopy();
    List<String> unknown = new ArrayList<>();
    prune(copy, root, "", unknown);
    return new Pruned(copy, unknown);
  }

  private void prune(JsonNode value, JSONSchemaProps s, String path, List<String> unknown) {
    if (value instanceof ObjectNode object) {
      boolean preserve = Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields());
      JSONSchemaProps values = s.getAdditionalProperties() == null ? null : s.getAdditionalProperties().getSchema();
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (path.isEmpty() && OBJECT_META.contains(field.getKey())) {
          continue;
        }
        JSONSchemaProps child = s.getProperties() != null && s.getProperties().containsKey(field.getKey())
            ? s.getProperties().get(field.getKey()) : values;
        String childPath = values != null && child == values ? path + "[" + field.getKey() + "]" : child(path, field.getKey());
        if (child == null) {
          if (!preserve) {
            unknown.add(child(path, field.getKey()));
            it.remove();
          }
        } else if (field.getValue().isNull() && !Boolean.TRUE.equals(child.getNullable())) {
          it.remove();
        } else {
          prune(field.getValue(), child, childPath, unknown);
        }
      }
    } else if (value != null && value.isArray() && s.getItems() != null && s.getItems().getSchema() != null) {
      for (int i = 0; i < value.size(); i++) {
        prune(value.get(i), s.getItems().getSchema(), path + "[" + i + "]", unknown);
      }
    }
  }

  // --- the structural schema

  private void schema(JsonNode v, JSONSchemaProps s, String path, List<FieldError> errors) {
    String type = s.getType() == null ? "" : s.getType();
    if (v.isNull()) {
      if (!Boolean.TRUE.equals(s.getNullable())) {
        errors.add(typeError(path, v, type));
      }
      return;
    }
    boolean intOrString = Boolean.TRUE.equals(s.getXKubernetesIntOrString());
    boolean typed = switch (type) {
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      case "array" -> v.isArray();
      case "object" -> v.isObject();
      default -> !intOrString || v.isTextual() || v.isIntegralNumber();
    };
    if (!typed) {
      errors.add(typeError(path, v, intOrString ? "integer or string" : type));
      return;
    }
    if (present(s.getEnum()) && !s.getEnum().contains(v)) {
      errors.add(new FieldError(path, FieldError.Type.NOT_SUPPORTED, FieldError.show(v),
          "supported values: " + s.getEnum().stream().map(FieldError::show).collect(Collectors.joining(", "))));
    }
    if (v.isTextual()) {
      string(v, s, path, errors);
    } else if (v.isNumber()) {
      number(v, s, path, errors);
    } else if (v.isArray()) {
      array(v, s, path, errors);
    } else if (v.isObject()) {
      object(v, s, path, errors);
    }
  }

  private void string(JsonNode v, JSONSchemaProps s, String path, List<FieldError> errors) {
    String text = v.asText();
    int length = text.codePointCount(0, text.length());
    if (s.getMaxLength() != null && length > s.getMaxLength()) {
      errors.add(new FieldError(path, FieldError.Type.TOO_LONG, null, "may not be longer than " + s.getMaxLength()));
    }
    if (s.getMinLength() != null && length < s.getMinLength()) {
      errors.add(FieldError.invalid(path, v, path + " in body should be at least " + s.getMinLength() + " chars long"));
    }
    Pattern pattern = patterns.get(s);
    if (pattern != null && !pattern.matcher(text).find()) {
      errors.add(FieldError.invalid(path, v, path + " in body should match '" + s.getPattern() + "'"));
    }
  }

  private static void number(JsonNode v, JSONSchemaProps s, String path, List<FieldError> errors) {
    double n = v.asDouble();
    if (s.getMinimum() != null) {
      boolean exclusive = Boolean.TRUE.equals(s.getExclusiveMinimum());
      if (exclusive ? n <= s.getMinimum() : n < s.getMinimum()) {
        errors.add(FieldError.invalid(path, v, path + " in body should be greater than " + (exclusive ? "" : "or equal to ")
            + number(s.getMinimum())));
      }
    }
    if (s.getMaximum() != null) {
      boolean exclusive = Boolean.TRUE.equals(s.getExclusiveMaximum());
      if (exclusive ? n >= s.getMaximum() : n > s.getMaximum()) {
        errors.add(FieldError.invalid(path, v, path + " in body should be less than " + (exclusive ? "" : "or equal to ")
            + number(s.getMaximum())));
      }
    }
  }

  private void array(JsonNode v, JSONSchemaProps s, String path, List<FieldError> errors) {
    if (s.getMaxItems() != null && v.size() > s.getMaxItems()) {
      errors.add(new FieldError(path, FieldError.Type.TOO_MANY, String.valueOf(v.size()), "must have at most " + s.getMaxItems() + " items"));
    }
    if (s.getMinItems() != null && v.size() < s.getMinItems()) {
      errors.add(new FieldError(path, FieldError.Type.INVALID, String.valueOf(v.size()),
          path + " in body should have at least " + s.getMinItems() + " items"));
    }
    if (s.getItems() != null && s.getItems().getSchema() != null) {
      for (int i = 0; i < v.size(); i++) {
        schema(v.get(i), s.getItems().getSchema(), path + "[" + i + "]", errors);
      }
    }
  }

  private void object(JsonNode v, JSONSchemaProps s, String path, List<FieldError> errors) {
    if (s.getRequired() != null) {
      for (String required : s.getRequired()) {
        if (!v.has(required)) {
          errors.add(FieldError.required(child(path, required), ""));
        }
      }
    }
    JSONSchemaProps values = s.getAdditionalProperties() == null ? null : s.getAdditionalProperties().getSchema();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (path.isEmpty() && OBJECT_META.contains(field.getKey())) {
        continue;
      }
      JSONSchemaProps property = s.getProperties() == null ? null : s.getProperties().get(field.getKey());
      if (property != null) {
        schema(field.getValue(), property, child(path, field.getKey()), errors);
      } else if (values != null) {
        schema(field.getValue(), values, path + "[" + field.getKey() + "]", errors);
      }
    }
  }

  private static FieldError typeError(String path, JsonNode v, String type) {
    return new FieldError(path, FieldError.Type.TYPE_INVALID, FieldError.show(v),
        path + " in body must be of type " + type + ": \"" + jsonType(v) + "\"");
  }

  private static String jsonType(JsonNode v) {
    return switch (v.getNodeType()) {
      case STRING -> "string";
      case NUMBER -> v.isIntegralNumber() ? "integer" : "number";
      case BOOLEAN -> "boolean";
      case ARRAY -> "array";
      case OBJECT -> "object";
      default -> "null";
    };
  }

  /** A bound as Go prints a float64 with %v: 1280, not 1280.0. */
  private static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }

  // --- the CEL rules

  private void rules(JsonNode v, JsonNode old, JSONSchemaProps s, String path, boolean atRoot, List<FieldError> errors) {
    if (v == null || v.isNull() || !hasRules.getOrDefault(s, false)) {
      return;
    }
    if (s.getXKubernetesValidations() != null) {
      for (ValidationRule source : s.getXKubernetesValidations()) {
        Rule rule = rules.get(source);
        if (rule.usesOldSelf() && (old == null || old.isNull())) {
          continue; // transition rules run only where an old value correlates
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("self", CelValues.of(atRoot ? ruleView(v) : v));
        if (rule.usesOldSelf()) {
          vars.put("oldSelf", CelValues.of(atRoot ? ruleView(old) : old));
        }
        check(rule, vars, s, path, errors);
      }
    }
    if (v.isObject()) {
      JSONSchemaProps values = s.getAdditionalProperties() == null ? null : s.getAdditionalProperties().getSchema();
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        JsonNode oldField = old != null && old.isObject() ? old.get(field.getKey()) : null;
        JSONSchemaProps property = s.getProperties() == null ? null : s.getProperties().get(field.getKey());
        if (property != null) {
          rules(field.getValue(), oldField, property, child(path, field.getKey()), false, errors);
        } else if (values != null) {
          rules(field.getValue(), oldField, values, path + "[" + field.getKey() + "]", false, errors);
        }
      }
    } else if (v.isArray() && s.getItems() != null && s.getItems().getSchema() != null) {
      for (int i = 0; i < v.size(); i++) {
        // list items correlate with old ones only in x-kubernetes-list-type map lists, which prepare() refuses
        rules(v.get(i), null, s.getItems().getSchema(), path + "[" + i + "]", false, errors);
      }
    }
  }

  private static void check(Rule rule, Map<String, Object> vars, JSONSchemaProps s, String path, List<FieldError> errors) {
    ValidationRule source = rule.source();
    String shown = "\"" + (s.getType() == null ? "" : s.getType()) + "\"";
    Object result;
    try {
      result = rule.program().eval(vars);
    } catch (CelEvaluationException e) {
      errors.add(new FieldError(path, FieldError.Type.INVALID, shown, e.getMessage() + " evaluating rule: " + source.getRule()));
      return;
    }
    if (Boolean.TRUE.equals(result)) {
      return;
    }
    String detail = null;
    if (rule.message() != null) {
      try {
        Object message = rule.message().eval(vars);
        detail = message instanceof String m && !m.isBlank() ? m : null;
      } catch (CelEvaluationException e) {
        detail = null; // kube-apiserver logs it and falls back to message
      }
    }
    if (detail == null) {
      detail = source.getMessage() != null && !source.getMessage().isBlank() ? source.getMessage() : "failed rule: " + source.getRule();
    }
    String field = source.getFieldPath() == null ? path : FieldPaths.append(path, source.getFieldPath(), s);
    String reason = source.getReason() == null ? "" : source.getReason();
    errors.add(switch (reason) {
      case "FieldValueForbidden" -> new FieldError(field, FieldError.Type.FORBIDDEN, null, detail);
      case "FieldValueRequired" -> FieldError.required(field, detail);
      case "FieldValueDuplicate" -> new FieldError(field, FieldError.Type.DUPLICATE, shown, null); // the API server drops the message
      default -> new FieldError(field, FieldError.Type.INVALID, shown, detail);
    });
  }

  /** The root as rules see it: every property, apiVersion, kind, and of the metadata only name and generateName. */
  private static JsonNode ruleView(JsonNode object) {
    if (!(object instanceof ObjectNode o)) {
      return object;
    }
    ObjectNode view = o.deepCopy();
    ObjectNode metadata = view.putObject("metadata");
    JsonNode original = o.path("metadata");
    for (String field : List.of("name", "generateName")) {
      if (original.hasNonNull(field)) {
        metadata.set(field, original.get(field));
      }
    }
    return view;
  }

  // --- preparing the schema: patterns and rules compiled once, and what cannot be checked refused

  private boolean prepare(JSONSchemaProps s, String path) {
    String where = kind + " schema at " + (path.isEmpty() ? "<root>" : path) + ": ";
    if (s.getFormat() != null && !UNCHECKED_FORMATS.contains(s.getFormat())) {
      throw new IllegalArgumentException(where + "format " + s.getFormat() + " is not checked by the test API server; add it to "
          + CustomResourceValidator.class.getSimpleName());
    }
    if (present(s.getAllOf()) || present(s.getAnyOf()) || present(s.getOneOf()) || s.getNot() != null
        || s.getMultipleOf() != null || s.getMaxProperties() != null || s.getMinProperties() != null
        || Boolean.TRUE.equals(s.getUniqueItems()) || Boolean.TRUE.equals(s.getXKubernetesEmbeddedResource())
        || (s.getXKubernetesListType() != null && !"atomic".equals(s.getXKubernetesListType()))) {
      throw new IllegalArgumentException(where + "uses a keyword the test API server does not check (allOf/anyOf/oneOf/not, multipleOf, "
          + "min/maxProperties, uniqueItems, x-kubernetes-embedded-resource or a list type other than atomic)");
    }
    if (s.getPattern() != null) {
      patterns.put(s, Pattern.compile(s.getPattern()));
    }
    boolean any = false;
    if (present(s.getXKubernetesValidations())) {
      for (ValidationRule r : s.getXKubernetesValidations()) {
        if (r.getOptionalOldSelf() != null) {
          throw new IllegalArgumentException(where + "optionalOldSelf is not implemented by the test API server");
        }
        CelAbstractSyntaxTree ast = compile(where, r.getRule());
        CelRuntime.Program message = r.getMessageExpression() == null ? null : program(where, compile(where, r.getMessageExpression()));
        rules.put(r, new Rule(r, program(where, ast), message, ApiServerCrdRules.usesIdent(ast.getExpr(), "oldSelf")));
      }
      any = true;
    }
    if (s.getProperties() != null) {
      for (Map.Entry<String, JSONSchemaProps> p : s.getProperties().entrySet()) {
        any |= prepare(p.getValue(), child(path, p.getKey()));
      }
    }
    if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
      any |= prepare(s.getAdditionalProperties().getSchema(), path + "{}");
    }
    if (s.getItems() != null && s.getItems().getSchema() != null) {
      any |= prepare(s.getItems().getSchema(), path + "[]");
    }
    hasRules.put(s, any);
    return any;
  }

  private static CelAbstractSyntaxTree compile(String where, String expression) {
    CelValidationResult result = COMPILER.compile(expression);
    try {
      return result.getAst();
    } catch (Exception e) {
      throw new IllegalArgumentException(where + "does not compile: " + expression + ": " + result.getErrorString(), e);
    }
  }

  private static CelRuntime.Program program(String where, CelAbstractSyntaxTree ast) {
    try {
      return RUNTIME.createProgram(ast);
    } catch (Exception e) {
      throw new IllegalArgumentException(where + "cannot be planned: " + e.getMessage(), e);
    }
  }

  // --- small helpers

  /** fabric8's model gives an empty list for an absent one. */
  private static boolean present(List<?> list) {
    return list != null && !list.isEmpty();
  }

  private static String child(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static JsonNode without(JsonNode object, String field) {
    if (!object.has(field)) {
      return object;
    }
    ObjectNode copy = ((ObjectNode) object).deepCopy();
    copy.remove(field);
    return copy;
  }

  private static JsonNode with(JsonNode object, String field, JsonNode value) {
    ObjectNode copy = ((ObjectNode) object).deepCopy();
    if (value == null) {
      copy.remove(field);
    } else {
      copy.set(field, value);
    }
    return copy;
  }
}
