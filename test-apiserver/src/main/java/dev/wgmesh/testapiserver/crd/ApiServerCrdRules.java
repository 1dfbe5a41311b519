package dev.wgmesh.testapiserver.crd;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * What kube-apiserver checks of a CRD's schema when the CRD is created or updated (the
 * apiextensions validation of k8s.io/apiextensions-apiserver, and the Kubernetes documentation
 * "Specifying a structural schema" and "Validation rules"), as far as these tests can redo it
 * without an API server. {@link #problems} returns one line per problem, each naming the CRD and
 * the schema path (".spec.registry", "[]" for array items, "{}" for additionalProperties); an
 * empty list means the API server would accept the schema as far as checked here.
 *
 * <p>Checked: the structural schema rules (types, properties vs additionalProperties, items,
 * metadata at the root, forbidden keywords, nullable/default at the root, defaults only where
 * allowed and valid by their schema, list-type map keys), status in the schema when the status
 * subresource is on, and for every x-kubernetes-validations rule: reason, fieldPath, message,
 * that rule and messageExpression compile in {@link KubeCel}'s environment with self typed from
 * the schema (so a field that is not in the schema does not compile), their result types, where
 * oldSelf may be used, and their estimated cost (see {@link #estimateCost}).
 *
 * <p>Not checked: the junctor rule that every field used in allOf/anyOf/oneOf/not is also
 * specified outside them, x-kubernetes-embedded-resource, which keywords the root may use when the
 * status subresource is on, printer columns, selectable fields and conversion.
 */
public final class ApiServerCrdRules {
  private ApiServerCrdRules() {}

  /** The reasons a validation rule may give (apiextensions validation's supportedValidationReason). */
  static final Set<String> REASONS = Set.of("FieldValueRequired", "FieldValueDuplicate", "FieldValueInvalid", "FieldValueForbidden");

  /**
   * The API server's static cost limits, from k8s.io/apiextensions-apiserver
   * pkg/apis/apiextensions/validation/validation.go: StaticEstimatedCostLimit = 10000000, "the
   * largest-allowed static CEL cost on a per-expression basis" (a rule's estimated cost times the
   * worst-case number of times it runs, see getExpressionCost), and StaticEstimatedCRDCostLimit =
   * 100000000, "the largest-allowed total cost for the x-kubernetes-validations rules of a CRD".
   * (The 1000000 of k8s.io/apiserver's PerCallLimit is the runtime limit of one evaluation, not a
   * limit applied when the CRD is created.)
   */
  static final long STATIC_ESTIMATED_COST_LIMIT = 10_000_000L;
  static final long STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000L;

  /** The API server's request size limit (3 MiB), which bounds every unbounded string, list and map. */
  static final long MAX_REQUEST_BYTES = 3L * 1024 * 1024;

  private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "array", "object");

  /** Every problem of every version of the CRD. */
  static List<String> problems(CustomResourceDefinition crd) {
    List<String> problems = new ArrayList<>();
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      JSONSchemaProps root = v.getSchema() == null ? null : v.getSchema().getOpenAPIV3Schema();
      boolean status = v.getSubresources() != null && v.getSubresources().getStatus() != null;
      String where = crd.getMetadata().getName() + " " + v.getName();
      if (root == null) {
        problems.add(where + ": no openAPIV3Schema (structural schemas are required)");
        continue;
      }
      problems.addAll(problems(where, root, status));
    }
    return problems;
  }

  /** The problems of one version's openAPIV3Schema; where names the CRD and version in the messages. */
  static List<String> problems(String where, JSONSchemaProps root, boolean statusSubresource) {
    Walk walk = new Walk(where);
    if (!"object".equals(root.getType())) {
      walk.problem("", "the root must have type object");
    }
    if (Boolean.TRUE.equals(root.getNullable())) {
      walk.problem("", "nullable is forbidden at the root");
    }
    if (root.getDefault() != null) {
      walk.problem("", "default is forbidden at the root");
    }
    if (statusSubresource && (root.getProperties() == null || !root.getProperties().containsKey("status"))) {
      walk.problem("", "the status subresource is enabled but the schema has no status property");
    }
    JSONSchemaProps metadata = root.getProperties() == null ? null : root.getProperties().get("metadata");
    if (metadata != null) {
      walk.rootMetadata(metadata);
    }
    walk.node(root, "", new Context(true, false, null, 1));
    if (walk.totalCost > STATIC_ESTIMATED_CRD_COST_LIMIT) {
      walk.problem("", "the estimated cost of all its x-kubernetes-validations rules, " + walk.totalCost
          + ", exceeds StaticEstimatedCRDCostLimit " + STATIC_ESTIMATED_CRD_COST_LIMIT);
    }
    return walk.problems;
  }

  /**
   * Where a node sits: at the root (its rules see apiVersion, kind, metadata.name), inside the
   * root's metadata/apiVersion/kind (no defaults), below the first node where old and new values
   * cannot be correlated (oldSelf forbidden; null when allowed), and how many times at most its
   * rules run per object (the product of the worst-case lengths of the enclosing lists and maps).
   */
  private record Context(boolean root, boolean noDefaults, String uncorrelatableAt, long cardinality) {
    Context child(boolean noDefaults, String uncorrelatableAt, long times) {
      return new Context(false, this.noDefaults || noDefaults, this.uncorrelatableAt != null ? this.uncorrelatableAt : uncorrelatableAt,
          saturatingMultiply(cardinality, times));
    }
  }

  private static final class Walk {
    final String where;
    final List<String> problems = new ArrayList<>();
    long totalCost;

    Walk(String where) {
      this.where = where;
    }

    void problem(String path, String message) {
      problems.add(where + " at " + (path.isEmpty() ? "<root>" : path) + ": " + message);
    }

    void rootMetadata(JSONSchemaProps metadata) {
      Set<String> allowed = Set.of("name", "generateName");
      if (metadata.getProperties() != null) {
        for (String name : metadata.getProperties().keySet()) {
          if (!allowed.contains(name)) {
            problem(".metadata", "only metadata.name and metadata.generateName may be restricted, not metadata." + name);
          }
        }
      }
      if (metadata.getType() != null && !"object".equals(metadata.getType())) {
        problem(".metadata", "metadata must be of type object");
      }
      if ((metadata.getRequired() != null && !metadata.getRequired().isEmpty()) || metadata.getAdditionalProperties() != null
          || (metadata.getXKubernetesValidations() != null && !metadata.getXKubernetesValidations().isEmpty())) {
        problem(".metadata", "only metadata.name and metadata.generateName may be restricted");
      }
    }

    void node(JSONSchemaProps s, String path, Context ctx) {
      structural(s, path, ctx);
      if (s.getDefault() != null && !ctx.root()) {
        if (ctx.noDefaults()) {
          problem(path, "default is forbidden in the root's metadata, apiVersion and kind");
        } else {
          for (String error : defaultErrors(JSON.convertValue(s.getDefault(), Object.class), s, "")) {
            problem(path, "default " + s.getDefault() + " is not valid by its own schema: " + error);
          }
        }
      }
      rules(s, path, ctx);

      boolean atomicMap = "atomic".equals(s.getXKubernetesMapType());
      if (s.getProperties() != null) {
        for (Map.Entry<String, JSONSchemaProps> e : new LinkedHashMap<>(s.getProperties()).entrySet()) {
          boolean meta = ctx.root() && Set.of("metadata", "apiVersion", "kind").contains(e.getKey());
          node(e.getValue(), path + "." + e.getKey(), ctx.child(meta, atomicMap ? pathOrRoot(path) : null, 1));
        }
      }
      if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
        JSONSchemaProps value = s.getAdditionalProperties().getSchema();
        node(value, path + "{}", ctx.child(false, null, mapEntries(s)));
      }
      if (s.getItems() != null && s.getItems().getSchema() != null) {
        boolean correlatable = "map".equals(s.getXKubernetesListType());
        node(s.getItems().getSchema(), path + "[]", ctx.child(false, correlatable ? null : pathOrRoot(path), listItems(s)));
      }
      for (String junctor : List.of("allOf", "anyOf", "oneOf")) {
        List<JSONSchemaProps> subs = switch (junctor) {
          case "allOf" -> s.getAllOf();
          case "anyOf" -> s.getAnyOf();
          default -> s.getOneOf();
        };
        if (subs != null) {
          subs.forEach(sub -> junctorNode(sub, path, junctor, Boolean.TRUE.equals(s.getXKubernetesIntOrString())));
        }
      }
      if (s.getNot() != null) {
        junctorNode(s.getNot(), path, "not", false);
      }
    }

    private static String pathOrRoot(String path) {
      return path.isEmpty() ? "<root>" : path;
    }

    void structural(JSONSchemaProps s, String path, Context ctx) {
      boolean intOrString = Boolean.TRUE.equals(s.getXKubernetesIntOrString());
      boolean preserve = Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields());
      String type = s.getType();
      if ((type == null || type.isEmpty()) && !intOrString && !preserve) {
        problem(path, "no type (a structural schema needs one unless x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is true)");
      } else if (type != null && !type.isEmpty() && !TYPES.contains(type)) {
        problem(path, "type " + type + " is not one of " + TYPES);
      }
      boolean additional = s.getAdditionalProperties() != null
          && (s.getAdditionalProperties().getSchema() != null || Boolean.FALSE.equals(s.getAdditionalProperties().getAllows()));
      if (additional && s.getProperties() != null && !s.getProperties().isEmpty()) {
        problem(path, "properties and additionalProperties are mutually exclusive");
      }
      if ("array".equals(type) && (s.getItems() == null || s.getItems().getSchema() == null)) {
        problem(path, "an array needs an items schema");
      }
      if (s.getItems() != null && s.getItems().getJSONSchemas() != null && !s.getItems().getJSONSchemas().isEmpty()) {
        problem(path, "items must be one schema, not a list");
      }
      if (s.get$ref() != null) {
        problem(path, "$ref is not supported");
      }
      if (s.getDefinitions() != null && !s.getDefinitions().isEmpty()) {
        problem(path, "definitions is not supported");
      }
      if (s.getDependencies() != null && !s.getDependencies().isEmpty()) {
        problem(path, "dependencies is not supported");
      }
      if (s.getId() != null && !s.getId().isEmpty()) {
        problem(path, "id is not supported");
      }
      if (s.getPatternProperties() != null && !s.getPatternProperties().isEmpty()) {
        problem(path, "patternProperties is not supported");
      }
      if (s.getAdditionalItems() != null) {
        problem(path, "additionalItems is not supported");
      }
      if (Boolean.TRUE.equals(s.getUniqueItems())) {
        problem(path, "uniqueItems cannot be true (the API server forbids it: quadratic)");
      }
      if (Boolean.FALSE.equals(s.getXKubernetesPreserveUnknownFields())) {
        problem(path, "x-kubernetes-preserve-unknown-fields must be true or absent");
      }
      if (s.getPattern() != null) {
        try {
          Pattern.compile(s.getPattern());
        } catch (PatternSyntaxException e) {
          problem(path, "pattern does not compile as RE2: " + e.getMessage());
        }
      }
      String mapType = s.getXKubernetesMapType();
      if (mapType != null && (!"object".equals(type) || !Set.of("atomic", "granular").contains(mapType))) {
        problem(path, "x-kubernetes-map-type must be atomic or granular, on an object");
      }
      String listType = s.getXKubernetesListType();
      List<String> keys = s.getXKubernetesListMapKeys() == null ? List.of() : s.getXKubernetesListMapKeys();
      if (listType != null && (!"array".equals(type) || !Set.of("atomic", "set", "map").contains(listType))) {
        problem(path, "x-kubernetes-list-type must be atomic, set or map, on an array");
      }
      if (!keys.isEmpty() && !"map".equals(listType)) {
        problem(path, "x-kubernetes-list-map-keys needs x-kubernetes-list-type map");
      }
      if ("map".equals(listType)) {
        JSONSchemaProps item = s.getItems() == null ? null : s.getItems().getSchema();
        if (keys.isEmpty()) {
          problem(path, "x-kubernetes-list-type map needs x-kubernetes-list-map-keys");
        }
        if (item == null || !"object".equals(item.getType())) {
          problem(path, "the items of an x-kubernetes-list-type map must be objects");
        } else {
          List<String> required = item.getRequired() == null ? List.of() : item.getRequired();
          for (String key : keys) {
            JSONSchemaProps k = item.getProperties() == null ? null : item.getProperties().get(key);
            if (k == null) {
              problem(path, "list map key " + key + " is not a property of the items");
            } else {
              if (Set.of("array", "object").contains(k.getType())) {
                problem(path, "list map key " + key + " must be a scalar");
              }
              if (!required.contains(key) && k.getDefault() == null) {
                problem(path, "list map key " + key + " must be required or have a default");
              }
              if (Boolean.TRUE.equals(k.getNullable())) {
                problem(path, "list map key " + key + " cannot be nullable");
              }
            }
          }
        }
      }
      if (("map".equals(listType) || "set".equals(listType)) && s.getItems() != null && s.getItems().getSchema() != null
          && Boolean.TRUE.equals(s.getItems().getSchema().getNullable())) {
        problem(path, "the items of an x-kubernetes-list-type " + listType + " cannot be nullable");
      }
    }

    /** Inside allOf/anyOf/oneOf/not: no type (except anyOf/allOf of integer and string under int-or-string), default, ... */
    void junctorNode(JSONSchemaProps s, String path, String junctor, boolean intOrString) {
      boolean intOrStringPattern = intOrString && Set.of("string", "integer").contains(s.getType());
      if ((s.getType() != null && !intOrStringPattern) || s.getDefault() != null || s.getAdditionalProperties() != null
          || s.getNullable() != null || s.getDescription() != null) {
        problem(path, junctor + " may not set type, default, additionalProperties, nullable or description");
      }
    }

    void rules(JSONSchemaProps s, String path, Context ctx) {
      List<ValidationRule> rules = s.getXKubernetesValidations();
      if (rules == null || rules.isEmpty()) {
        return;
      }
      JSONSchemaProps selfSchema = ctx.root() ? withObjectMeta(s) : s;
      for (int i = 0; i < rules.size(); i++) {
        ValidationRule r = rules.get(i);
        String at = pathOrRoot(path) + " x-kubernetes-validations[" + i + "]";
        String rule = r.getRule() == null ? "" : r.getRule();
        if (rule.isBlank()) {
          problem(at, "rule is empty");
          continue;
        }
        if (r.getReason() != null && !REASONS.contains(r.getReason())) {
          problem(at, "reason " + r.getReason() + " is not one of " + REASONS);
        }
        if (r.getMessage() != null && (r.getMessage().isBlank() || r.getMessage().strip().matches("(?s).*[\\r\\n].*"))) {
          problem(at, "message must be non-empty and have no line breaks");
        }
        if (rule.strip().matches("(?s).*[\\r\\n].*") && (r.getMessage() == null || r.getMessage().isBlank())) {
          problem(at, "a rule with line breaks needs a message");
        }
        if (r.getMessageExpression() != null && r.getMessageExpression().isBlank()) {
          problem(at, "messageExpression must be non-empty if set");
        }
        if (r.getFieldPath() != null) {
          String error = fieldPathError(r.getFieldPath(), s);
          if (error != null) {
            problem(at, "fieldPath " + r.getFieldPath() + ": " + error);
          }
        }
        boolean optionalOldSelf = Boolean.TRUE.equals(r.getOptionalOldSelf());
        Compiled compiled = compile(rule, selfSchema, optionalOldSelf);
        if (compiled.error != null) {
          problem(at, "rule does not compile: " + rule + "\n" + compiled.error);
        } else {
          if (!compiled.ast.getResultType().equals(SimpleType.BOOL)) {
            problem(at, "rule has type " + compiled.ast.getResultType().name() + ", not bool: " + rule);
          }
          boolean usesOldSelf = usesIdent(compiled.ast.getExpr(), "oldSelf");
          if (usesOldSelf && ctx.uncorrelatableAt() != null) {
            problem(at, "oldSelf cannot be used here: old and new values cannot be correlated below " + ctx.uncorrelatableAt()
                + " (a list that is not x-kubernetes-list-type map, or an atomic map)");
          }
          if (!usesOldSelf && r.getOptionalOldSelf() != null) {
            problem(at, "optionalOldSelf may only be set on a rule that uses oldSelf");
          }
          cost(at, "rule", compiled.ast, selfSchema, ctx.cardinality());
        }
        if (r.getMessageExpression() != null && !r.getMessageExpression().isBlank()) {
          Compiled message = compile(r.getMessageExpression(), selfSchema, optionalOldSelf);
          if (message.error != null) {
            problem(at, "messageExpression does not compile: " + r.getMessageExpression() + "\n" + message.error);
          } else {
            if (!message.ast.getResultType().equals(SimpleType.STRING)) {
              problem(at, "messageExpression has type " + message.ast.getResultType().name() + ", not string");
            }
            if (usesIdent(message.ast.getExpr(), "oldSelf")) {
              problem(at, "messageExpression uses oldSelf; this project allows oldSelf only in rules");
            }
            cost(at, "messageExpression", message.ast, selfSchema, ctx.cardinality());
          }
        }
      }
    }

    void cost(String at, String what, CelAbstractSyntaxTree ast, JSONSchemaProps self, long cardinality) {
      long cost = saturatingMultiply(estimateCost(ast, self), cardinality);
      totalCost = saturatingAdd(totalCost, cost);
      if (cost > STATIC_ESTIMATED_COST_LIMIT) {
        problem(at, "estimated " + what + " cost " + cost + " (per evaluation times at most " + cardinality
            + " evaluations) exceeds StaticEstimatedCostLimit " + STATIC_ESTIMATED_COST_LIMIT
            + ": add maxItems, maxProperties or maxLength to what the rule iterates or scans");
      }
    }
  }

  // --- fieldPath

  /**
   * Why a rule's fieldPath is not a path to an existing field below the rule's schema node, or null
   * when it is. Accepted like the API server's ValidFieldPath: ".name" and "['name']" steps into
   * properties (or into additionalProperties), no numeric list indexes.
   */
  static String fieldPathError(String fieldPath, JSONSchemaProps schema) {
    if (fieldPath.isBlank() || fieldPath.matches("(?s).*[\\r\\n].*")) {
      return "must be non-empty, without line breaks";
    }
    Matcher m = java.util.regex.Pattern.compile("\\G(?:\\.([A-Za-z_$][A-Za-z0-9_$-]*)|\\['((?:[^'\\\\]|\\\\.)*)'\\])").matcher(fieldPath);
    JSONSchemaProps at = schema;
    int end = 0;
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2).replace("\\'", "'");
      JSONSchemaProps next = at.getProperties() == null ? null : at.getProperties().get(name);
      if (next == null && at.getAdditionalProperties() != null) {
        next = at.getAdditionalProperties().getSchema();
      }
      if (next == null) {
        return "no field " + name + " in the schema there";
      }
      at = next;
      end = m.end();
    }
    if (end != fieldPath.length() || end == 0) {
      return "not a JSON path of .field or ['field'] steps (list indexes are not supported)";
    }
    return null;
  }

  // --- defaults

  /** Why a default value is not valid by its schema (type, enum, bounds, pattern), as far as checked. */
  static List<String> defaultErrors(Object value, JSONSchemaProps s, String path) {
    List<String> errors = new ArrayList<>();
    String type = s.getType() == null ? "" : s.getType();
    switch (type) {
      case "string" -> {
        if (!(value instanceof String str)) {
          errors.add(path + " is not a string");
          break;
        }
        if (s.getPattern() != null && !Pattern.compile(s.getPattern()).matcher(str).find()) {
          errors.add(path + " does not match the pattern");
        }
        if (s.getMaxLength() != null && str.length() > s.getMaxLength()) {
          errors.add(path + " is longer than maxLength");
        }
      }
      case "integer", "number" -> {
        if (!(value instanceof Number n) || ("integer".equals(type) && n.doubleValue() != Math.rint(n.doubleValue()))) {
          errors.add(path + " is not an " + type);
          break;
        }
        if (s.getMinimum() != null && n.doubleValue() < s.getMinimum()) {
          errors.add(path + " is below minimum");
        }
        if (s.getMaximum() != null && n.doubleValue() > s.getMaximum()) {
          errors.add(path + " is above maximum");
        }
      }
      case "boolean" -> {
        if (!(value instanceof Boolean)) {
          errors.add(path + " is not a boolean");
        }
      }
      case "array" -> {
        if (!(value instanceof List<?> list)) {
          errors.add(path + " is not an array");
          break;
        }
        if (s.getItems() != null && s.getItems().getSchema() != null) {
          for (int i = 0; i < list.size(); i++) {
            errors.addAll(defaultErrors(list.get(i), s.getItems().getSchema(), path + "[" + i + "]"));
          }
        }
      }
      case "object" -> {
        if (!(value instanceof Map<?, ?> map)) {
          errors.add(path + " is not an object");
          break;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
          JSONSchemaProps p = s.getProperties() == null ? null : s.getProperties().get(String.valueOf(e.getKey()));
          if (p == null && s.getAdditionalProperties() != null) {
            p = s.getAdditionalProperties().getSchema();
          }
          if (p == null) {
            if (!Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields())) {
              errors.add(path + "." + e.getKey() + " is not in the schema (it would be pruned)");
            }
          } else {
            errors.addAll(defaultErrors(e.getValue(), p, path + "." + e.getKey()));
          }
        }
      }
      default -> { }
    }
    if (s.getEnum() != null && !s.getEnum().isEmpty()) {
      boolean found = s.getEnum().stream().anyMatch(e -> String.valueOf(jsonValue(e)).equals(String.valueOf(value)));
      if (!found) {
        errors.add(path + " is not one of the enum");
      }
    }
    return errors;
  }

  private static Object jsonValue(Object enumValue) {
    return JSON.convertValue(enumValue, Object.class);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  // --- CEL: compiling with self typed from the schema

  record Compiled(CelAbstractSyntaxTree ast, String error) {}

  /**
   * Compiles an expression with self (and oldSelf, optional when optionalOldSelf) of the type the API
   * server derives from the schema node: objects with properties are structs with exactly those
   * fields, additionalProperties maps of string to the value type, arrays lists, strings string
   * (bytes, duration, timestamp for formats byte, duration, date/date-time), integer int, number
   * double, boolean bool; int-or-string, and a node without a type that preserves unknown fields,
   * dyn. (An object that preserves unknown fields is a struct of its declared properties only: the
   * unknown fields are not accessible to rules, as the Kubernetes CEL reference says.)
   */
  static Compiled compile(String expression, JSONSchemaProps self, boolean optionalOldSelf) {
    Types types = new Types();
    CelType selfType = types.of(self, "self");
    CelCompiler compiler = KubeCel.compilerBuilder()
        .setTypeProvider(types)
        .addVar("self", selfType)
        .addVar("oldSelf", optionalOldSelf ? OptionalType.create(selfType) : selfType)
        .build();
    CelValidationResult result = compiler.compile(expression);
    if (result.hasError()) {
      return new Compiled(null, result.getErrorString());
    }
    try {
      return new Compiled(result.getAst(), null);
    } catch (Exception e) {
      return new Compiled(null, e.toString());
    }
  }

  /** A root schema with what the API server adds for rules at the root: apiVersion, kind, metadata.name and generateName. */
  static JSONSchemaProps withObjectMeta(JSONSchemaProps root) {
    JSONSchemaProps string = new JSONSchemaPropsBuilder().withType("string").build();
    JSONSchemaProps metadata = new JSONSchemaPropsBuilder().withType("object")
        .addToProperties("name", string).addToProperties("generateName", string).build();
    return new JSONSchemaPropsBuilder(root)
        .addToProperties("apiVersion", string).addToProperties("kind", string).addToProperties("metadata", metadata).build();
  }

  private static final class Types implements CelTypeProvider {
    private final Map<String, CelType> structs = new HashMap<>();

    CelType of(JSONSchemaProps s, String name) {
      if (Boolean.TRUE.equals(s.getXKubernetesIntOrString())) {
        return SimpleType.DYN;
      }
      String type = s.getType() == null ? "" : s.getType();
      return switch (type) {
        case "string" -> switch (s.getFormat() == null ? "" : s.getFormat()) {
          case "byte" -> SimpleType.BYTES;
          case "duration" -> SimpleType.DURATION;
          case "date", "date-time" -> SimpleType.TIMESTAMP;
          default -> SimpleType.STRING;
        };
        case "integer" -> SimpleType.INT;
        case "number" -> SimpleType.DOUBLE;
        case "boolean" -> SimpleType.BOOL;
        case "array" -> s.getItems() == null || s.getItems().getSchema() == null ? ListType.create(SimpleType.DYN)
            : ListType.create(of(s.getItems().getSchema(), name + ".@items"));
        case "object" -> {
          if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
            yield MapType.create(SimpleType.STRING, of(s.getAdditionalProperties().getSchema(), name + ".@values"));
          }
          Map<String, CelType> fields = new LinkedHashMap<>();
          if (s.getProperties() != null) {
            s.getProperties().forEach((field, schema) -> fields.put(field, of(schema, name + "." + field)));
          }
          String structName = "wgmesh.schema." + name.replaceAll("[^A-Za-z0-9_.]", "_");
          StructType struct = StructType.create(structName, ImmutableSet.copyOf(fields.keySet()), f -> Optional.ofNullable(fields.get(f)));
          structs.put(structName, struct);
          yield struct;
        }
        default -> SimpleType.DYN;
      };
    }

    @Override
    public ImmutableList<CelType> types() {
      return ImmutableList.copyOf(structs.values());
    }

    @Override
    public Optional<CelType> findType(String typeName) {
      return Optional.ofNullable(structs.get(typeName));
    }
  }

  /** The names of the functions an expression calls (operators included, e.g. _==_). */
  static Set<String> functions(CelExpr e) {
    Set<String> into = new java.util.TreeSet<>();
    collectFunctions(e, into);
    return into;
  }

  private static void collectFunctions(CelExpr e, Set<String> into) {
    switch (e.getKind()) {
      case SELECT -> collectFunctions(e.select().operand(), into);
      case CALL -> {
        into.add(e.call().function());
        e.call().target().ifPresent(t -> collectFunctions(t, into));
        e.call().args().forEach(a -> collectFunctions(a, into));
      }
      case LIST -> e.list().elements().forEach(a -> collectFunctions(a, into));
      case MAP -> e.map().entries().forEach(en -> {
        collectFunctions(en.key(), into);
        collectFunctions(en.value(), into);
      });
      case STRUCT -> e.struct().entries().forEach(en -> collectFunctions(en.value(), into));
      case COMPREHENSION -> {
        CelExpr.CelComprehension c = e.comprehension();
        for (CelExpr part : List.of(c.iterRange(), c.accuInit(), c.loopCondition(), c.loopStep(), c.result())) {
          collectFunctions(part, into);
        }
      }
      default -> { }
    }
  }

  static boolean usesIdent(CelExpr e, String name) {
    return switch (e.getKind()) {
      case IDENT -> e.ident().name().equals(name);
      case SELECT -> usesIdent(e.select().operand(), name);
      case CALL -> (e.call().target().isPresent() && usesIdent(e.call().target().get(), name))
          || e.call().args().stream().anyMatch(a -> usesIdent(a, name));
      case LIST -> e.list().elements().stream().anyMatch(a -> usesIdent(a, name));
      case MAP -> e.map().entries().stream().anyMatch(en -> usesIdent(en.key(), name) || usesIdent(en.value(), name));
      case STRUCT -> e.struct().entries().stream().anyMatch(en -> usesIdent(en.value(), name));
      case COMPREHENSION -> usesIdent(e.comprehension().iterRange(), name) || usesIdent(e.comprehension().accuInit(), name)
          || usesIdent(e.comprehension().loopCondition(), name) || usesIdent(e.comprehension().loopStep(), name)
          || usesIdent(e.comprehension().result(), name);
      default -> false;
    };
  }

  // --- the cost estimate

  /**
   * A conservative estimate of the worst-case cost of one evaluation of a checked expression whose
   * self is described by the given schema, in the units of cel-go's cost model that the API server
   * uses (about one unit per operation, a tenth of a unit per character a string function scans).
   *
   * <p>What it counts: 1 per variable, field selection, index and call; size() 1; for each string
   * a function scans (contains, startsWith, endsWith, the IP/CIDR/quantity/URL parsers, find,
   * lower/upperAscii, replace, split, ...) 0.1 per character of each string argument; matches,
   * find and findAll 0.1 per character of the string times 0.25 per character of the regex (as
   * cel-go); equality and ordering of strings 0.1 per character of the shorter one, of lists their
   * shorter length times the cost of comparing elements; "in" on a list its length times that;
   * concatenation 0.1 per character or 1 per item of both operands; list and map literals 10 and
   * 30 plus their elements; and for each comprehension (all, exists, exists_one, map, filter,
   * cel.bind) its range, its initial value and result plus, for every element of the range, its
   * loop condition and step.
   *
   * <p>Sizes come from the schema: maxLength, maxItems, maxProperties; without them a string is 3
   * MiB long (the request size limit) and a list or map has as many entries as fit in 3 MiB at
   * their smallest serialized size (e.g. 1 Mi strings "" plus commas), as the API server assumes.
   * A value whose size cannot be traced to the schema (the result of split, replace, map(), a
   * string returned by a function) is assumed as large as that limit. Every number saturates at
   * Long.MAX_VALUE.
   *
   * <p>Where it differs from the API server: it is stricter in charging both branches of && / ||
   * / ?: (cel-go takes the more expensive branch of a conditional), 1 per constant (cel-go 0),
   * both operands of contains and the like, and unknown sizes as the whole request; it is less
   * strict in not modelling every function of every extension library precisely (those not named
   * above count 1 plus 0.1 per character of their string arguments, which undercounts anything
   * superlinear, such as sets.intersects, charged as the product of both lists' lengths, and
   * string.format). The caller multiplies the result by how many times the rule can run (the
   * enclosing lists' and maps' worst-case lengths), as the API server does.
   */
  static long estimateCost(CelAbstractSyntaxTree ast, JSONSchemaProps self) {
    Estimator estimator = new Estimator(ast);
    Map<String, Shape> scope = new HashMap<>();
    scope.put("self", Shape.of(self));
    scope.put("oldSelf", Shape.of(self));
    return estimator.cost(ast.getExpr(), scope).cost;
  }

  enum Kind { STRING, LIST, MAP, OBJECT, OTHER }

  /** The worst-case size of a value (characters, items or entries), and the schema it comes from when known. */
  record Shape(Kind kind, long size, JSONSchemaProps schema, CelType type) {
    static Shape of(JSONSchemaProps s) {
      String type = s.getType() == null ? "" : s.getType();
      return switch (type) {
        case "string" -> new Shape(Kind.STRING, s.getMaxLength() != null ? s.getMaxLength() : MAX_REQUEST_BYTES, s, null);
        case "array" -> new Shape(Kind.LIST, listItems(s), s, null);
        case "object" -> s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null
            ? new Shape(Kind.MAP, mapEntries(s), s, null)
            : new Shape(Kind.OBJECT, 1, s, null);
        default -> Boolean.TRUE.equals(s.getXKubernetesIntOrString()) ? new Shape(Kind.STRING, MAX_REQUEST_BYTES, null, null)
            : Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields()) ? unknown(SimpleType.DYN)
            : new Shape(Kind.OTHER, 1, s, null);
      };
    }

    /** As large as the request allows, for a value of this CEL type. */
    static Shape unknown(CelType t) {
      if (t == null) {
        return new Shape(Kind.OTHER, 1, null, null);
      }
      if (t.kind() == CelKind.STRING || t.kind() == CelKind.BYTES) {
        return new Shape(Kind.STRING, MAX_REQUEST_BYTES, null, t);
      }
      if (t instanceof ListType) {
        return new Shape(Kind.LIST, MAX_REQUEST_BYTES / 2, null, t);
      }
      if (t instanceof MapType) {
        return new Shape(Kind.MAP, MAX_REQUEST_BYTES / 4, null, t);
      }
      if (t.kind() == CelKind.DYN || t.kind() == CelKind.ANY) {
        // could be a string, a list or a map as large as the request
        return new Shape(Kind.STRING, MAX_REQUEST_BYTES, null, t);
      }
      return new Shape(Kind.OTHER, 1, null, t);
    }

    /** What a comprehension's variable is bound to for each element: list items, map keys. */
    Shape element() {
      if (schema != null && kind == Kind.LIST) {
        return of(schema.getItems().getSchema());
      }
      if (kind == Kind.MAP) {
        return new Shape(Kind.STRING, MAX_REQUEST_BYTES, null, SimpleType.STRING);
      }
      if (type instanceof ListType l) {
        return unknown(l.elemType());
      }
      return unknown(SimpleType.DYN);
    }

    /** The value of an index (list[i], map[key]) or, for maps, of a field selection. */
    Shape value() {
      if (schema != null && kind == Kind.LIST) {
        return of(schema.getItems().getSchema());
      }
      if (schema != null && kind == Kind.MAP) {
        return of(schema.getAdditionalProperties().getSchema());
      }
      if (type instanceof ListType l) {
        return unknown(l.elemType());
      }
      if (type instanceof MapType m) {
        return unknown(m.valueType());
      }
      return unknown(SimpleType.DYN);
    }
  }

  private record Cost(long cost, Shape shape) {}

  private static final Set<String> REGEX_FUNCTIONS = Set.of("matches", "find", "findAll");
  private static final Set<String> COMPARISONS = Set.of("_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_");
  private static final Set<String> LOGIC = Set.of("_&&_", "_||_", "!_", "_?_:_", "@not_strictly_false");
  private static final Set<String> LIST_SCANS = Set.of("isSorted", "sum", "min", "max", "indexOf", "lastIndexOf", "join",
      "sets.contains", "sets.equivalent", "sets.intersects");

  private static final class Estimator {
    private final CelAbstractSyntaxTree ast;

    Estimator(CelAbstractSyntaxTree ast) {
      this.ast = ast;
    }

    private Shape typed(CelExpr e) {
      return Shape.unknown(ast.getType(e.id()).orElse(SimpleType.DYN));
    }

    Cost cost(CelExpr e, Map<String, Shape> scope) {
      switch (e.getKind()) {
        case CONSTANT -> {
          CelConstant c = e.constant();
          boolean string = c.getKind() == CelConstant.Kind.STRING_VALUE;
          long size = string ? c.stringValue().length() : 1;
          Kind kind = string ? Kind.STRING : Kind.OTHER;
          return new Cost(1, new Shape(kind, size, null, null));
        }
        case IDENT -> {
          Shape known = scope.get(e.ident().name());
          return new Cost(1, known != null ? known : typed(e));
        }
        case SELECT -> {
          Cost operand = cost(e.select().operand(), scope);
          Shape on = operand.shape;
          Shape result;
          JSONSchemaProps field = on.schema() != null && on.schema().getProperties() != null
              ? on.schema().getProperties().get(e.select().field()) : null;
          if (field != null) {
            result = Shape.of(field);
          } else if (on.kind() == Kind.MAP) {
            result = on.value();
          } else {
            result = typed(e);
          }
          return new Cost(saturatingAdd(operand.cost, 1), e.select().testOnly() ? new Shape(Kind.OTHER, 1, null, null) : result);
        }
        case LIST -> {
          long cost = 10;
          for (CelExpr element : e.list().elements()) {
            cost = saturatingAdd(cost, cost(element, scope).cost);
          }
          return new Cost(cost, new Shape(Kind.LIST, e.list().elements().size(), null, ast.getType(e.id()).orElse(null)));
        }
        case MAP -> {
          long cost = 30;
          for (var entry : e.map().entries()) {
            cost = saturatingAdd(cost, saturatingAdd(cost(entry.key(), scope).cost, cost(entry.value(), scope).cost));
          }
          return new Cost(cost, new Shape(Kind.MAP, e.map().entries().size(), null, ast.getType(e.id()).orElse(null)));
        }
        case STRUCT -> {
          long cost = 40;
          for (var entry : e.struct().entries()) {
            cost = saturatingAdd(cost, cost(entry.value(), scope).cost);
          }
          return new Cost(cost, typed(e));
        }
        case COMPREHENSION -> {
          return comprehension(e, scope);
        }
        case CALL -> {
          return call(e, scope);
        }
        default -> {
          return new Cost(1, typed(e));
        }
      }
    }

    private Cost comprehension(CelExpr e, Map<String, Shape> scope) {
      CelExpr.CelComprehension c = e.comprehension();
      Cost range = cost(c.iterRange(), scope);
      Cost init = cost(c.accuInit(), scope);
      long n = range.shape.kind() == Kind.LIST || range.shape.kind() == Kind.MAP ? range.shape.size() : MAX_REQUEST_BYTES;
      Map<String, Shape> inner = new HashMap<>(scope);
      inner.put(c.iterVar(), range.shape.element());
      if (c.iterVar2() != null && !c.iterVar2().isEmpty()) {
        inner.put(c.iterVar2(), range.shape.value());
      }
      Shape accu = init.shape;
      if (c.accuInit().getKind() == CelExpr.ExprKind.Kind.LIST && c.accuInit().list().elements().isEmpty()) {
        // map() and filter() build a list of up to one element per iteration
        accu = new Shape(Kind.LIST, n, null, ast.getType(c.accuInit().id()).orElse(ast.getType(e.id()).orElse(null)));
      }
      inner.put(c.accuVar(), accu);
      long perElement = saturatingAdd(cost(c.loopCondition(), inner).cost, cost(c.loopStep(), inner).cost);
      Cost result = cost(c.result(), inner);
      long cost = saturatingAdd(saturatingAdd(range.cost, init.cost), saturatingAdd(saturatingMultiply(n, perElement), result.cost));
      return new Cost(cost, result.shape);
    }

    private Cost call(CelExpr e, Map<String, Shape> scope) {
      CelExpr.CelCall call = e.call();
      String f = call.function();
      List<Cost> args = new ArrayList<>();
      call.target().ifPresent(t -> args.add(cost(t, scope)));
      call.args().forEach(a -> args.add(cost(a, scope)));
      long cost = 0;
      for (Cost a : args) {
        cost = saturatingAdd(cost, a.cost);
      }
      if (LOGIC.contains(f)) {
        return new Cost(cost, typed(e));
      }
      if (f.equals("size")) {
        return new Cost(saturatingAdd(cost, 1), new Shape(Kind.OTHER, 1, null, null));
      }
      if (f.equals("_[_]") && args.size() == 2) {
        return new Cost(saturatingAdd(cost, 1), args.get(0).shape.value());
      }
      if (COMPARISONS.contains(f) && args.size() == 2) {
        return new Cost(saturatingAdd(cost, saturatingAdd(1, compare(args.get(0).shape, args.get(1).shape))), new Shape(Kind.OTHER, 1, null, null));
      }
      if (f.equals("@in") && args.size() == 2) {
        Shape container = args.get(1).shape;
        long scan = container.kind() == Kind.LIST
            ? saturatingMultiply(container.size(), saturatingAdd(1, compare(args.get(0).shape, container.element()))) : 1;
        return new Cost(saturatingAdd(cost, scan), new Shape(Kind.OTHER, 1, null, null));
      }
      if (f.equals("_+_") && args.size() == 2) {
        Shape a = args.get(0).shape;
        Shape b = args.get(1).shape;
        if (a.kind() == Kind.STRING || b.kind() == Kind.STRING) {
          long size = saturatingAdd(a.size(), b.size());
          return new Cost(saturatingAdd(cost, tenth(size)), new Shape(Kind.STRING, size, null, SimpleType.STRING));
        }
        if (a.kind() == Kind.LIST || b.kind() == Kind.LIST) {
          long size = saturatingAdd(a.size(), b.size());
          return new Cost(saturatingAdd(cost, size), new Shape(Kind.LIST, size, null, ast.getType(e.id()).orElse(null)));
        }
        return new Cost(saturatingAdd(cost, 1), typed(e));
      }
      if (REGEX_FUNCTIONS.contains(f) && args.size() >= 2) {
        long scan = saturatingMultiply(tenth(args.get(0).shape.size()), quarter(args.get(1).shape.size()));
        return new Cost(saturatingAdd(cost, saturatingAdd(1, scan)), typed(e));
      }
      if (LIST_SCANS.contains(f)) {
        long scan = 1;
        for (Cost a : args) {
          if (a.shape.kind() == Kind.LIST) {
            long elementCost = a.shape.element().kind() == Kind.STRING ? saturatingAdd(1, tenth(a.shape.element().size())) : 1;
            scan = saturatingMultiply(scan, saturatingMultiply(a.shape.size(), elementCost));
          }
        }
        return new Cost(saturatingAdd(cost, scan), typed(e));
      }
      // any other function: 1, plus a scan of every string argument
      long scanned = 0;
      for (Cost a : args) {
        if (a.shape.kind() == Kind.STRING) {
          scanned = saturatingAdd(scanned, a.shape.size());
        }
      }
      return new Cost(saturatingAdd(cost, saturatingAdd(1, tenth(scanned))), typed(e));
    }

    /** The cost of comparing two values: strings by their shorter length, lists item by item. */
    private long compare(Shape a, Shape b) {
      if (a.kind() == Kind.STRING && b.kind() == Kind.STRING) {
        return tenth(Math.min(a.size(), b.size()));
      }
      if (a.kind() == Kind.STRING || b.kind() == Kind.STRING) {
        return tenth(a.kind() == Kind.STRING ? a.size() : b.size());
      }
      if ((a.kind() == Kind.LIST || a.kind() == Kind.MAP) && (b.kind() == Kind.LIST || b.kind() == Kind.MAP)) {
        return saturatingMultiply(Math.min(a.size(), b.size()), saturatingAdd(1, compare(a.value(), b.value())));
      }
      if (a.kind() == Kind.LIST || a.kind() == Kind.MAP || b.kind() == Kind.LIST || b.kind() == Kind.MAP) {
        Shape big = a.kind() == Kind.LIST || a.kind() == Kind.MAP ? a : b;
        return saturatingMultiply(big.size(), saturatingAdd(1, compare(big.value(), big.value())));
      }
      if (a.kind() == Kind.OBJECT && a.schema() != null && a.schema().getProperties() != null) {
        long sum = 0;
        for (JSONSchemaProps p : a.schema().getProperties().values()) {
          sum = saturatingAdd(sum, saturatingAdd(1, compare(Shape.of(p), Shape.of(p))));
        }
        return sum;
      }
      return 1;
    }
  }

  private static long tenth(long n) {
    return n / 10 + (n % 10 == 0 ? 0 : 1);
  }

  private static long quarter(long n) {
    return n / 4 + (n % 4 == 0 ? 0 : 1);
  }

  // --- worst-case sizes

  /** A list's worst-case length: maxItems, or as many of its smallest items as fit into a request. */
  static long listItems(JSONSchemaProps array) {
    if (array.getMaxItems() != null) {
      return array.getMaxItems();
    }
    JSONSchemaProps items = array.getItems() == null ? null : array.getItems().getSchema();
    return MAX_REQUEST_BYTES / (minSerializedSize(items) + 1);
  }

  /** A map's worst-case number of entries: maxProperties, or as many smallest entries ("":v,) as fit into a request. */
  static long mapEntries(JSONSchemaProps object) {
    if (object.getMaxProperties() != null) {
      return object.getMaxProperties();
    }
    JSONSchemaProps value = object.getAdditionalProperties() == null ? null : object.getAdditionalProperties().getSchema();
    return MAX_REQUEST_BYTES / (minSerializedSize(value) + 4);
  }

  /** The fewest JSON bytes a value of this schema takes: "" 2, 0 1, true 4, {} and [] 2. */
  static long minSerializedSize(JSONSchemaProps s) {
    if (s == null || s.getType() == null) {
      return 1;
    }
    return switch (s.getType()) {
      case "string", "object", "array" -> 2;
      case "boolean" -> 4;
      default -> 1;
    };
  }

  static long saturatingAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  static long saturatingMultiply(long a, long b) {
    if (a == 0 || b == 0) {
      return 0;
    }
    return a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
  }
}
