package dev.wgmesh.testapiserver.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.types.SimpleType;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated CRDs pass what kube-apiserver checks when a CRD is created (see
 * {@link ApiServerCrdRules}), and the checker finds what it should: without this, a CRD the
 * Java types generate can be refused by a real API server (as "FieldValueTooLong" was).
 */
class CrdApiServerRulesTest {

  @ParameterizedTest
  @ValueSource(strings = {Crds.MESHES, Crds.PEERS, Crds.NODE_CONFIGS, Crds.PEER_SETS})
  void generatedCrdPassesTheApiServersChecks(String file) {
    CustomResourceDefinition crd = Crds.generated(file);
    List<String> problems = ApiServerCrdRules.problems(crd);
    assertEquals(List.of(), problems, "kube-apiserver would refuse " + file + ":\n  " + String.join("\n  ", problems));
  }

  @Test
  void everyRuleIsCompiledWithSelfTypedFromTheSchema() {
    int rules = 0;
    for (String file : Crds.FILES) {
      rules += countRules(Crds.rootSchema(Crds.generated(file)));
    }
    assertEquals(13, rules, "the checker saw every rule of the CRDs (update this count with the rules)");
    JSONSchemaProps spec = Crds.at(Crds.generated(Crds.MESHES), "spec");
    assertNull(ApiServerCrdRules.compile("self.registry.address != ''", spec, false).error());
    String error = ApiServerCrdRules.compile("self.registry.adress != ''", spec, false).error();
    assertNotNull(error, "a field that is not in the schema does not compile");
    assertTrue(error.contains("adress"), error);
    assertEquals(SimpleType.STRING, ApiServerCrdRules.compile("self.network", spec, false).ast().getResultType());
  }

  /**
   * The chart's kubeVersion is >=1.31: the rules may use what Kubernetes 1.31 has (the IP/CIDR
   * library is the newest, 1.31), not the format library (1.32; semver, 1.34, and two-variable
   * comprehensions, 1.33, are not in KubeCel at all).
   */
  @Test
  void rulesUseNothingNewerThanKubernetes131() {
    for (String file : Crds.FILES) {
      CustomResourceDefinition crd = Crds.generated(file);
      forEachRule(Crds.rootSchema(crd), true, (schema, rule) -> {
        ApiServerCrdRules.Compiled c = ApiServerCrdRules.compile(rule,
            schema == Crds.rootSchema(crd) ? ApiServerCrdRules.withObjectMeta(schema) : schema, false);
        assertNull(c.error(), rule);
        for (String f : ApiServerCrdRules.functions(c.ast().getExpr())) {
          assertTrue(!f.startsWith("format.") && !f.equals("validate"), file + ": " + rule + " uses " + f + " (Kubernetes 1.32)");
        }
      });
    }
  }

