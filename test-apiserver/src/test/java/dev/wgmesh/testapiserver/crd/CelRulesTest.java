package dev.wgmesh.testapiserver.crd;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.runtime.CelRuntime;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Compiles every CEL rule of the generated CRDs and runs the interesting ones on good and bad
 * values, in the environment of {@link KubeCel} (CEL's standard library, the extensions and
 * Kubernetes' libraries that CRD rules may use; of those only the IP/CIDR functions the rules use
 * can run here). Field references (self.x.y, oldSelf.x) must exist in the schema where the rule
 * sits. What else the API server checks of a CRD is in CrdApiServerRulesTest.
 */
class CelRulesTest {
  private static final CelCompiler COMPILER = KubeCel.untypedCompiler();
  private static final CelRuntime RUNTIME = KubeCel.runtime();

  private record Located(String crd, String path, JSONSchemaProps schema, ValidationRule rule) {}

  // --- every rule compiles, and refers to fields that exist

  @Test
  void everyRuleCompilesAndNamesRealFields() {
    List<Located> rules = allRules();
    assertEquals(13, rules.size(), "rules: " + rules.stream().map(r -> r.crd + " " + r.path + ": " + r.rule.getRule()).toList());
    for (Located r : rules) {
      compile(r.rule.getRule());
      Matcher refs = java.util.regex.Pattern.compile("\\b(self|oldSelf)((\\.[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_(]))+)").matcher(r.rule.getRule());
      while (refs.find()) {
        if (r.path.isEmpty() && refs.group(2).equals(".metadata.name")) {
          continue; // at the root, Kubernetes gives rules metadata.name (and generateName), not in any schema
        }
        JSONSchemaProps at = r.schema;
        for (String field : refs.group(2).substring(1).split("\\.")) {
          at = at.getProperties() == null ? null : at.getProperties().get(field);
          assertNotNull(at, r.crd + " " + r.path + ": " + refs.group() + " is not in the schema");
        }
      }
      if (r.rule.getFieldPath() != null) {
        JSONSchemaProps at = r.schema;
        for (String field : r.rule.getFieldPath().substring(1).split("\\.")) {
          at = at.getProperties().get(field);
          assertNotNull(at, r.crd + " " + r.path + ": fieldPath " + r.rule.getFieldPath());
        }
      }
      assertNotNull(r.rule.getMessage(), "every rule says what is wrong");
    }
  }

  // --- WireGuardMesh

  @Test
  void registryAddressInsideNetwork() {
    String rule = rule(Crds.MESHES, "spec", "self.registry.address");
    assertTrue(eval(rule, mesh("10.88.0.0/16", "10.88.255.254")));
    assertTrue(eval(rule, mesh("10.88.0.0/16", "10.88.0.1")));
    assertTrue(eval(rule, mesh("10.88.7.9/16", "10.88.255.254")), "host bits in the network do not matter");
    assertFalse(eval(rule, mesh("10.88.0.0/16", "10.89.0.1")));
    assertFalse(eval(rule, mesh("10.88.0.0/24", "10.88.1.254")));
    assertFalse(eval(rule, mesh("10.88.0.0/16", "192.168.0.1")));
    assertTrue(eval(rule, mesh("10.88.0.0/16", null)), "no address: the operator takes the last usable one");
    assertTrue(eval(rule, Map.of("network", "10.88.0.0/16")), "no registry: required, reported by the schema");
    assertTrue(eval(rule, mesh("10.88.0.0", "10.89.0.1")), "a bad network is reported by its pattern, not here");
    assertTrue(eval(rule, mesh("10.88.0.0/16", "10.88.0.300")), "a bad address is reported by its pattern");
  }

  @Test
  void registryNodeNameOnlyWithHostNetwork() {
    String rule = rule(Crds.MESHES, "spec.registry");
    assertTrue(eval(rule, Map.of("exposure", "HostNetwork", "nodeName", "cloud-a-node-1")));
    assertTrue(eval(rule, Map.of("exposure", "HostNetwork")));
    assertTrue(eval(rule, Map.of("exposure", "LoadBalancer")));
    assertFalse(eval(rule, Map.of("exposure", "LoadBalancer", "nodeName", "cloud-a-node-1")));
  }

