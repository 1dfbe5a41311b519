package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Compiles every CEL rule of the generated CRDs and runs the interesting ones on good and bad
 * values. The environment has CEL's standard library plus the part of Kubernetes' IP/CIDR library
 * the rules use (isIP, isCIDR, cidr, containsIP), emulated here; a rule calling anything else does
 * not compile, which keeps the rules within what this test can vouch for. Field references
 * (self.x.y, oldSelf.x) must exist in the schema where the rule sits.
 */
class CelRulesTest {
  private static final OpaqueType PREFIX_TYPE = OpaqueType.create("net.IPPrefix");

  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
      .addVar("self", SimpleType.DYN)
      .addVar("oldSelf", SimpleType.DYN)
      .addFunctionDeclarations(
          CelFunctionDecl.newFunctionDeclaration("isIP", CelOverloadDecl.newGlobalOverload("is_ip", SimpleType.BOOL, SimpleType.STRING)),
          CelFunctionDecl.newFunctionDeclaration("isCIDR", CelOverloadDecl.newGlobalOverload("is_cidr", SimpleType.BOOL, SimpleType.STRING)),
          CelFunctionDecl.newFunctionDeclaration("cidr", CelOverloadDecl.newGlobalOverload("string_to_cidr", PREFIX_TYPE, SimpleType.STRING)),
          CelFunctionDecl.newFunctionDeclaration("containsIP",
              CelOverloadDecl.newMemberOverload("cidr_contains_ip_string", SimpleType.BOOL, PREFIX_TYPE, SimpleType.STRING)))
      .build();

  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .addFunctionBindings(
          CelFunctionBinding.from("is_ip", String.class, s -> parseIp(s) != null),
          CelFunctionBinding.from("is_cidr", String.class, s -> Prefix.parse(s) != null),
          CelFunctionBinding.from("string_to_cidr", String.class, s -> {
            Prefix p = Prefix.parse(s);
            if (p == null) {
              throw new IllegalArgumentException("network address parse error during conversion from string: " + s);
            }
            return p;
          }),
          CelFunctionBinding.from("cidr_contains_ip_string", Prefix.class, String.class, (p, ip) -> p.contains(parseIp(ip))))
      .build();

  private record Located(String crd, String path, JSONSchemaProps schema, ValidationRule rule) {}

  // --- every rule compiles, and refers to fields that exist

  @Test
  void everyRuleCompilesAndNamesRealFields() {
    List<Located> rules = allRules();
    assertEquals(5, rules.size(), "rules: " + rules.stream().map(r -> r.crd + " " + r.path + ": " + r.rule.getRule()).toList());
    for (Located r : rules) {
      compile(r.rule.getRule());
      Matcher refs = java.util.regex.Pattern.compile("\\b(self|oldSelf)((\\.[A-Za-z_][A-Za-z0-9_]*)+)").matcher(r.rule.getRule());
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
    String rule = rule(Crds.MESHES, "spec");
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
    String rule = rule(Crds.MESHES, "");
    assertTrue(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(WireGuardMesh.MAX_NAME_LENGTH)))));
    assertFalse(eval(rule, Map.of("metadata", Map.of("name", "m".repeat(WireGuardMesh.MAX_NAME_LENGTH + 1)))));
    assertEquals(63, ("m".repeat(WireGuardMesh.MAX_NAME_LENGTH) + "-registry").length(), "the longest Service name is a DNS label");
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

  private static String rule(String crd, String path) {
    List<Located> found = allRules().stream().filter(r -> r.crd.equals(crd) && r.path.equals(path)).toList();
    assertEquals(1, found.size(), "one rule at " + crd + " " + path);
    return found.get(0).rule.getRule();
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

  // --- the IP/CIDR library, as far as the rules use it (Go netip semantics: strict text forms)

  private static InetAddress parseIp(String text) {
    boolean v4 = text.matches(Patterns.IPV4_ADDRESS);
    boolean v6 = text.matches("^" + Patterns.V6 + "$");
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  record Prefix(InetAddress address, int length) {
    static Prefix parse(String text) {
      int slash = text.indexOf('/');
      if (slash < 0 || !text.matches(Patterns.CIDR)) {
        return null;
      }
      InetAddress address = parseIp(text.substring(0, slash));
      return address == null ? null : new Prefix(address, Integer.parseInt(text.substring(slash + 1)));
    }

    boolean contains(InetAddress ip) {
      if (ip == null || ip.getAddress().length != address.getAddress().length) {
        return false;
      }
      int bits = address.getAddress().length * 8;
      BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
          .xor(BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE));
      return new BigInteger(1, address.getAddress()).and(mask).equals(new BigInteger(1, ip.getAddress()).and(mask));
    }
  }
}