  private static void forEachRule(JSONSchemaProps s, boolean root, java.util.function.BiConsumer<JSONSchemaProps, String> action) {
    if (s.getXKubernetesValidations() != null) {
      s.getXKubernetesValidations().forEach(v -> action.accept(s, v.getRule()));
    }
    if (s.getProperties() != null) {
      s.getProperties().values().forEach(p -> forEachRule(p, false, action));
    }
    if (s.getItems() != null && s.getItems().getSchema() != null) {
      forEachRule(s.getItems().getSchema(), false, action);
    }
    if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
      forEachRule(s.getAdditionalProperties().getSchema(), false, action);
    }
  }

  private static int countRules(JSONSchemaProps s) {
    int n = s.getXKubernetesValidations() == null ? 0 : s.getXKubernetesValidations().size();
    if (s.getProperties() != null) {
      n += s.getProperties().values().stream().mapToInt(CrdApiServerRulesTest::countRules).sum();
    }
    if (s.getItems() != null && s.getItems().getSchema() != null) {
      n += countRules(s.getItems().getSchema());
    }
    if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
      n += countRules(s.getAdditionalProperties().getSchema());
    }
    return n;
  }

  // --- the CEL environment: Kubernetes' libraries with their signatures, nothing else

  @Test
  void kubernetesLibrariesCompile() {
    JSONSchemaProps s = schema("""
        type: object
        properties:
          ip: {type: string}
          net: {type: string}
          q: {type: string}
          u: {type: string}
          name: {type: string}
          ports: {type: array, items: {type: integer}}
        """);
    List<String> bad = new ArrayList<>();
    for (String rule : List.of(
        "isIP(self.ip) && ip(self.ip).family() == 4 && ip(self.ip).isLoopback() && ip(self.ip).isCanonical()",
        "ip(self.ip).isUnspecified() || ip(self.ip).isGlobalUnicast() || ip(self.ip).isLinkLocalUnicast() || ip(self.ip).isLinkLocalMulticast()",
        "isCIDR(self.net) && cidr(self.net).containsIP(self.ip) && cidr(self.net).containsIP(ip(self.ip))",
        "cidr(self.net).containsCIDR('10.0.0.0/24') && cidr(self.net).containsCIDR(cidr('10.0.0.0/24'))",
        "cidr(self.net).prefixLength() <= 24 && cidr(self.net).masked() == cidr(self.net) && cidr(self.net).ip().family() == 4",
        "string(cidr(self.net)) == self.net && string(ip(self.ip)) == self.ip && string(1) == '1'",
        "isQuantity(self.q) && quantity(self.q).isLessThan(quantity('1Gi')) && quantity(self.q).add(1).compareTo(quantity('2')) > 0",
        "quantity(self.q).sign() >= 0 && quantity(self.q).isInteger() && quantity(self.q).asInteger() > 0 && quantity(self.q).asApproximateFloat() > 0.0",
        "quantity(self.q).sub(quantity('1')).isGreaterThan(quantity('0'))",
        "self.name.find('[a-z]+') != '' && size(self.name.findAll('[a-z]')) < 3 && size(self.name.findAll('[a-z]', 2)) < 3",
        "self.ports.isSorted() && self.ports.sum() > 0 && self.ports.min() > 0 && self.ports.max() < 65536",
        "self.ports.indexOf(80) >= 0 || self.ports.lastIndexOf(443) >= 0",
        "isURL(self.u) && url(self.u).getScheme() == 'https' && url(self.u).getHost() != '' && url(self.u).getHostname() != ''",
        "url(self.u).getPort() == '' && url(self.u).getEscapedPath() == '/' && size(url(self.u).getQuery()) == 0",
        "!format.dns1123Label().validate(self.name).hasValue() && format.named('dns1123Subdomain').hasValue()",
        "self.name.lowerAscii().startsWith('a') && self.name.split('-').size() > 0 && self.name.indexOf('-') >= 0",
        "self.name.matches('^[a-z]+$') && sets.contains(self.ports, [80]) && cel.bind(n, self.name, n != '')",
        "base64.encode(bytes(self.name)) != '' && math.greatest(self.ports) > 0")) {
      ApiServerCrdRules.Compiled c = ApiServerCrdRules.compile(rule, s, false);
      if (c.error() != null) {
        bad.add(rule + "\n" + c.error());
      } else if (!c.ast().getResultType().equals(SimpleType.BOOL)) {
        bad.add(rule + ": " + c.ast().getResultType());
      }
    }
    assertEquals(List.of(), bad);
  }

  @Test
  void unknownFunctionsAndWrongSignaturesDoNotCompile() {
    JSONSchemaProps s = schema("{type: object, properties: {ip: {type: string}, n: {type: integer}}}");
    for (String rule : List.of("isIPAddress(self.ip)", "isIP(self.n)", "cidr(self.ip).containsIP(self.n)",
        "ip(self.ip).prefixLength() > 0", "self.ip.isSorted()", "oldSelf.nope == 1")) {
      assertNotNull(ApiServerCrdRules.compile(rule, s, false).error(), rule + " must not compile");
    }
  }

  // --- the checker finds problems: a hand-written fragment per kind of problem

  @Test
  void reportsWhatTheApiServerRefused() {
    List<String> problems = check("""
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string}
        x-kubernetes-validations:
        - rule: "size(self.metadata.name) <= 54"
          reason: FieldValueTooLong
        """);
    assertOne(problems, "<root> x-kubernetes-validations[0]: reason FieldValueTooLong is not one of");
  }

  @Test
  void reportsNonStructuralSchemas() {
    List<String> problems = check("""
        type: object
        properties:
          spec:
            type: object
            properties:
              anything: {description: no type}
              both:
                type: object
                properties: {a: {type: string}}
                additionalProperties: {type: string}
              list: {type: array}
              unique: {type: array, items: {type: string}, uniqueItems: true}
              ref: {type: object, $ref: "#/definitions/x"}
              keyed:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items: {type: object, properties: {name: {type: string}}}
              unkeyed: {type: array, x-kubernetes-list-type: map, items: {type: object, properties: {name: {type: string}}}}
              badDefault: {type: integer, minimum: 1, default: 0}
          metadata:
            type: object
            properties:
              labels: {type: object, additionalProperties: {type: string}}
        default: {}
        """);
    assertOne(problems, ".spec.anything: no type");
    assertOne(problems, ".spec.both: properties and additionalProperties are mutually exclusive");
    assertOne(problems, ".spec.list: an array needs an items schema");
    assertOne(problems, ".spec.unique: uniqueItems cannot be true");
    assertOne(problems, ".spec.ref: $ref is not supported");
    assertOne(problems, ".spec.keyed: list map key name must be required or have a default");
    assertOne(problems, ".spec.unkeyed: x-kubernetes-list-type map needs x-kubernetes-list-map-keys");
    assertOne(problems, ".spec.badDefault: default 0 is not valid by its own schema:  is below minimum");
    assertOne(problems, ".metadata: only metadata.name and metadata.generateName may be restricted, not metadata.labels");
    assertOne(problems, "<root>: default is forbidden at the root");
    assertOne(problems, "<root>: the status subresource is enabled but the schema has no status property");
  }

  @Test
  void reportsRulesThatDoNotCompileOrNameMissingFields() {
    List<String> problems = check("""
        type: object
        properties:
          status: {type: object}
          spec:
            type: object
            properties:
              address: {type: string}
              peers: {type: array, items: {type: object, properties: {key: {type: string}},
                x-kubernetes-validations: [{rule: "self.key == oldSelf.key", message: immutable}]}}
            x-kubernetes-validations:
            - rule: "isIPAddress(self.address)"
            - rule: "self.address"
            - rule: "has(self.address)"
              fieldPath: ".adress"
            - rule: "has(self.address)"
              messageExpression: "size(self.address)"
            - rule: "has(self.address)"
              messageExpression: "'was ' + oldSelf.address"
        """);
    assertOne(problems, ".spec x-kubernetes-validations[0]: rule does not compile: isIPAddress(self.address)");
    assertOne(problems, ".spec x-kubernetes-validations[1]: rule has type string, not bool");
    assertOne(problems, ".spec x-kubernetes-validations[2]: fieldPath .adress: no field adress");
    assertOne(problems, ".spec x-kubernetes-validations[3]: messageExpression has type int, not string");
    assertOne(problems, ".spec x-kubernetes-validations[4]: messageExpression uses oldSelf");
    assertOne(problems, ".spec.peers[] x-kubernetes-validations[0]: oldSelf cannot be used here");
  }

  @Test
  void reportsUnboundedIterations() {
    List<String> problems = check("""
        type: object
        properties:
          status: {type: object}
          spec:
            type: object
            properties:
              names: {type: array, items: {type: string}}
              bounded: {type: array, maxItems: 16, items: {type: string, maxLength: 63}}
            x-kubernetes-validations:
            - rule: "self.names.all(n, n.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$'))"
            - rule: "self.bounded.all(n, n.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$'))"
            - rule: "self.bounded.all(a, self.bounded.exists_one(b, a == b))"
        """);
    assertOne(problems, ".spec x-kubernetes-validations[0]: estimated rule cost");
    assertTrue(problems.stream().noneMatch(p -> p.contains("validations[1]") || p.contains("validations[2]")),
        "rules over bounded lists of bounded strings are cheap enough: " + problems);
  }

  @Test
  void costEstimates() {
    JSONSchemaProps names = schema("{type: array, items: {type: string}}");
    JSONSchemaProps bounded = schema("{type: array, maxItems: 16, items: {type: string, maxLength: 63}}");
    long unbounded = cost("self.all(n, n.startsWith('a'))", names);
    long small = cost("self.all(n, n.startsWith('a'))", bounded);
    assertTrue(unbounded > ApiServerCrdRules.STATIC_ESTIMATED_COST_LIMIT, "a scan of every string of an unbounded list: " + unbounded);
    assertTrue(small < 1_000, "16 strings of 63 characters: " + small);
    assertTrue(cost("self.all(a, self.all(b, a == b))", bounded) > 16 * 16, "nested iteration is quadratic");
    assertTrue(cost("size(self) < 3", names) < 10, "size() is constant");
    JSONSchemaProps string = schema("{type: string}");
    long scan = cost("self.contains('x')", string);
    assertTrue(scan >= ApiServerCrdRules.MAX_REQUEST_BYTES / 10, "an unbounded string is 3 MiB: " + scan);

    // a rule below an unbounded list runs once per item: the cardinality multiplies
    List<String> problems = check("""
        type: object
        properties:
          status: {type: object}
          spec:
            type: object
            properties:
              items:
                type: array
                items:
                  type: object
                  properties: {name: {type: string}}
                  x-kubernetes-validations: [{rule: "self.name.startsWith('a')"}]
        """);
    assertOne(problems, ".spec.items[] x-kubernetes-validations[0]: estimated rule cost");
  }

  @Test
  void fieldPaths() {
    JSONSchemaProps s = schema("""
        type: object
        properties:
          registry: {type: object, properties: {address: {type: string}}}
          labels: {type: object, additionalProperties: {type: string}}
          list: {type: array, items: {type: string}}
        """);
    assertNull(ApiServerCrdRules.fieldPathError(".registry.address", s));
    assertNull(ApiServerCrdRules.fieldPathError(".registry['address']", s));
    assertNull(ApiServerCrdRules.fieldPathError(".labels['app.kubernetes.io/name']", s));
    assertNull(ApiServerCrdRules.fieldPathError(".list", s));
    assertNotNull(ApiServerCrdRules.fieldPathError(".registry.adress", s));
    assertNotNull(ApiServerCrdRules.fieldPathError("registry.address", s));
    assertNotNull(ApiServerCrdRules.fieldPathError(".list[0]", s));
  }

  // --- helpers

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static JSONSchemaProps schema(String yaml) {
    try {
      return YAML.readValue(yaml, JSONSchemaProps.class);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> check(String rootYaml) {
    return ApiServerCrdRules.problems("test-crd v1", schema(rootYaml), true);
  }

  private static long cost(String rule, JSONSchemaProps self) {
    ApiServerCrdRules.Compiled c = ApiServerCrdRules.compile(rule, self, false);
    assertNull(c.error(), rule);
    return ApiServerCrdRules.estimateCost(c.ast(), self);
  }

  private static void assertOne(List<String> problems, String fragment) {
    long found = problems.stream().filter(p -> p.contains(fragment)).count();
    assertEquals(1, found, "expected one problem containing '" + fragment + "' in:\n  " + String.join("\n  ", problems));
  }
}