  @Test
  void meshNameShortEnoughForItsRegistryService() {
    String rule = rule(Crds.MESHES, "", "<= 54");
    assertTrue(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(WireGuardMesh.MAX_NAME_LENGTH)))));
    assertFalse(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(WireGuardMesh.MAX_NAME_LENGTH + 1)))));
    assertEquals(63, ("m".repeat(WireGuardMesh.MAX_NAME_LENGTH) + "-registry").length(), "the longest Service name is a DNS label");
  }

  @Test
  void exactlyOneOfRegistryAndRegistries() {
    String rule = rule(Crds.MESHES, "spec", "has(self.registry) != has(self.registries)");
    assertTrue(eval(rule, mesh("10.88.0.0/16", null)), "a mesh of today: registry only");
    assertTrue(eval(rule, meshOf(named("a", null), named("b", null))));
    assertFalse(eval(rule, Map.of("network", "10.88.0.0/16", "registry", Map.of(), "registries", List.of(named("a", null)))),
        "both set");
    assertFalse(eval(rule, Map.of("network", "10.88.0.0/16")), "neither set");
  }

  @Test
  void registriesAddressesInsideNetworkAndDistinct() throws Exception {
    String inside = rule(Crds.MESHES, "spec", "containsIP(r.address)");
    assertTrue(eval(inside, meshOf(named("a", "10.88.255.254"), named("b", null))));
    assertFalse(eval(inside, meshOf(named("a", "10.88.255.254"), named("b", "10.99.0.1"))));
    assertEquals(".registries", located(Crds.MESHES, "spec", "containsIP(r.address)").rule.getFieldPath());
    Object bad = meshOf(named("a", "10.88.255.254"), named("b", "10.99.0.1"));
    assertEquals("registries[b].address must lie inside network",
        RUNTIME.createProgram(compileAny(located(Crds.MESHES, "spec", "containsIP(r.address)").rule.getMessageExpression())).eval(Map.of("self", bad)),
        "the message names the entry");

    String distinct = rule(Crds.MESHES, "spec", "s.address == r.address");
    assertTrue(eval(distinct, meshOf(named("a", "10.88.255.254"), named("b", "10.88.255.253"), named("c", null), named("d", null))));
    assertFalse(eval(distinct, meshOf(named("a", "10.88.255.254"), named("b", "10.88.255.254"))));
  }

  @Test
  void registriesNamedAndUnique() {
    String named = rule(Crds.MESHES, "spec", "all(r, has(r.name))");
    assertTrue(eval(named, meshOf(named("a", null))));
    assertFalse(eval(named, meshOf(named("a", null), Map.of("exposure", "HostNetwork"))));

    String unique = rule(Crds.MESHES, "spec", "s.name == r.name");
    assertTrue(eval(unique, meshOf(named("eu", null), named("us", null))));
    assertFalse(eval(unique, meshOf(named("eu", null), named("us", null), named("eu", null))));

    String singleUnnamed = rule(Crds.MESHES, "spec", "!has(self.registry.name)");
    assertFalse(eval(singleUnnamed, Map.of("network", "10.88.0.0/16", "registry", Map.of("name", "a"))));
    assertTrue(eval(singleUnnamed, mesh("10.88.0.0/16", null)));

    String pinned = rule(Crds.MESHES, "spec.registries[]", "nodeName");
    assertFalse(eval(pinned, Map.of("name", "a", "exposure", "LoadBalancer", "nodeName", "n1")));
  }

  @Test
  void meshAndRegistryNamesShortEnoughForEveryObjectName() {
    String rule = rule(Crds.MESHES, "", "self.spec.registries");
    int both = WireGuardMesh.MAX_NAME_WITH_REGISTRY_LENGTH;
    assertTrue(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(both - 12)), "spec", meshOf(named("r".repeat(12), null)))));
    assertFalse(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(both - 11)), "spec", meshOf(named("r".repeat(12), null)))));
    assertTrue(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(54)), "spec", mesh("10.88.0.0/16", null))), "single registry: 54");
    String longest = RegistryObjectNames.secret("m".repeat(both - 12), "r".repeat(12));
    assertEquals("m".repeat(both - 12) + "-registry-" + "r".repeat(12) + "-key", longest, "names within the rules are not hashed");
    assertEquals(63, longest.length(), "the longest Secret name is a DNS label");
    assertEquals("m".repeat(54) + "-registry", RegistryObjectNames.object("m".repeat(54), null), "nor is the longest single registry's");
  }

  // --- WireGuardPeer

  @Test
  void peerNodeNameCannotChange() {
    String field = rule(Crds.PEERS, "spec.nodeName");
    assertTrue(evalTransition(field, "n1", "n1"));
    assertFalse(evalTransition(field, "n2", "n1"));

    String presence = rule(Crds.PEERS, "spec");
    Map<String, Object> node = Map.of("mesh", "prod", "nodeName", "n1");
    Map<String, Object> external = Map.of("mesh", "prod");
    assertTrue(evalTransition(presence, node, node));
    assertTrue(evalTransition(presence, external, external));
    assertFalse(evalTransition(presence, node, external), "an external peer cannot become a node");
    assertFalse(evalTransition(presence, external, node), "a node's peer cannot become external");
    Map<String, Object> rotated = Map.of("mesh", "prod", "nodeName", "n1", "publicKey", "new");
    assertTrue(evalTransition(presence, rotated, Map.of("mesh", "prod", "nodeName", "n1", "publicKey", "old")), "key rotation is fine");
  }

  // --- helpers

  private static Map<String, Object> mesh(String network, String registryAddress) {
    Map<String, Object> registry = new HashMap<>();
    registry.put("exposure", "HostNetwork");
    if (registryAddress != null) {
      registry.put("address", registryAddress);
    }
    return Map.of("network", network, "registry", registry);
  }

  private static Map<String, Object> named(String name, String address) {
    Map<String, Object> registry = new HashMap<>();
    registry.put("name", name);
    registry.put("exposure", "HostNetwork");
    if (address != null) {
      registry.put("address", address);
    }
    return registry;
  }

  @SafeVarargs
  private static Map<String, Object> meshOf(Map<String, Object>... registries) {
    return Map.of("network", "10.88.0.0/16", "registries", List.of(registries));
  }

  private static String rule(String crd, String path) {
    return rule(crd, path, "");
  }

  /** The one rule at {@code path} whose text contains {@code fragment}. */
  private static String rule(String crd, String path, String fragment) {
    return located(crd, path, fragment).rule.getRule();
  }

  private static Located located(String crd, String path, String fragment) {
    List<Located> found = allRules().stream()
        .filter(r -> r.crd.equals(crd) && r.path.equals(path) && r.rule.getRule().contains(fragment)).toList();
    assertEquals(1, found.size(), "one rule at " + crd + " " + path + " with " + fragment);
    return found.get(0);
  }

  private static CelAbstractSyntaxTree compileAny(String expression) {
    CelValidationResult result = COMPILER.compile(expression);
    if (result.hasError()) {
      fail("CEL does not compile: " + expression + "\n" + result.getErrorString());
    }
    try {
      return result.getAst();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static boolean eval(String rule, Object self) {
    return run(rule, Map.of("self", self));
  }

  private static boolean evalTransition(String rule, Object self, Object oldSelf) {
    return run(rule, Map.of("self", self, "oldSelf", oldSelf));
  }

  private static boolean run(String rule, Map<String, Object> vars) {
    try {
      return (Boolean) RUNTIME.createProgram(compile(rule)).eval(vars);
    } catch (Exception e) {
      throw new AssertionError("evaluating " + rule + " with " + vars, e);
    }
  }

  private static CelAbstractSyntaxTree compile(String rule) {
    CelValidationResult result = COMPILER.compile(rule);
    if (result.hasError()) {
      fail("CEL rule does not compile: " + rule + "\n" + result.getErrorString());
    }
    try {
      CelAbstractSyntaxTree ast = result.getAst();
      assertEquals(SimpleType.BOOL, ast.getResultType(), "a rule is a boolean: " + rule);
      return ast;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static List<Located> allRules() {
    List<Located> rules = new ArrayList<>();
    for (String file : Crds.FILES) {
      CustomResourceDefinition crd = Crds.generated(file);
      collect(file, "", Crds.rootSchema(crd), rules);
    }
    return rules;
  }

  private static void collect(String crd, String path, JSONSchemaProps schema, List<Located> into) {
    if (schema.getXKubernetesValidations() != null) {
      schema.getXKubernetesValidations().forEach(v -> into.add(new Located(crd, path, schema, v)));
    }
    if (schema.getProperties() != null) {
      new LinkedHashMap<>(schema.getProperties()).forEach((name, child) -> collect(crd, path.isEmpty() ? name : path + "." + name, child, into));
    }
    if (schema.getItems() != null && schema.getItems().getSchema() != null) {
      collect(crd, path + "[]", schema.getItems().getSchema(), into);
    }
  }
}
