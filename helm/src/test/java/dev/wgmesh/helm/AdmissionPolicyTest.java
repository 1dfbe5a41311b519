package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.NullValue;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.CelType;
import dev.cel.runtime.CelEvaluationException;
import dev.wgmesh.helm.Chart.Doc;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.NamedRuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ValidatingAdmissionPolicy that keeps each agent to its own node: its shape, and its CEL run
 * with cel-java (in {@link AdmissionPolicyCelTest}'s environment) against admission requests as
 * the API server would send them. See {@link #decide} for what that cannot check.
 */
class AdmissionPolicyTest {
  static final String CLAIM = "authentication.kubernetes.io/node-name";
  static final String AGENT = "system:serviceaccount:wgmesh:wgmesh-agent";

  static ValidatingAdmissionPolicy policy(Scenario s) {
    return Chart.one(Chart.render(s), ValidatingAdmissionPolicy.class, "wgmesh-agent-own-node");
  }

  @ParameterizedTest
  @EnumSource(value = Scenario.class, names = "TUNED", mode = EnumSource.Mode.EXCLUDE)
  void policyMatchesOnlyTheAgentsWrites(Scenario scenario) {
    ValidatingAdmissionPolicy p = policy(scenario);
    assertEquals("admissionregistration.k8s.io/v1", p.getApiVersion());
    assertEquals("Fail", p.getSpec().getFailurePolicy());
    List<NamedRuleWithOperations> rules = p.getSpec().getMatchConstraints().getResourceRules();
    assertEquals(1, rules.size());
    assertEquals(List.of("wgmesh.dev"), rules.get(0).getApiGroups());
    assertEquals(List.of("CREATE", "UPDATE"), rules.get(0).getOperations());
    assertEquals(List.of("wireguardpeers", "wireguardnodeconfigs/status"), rules.get(0).getResources());
    List<MatchCondition> conditions = p.getSpec().getMatchConditions();
    assertEquals(1, conditions.size());
    assertEquals("request.userInfo.username == 'system:serviceaccount:" + scenario.namespace() + ":wgmesh-agent'",
        conditions.get(0).getExpression());
    String all = String.join("\n", expressions(p));
    assertTrue(all.contains("request.userInfo.extra['" + CLAIM + "'][0]"), "uses the token's node-name claim");
    assertTrue(all.contains("object.spec.nodeName == variables.nodeName"));
    assertTrue(all.contains("object.metadata.name == variables.nodeName"));

    ValidatingAdmissionPolicyBinding b = Chart.one(Chart.render(scenario), ValidatingAdmissionPolicyBinding.class,
        "wgmesh-agent-own-node");
    assertEquals(p.getMetadata().getName(), b.getSpec().getPolicyName());
    assertEquals(List.of("Deny"), b.getSpec().getValidationActions());
    assertNull(b.getSpec().getParamRef());
    assertNull(b.getSpec().getMatchResources(), "binds cluster-wide (the resources are cluster-scoped)");
  }

  @Test
  void policyCanBeTurnedOff() {
    assertTrue(Chart.all(Chart.render(Scenario.TUNED), ValidatingAdmissionPolicy.class).isEmpty());
    assertTrue(Chart.all(Chart.render(Scenario.TUNED), ValidatingAdmissionPolicyBinding.class).isEmpty());
  }

  /** Every write RBAC allows the agent is one the policy looks at (else the policy would have a hole). */
  @Test
  void policyCoversEveryWriteTheAgentMayDo() {
    Set<String> grants = RbacAllowListTest.granted(Chart.render(Scenario.DEFAULTS), Chart.NAMESPACE, new ArrayList<>())
        .get("wgmesh-agent");
    List<String> covered = policy(Scenario.DEFAULTS).getSpec().getMatchConstraints().getResourceRules().get(0).getResources();
    for (String g : grants) {
      String[] f = g.split(" ");
      String resource = f[2];
      String verb = f[3];
      if (Set.of("create", "update", "patch", "delete").contains(verb)) {
        assertTrue(covered.contains(resource) && !verb.equals("delete"), "agent may " + verb + " " + resource + " unchecked");
      }
    }
  }

  /** The fields the CEL reads exist in the CRDs (a typo would make every agent write fail). */
  @Test
  void expressionsReadOnlyFieldsTheCrdsHave() throws IOException {
    Map<String, JsonNode> specs = new LinkedHashMap<>();
    for (Doc crd : Chart.chartCrds()) {
      JsonNode root = Chart.YAML.readTree(crd.yaml());
      specs.put(root.at("/spec/names/plural").asText(),
          root.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties"));
    }
    Pattern field = Pattern.compile("(?:oldObject|object)\\.spec\\.([A-Za-z]+)");
    Set<String> used = new TreeSet<>();
    for (String e : expressions(policy(Scenario.DEFAULTS))) {
      Matcher m = field.matcher(e);
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    assertEquals(Set.of("nodeName", "registry"), used);
    assertTrue(specs.get("wireguardpeers").has("nodeName"));
    assertTrue(specs.get("wireguardnodeconfigs").has("nodeName"));
    assertEquals("boolean", specs.get("wireguardnodeconfigs").at("/registry/type").asText());
  }

  // ---- the policy run against requests

  @Test
  void anAgentWritesItsOwnNodesPeer() {
    assertAllowed(decide(AGENT, "node-a", "wireguardpeers", "", "CREATE", peer("node-a", "node-a"), null));
    assertAllowed(decide(AGENT, "node-a", "wireguardpeers", "", "UPDATE", peer("node-a", "node-a"), peer("node-a", "node-a")));
  }

  @Test
  void anAgentCannotWriteAnotherNodesPeer() {
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "CREATE", peer("node-b", "node-b"), null), "node-a");
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "UPDATE", peer("node-b", "node-b"), peer("node-b", "node-b")), "node-a");
    // Its own name with another node in it, or the other way round.
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "CREATE", peer("node-a", "node-b"), null), "node-a");
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "CREATE", peer("node-b", "node-a"), null), "node-a");
    // Turning another node's peer into its own.
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "UPDATE", peer("node-a", "node-a"), peer("node-a", "node-b")),
        "another node");
    // An external peer (no nodeName), e.g. to smuggle a key into the mesh.
    assertDenied(decide(AGENT, "node-a", "wireguardpeers", "", "CREATE", peer("laptop", null), null), "node-a");
  }

  @Test
  void anAgentWithoutANodeBoundTokenIsDenied() {
    assertDenied(decide(AGENT, null, "wireguardpeers", "", "CREATE", peer("node-a", "node-a"), null), "node-name claim");
  }

  @Test
  void anAgentWritesOnlyItsOwnNodeConfigStatus() {
    assertAllowed(decide(AGENT, "node-a", "wireguardnodeconfigs", "status", "UPDATE", config("node-a", false), config("node-a", false)));
    assertDenied(decide(AGENT, "node-a", "wireguardnodeconfigs", "status", "UPDATE", config("node-b", false), config("node-b", false)),
        "node-a");
    // The registry's config, even on a node whose name happens to be the config's.
    assertDenied(decide(AGENT, "wgmesh-registry", "wireguardnodeconfigs", "status", "UPDATE", config("wgmesh-registry", true),
        config("wgmesh-registry", true)), "wgmesh-registry");
  }

  @Test
  void othersAreNotAffected() {
    // The operator, a user, an agent account of another namespace: the policy does not apply.
    assertAllowed(decide("system:serviceaccount:wgmesh:wgmesh-operator", null, "wireguardpeers", "", "UPDATE",
        peer("node-b", "node-b"), peer("node-b", "node-b")));
    assertAllowed(decide("kubernetes-admin", null, "wireguardpeers", "", "CREATE", peer("laptop", null), null));
    assertAllowed(decide("system:serviceaccount:other:wgmesh-agent", "node-a", "wireguardpeers", "", "CREATE",
        peer("node-b", "node-b"), null));
    // Resources and operations outside the policy (RBAC decides those).
    assertAllowed(decide(AGENT, "node-a", "wireguardnodeconfigs", "", "UPDATE", config("node-b", false), config("node-b", false)));
    assertAllowed(decide(AGENT, "node-a", "wireguardpeers", "", "DELETE", null, peer("node-b", "node-b")));
  }

  // ---- a model of the API server's evaluation of one policy, with cel-java

  record Decision(boolean allowed, String message) {}

  static void assertAllowed(Decision d) {
    assertTrue(d.allowed(), "denied: " + d.message());
  }

  static void assertDenied(Decision d, String messagePart) {
    assertFalse(d.allowed(), "allowed");
    assertTrue(d.message().contains(messagePart), d.message());
  }

  static Map<String, Object> peer(String name, String nodeName) {
    Map<String, Object> spec = new LinkedHashMap<>(Map.of("mesh", "wgmesh", "publicKey", "(a public key)"));
    if (nodeName != null) {
      spec.put("nodeName", nodeName);
    }
    return Map.of("apiVersion", "wgmesh.dev/v1alpha1", "kind", "WireGuardPeer", "metadata", Map.of("name", name), "spec", spec);
  }

  static Map<String, Object> config(String name, boolean registry) {
    Map<String, Object> spec = new LinkedHashMap<>(Map.of("mesh", "wgmesh"));
    if (registry) {
      spec.put("registry", true);
    } else {
      spec.put("nodeName", name);
    }
    return Map.of("apiVersion", "wgmesh.dev/v1alpha1", "kind", "WireGuardNodeConfig", "metadata", Map.of("name", name),
        "spec", spec, "status", Map.of());
  }

  /** The request as the API server hands it to CEL: omitempty fields are absent. */
  static Map<String, Object> request(String user, String nodeClaim, String resource, String subResource, String operation) {
    Map<String, Object> userInfo = new LinkedHashMap<>(Map.of("username", user));
    if (nodeClaim != null) {
      userInfo.put("extra", Map.of(CLAIM, List.of(nodeClaim),
          "authentication.kubernetes.io/pod-name", List.of("wgmesh-agent-x7k2p")));
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("operation", operation);
    r.put("userInfo", userInfo);
    r.put("resource", Map.of("group", "wgmesh.dev", "version", "v1alpha1", "resource", resource));
    if (!subResource.isEmpty()) {
      r.put("subResource", subResource);
    }
    return r;
  }

  /**
   * The API server's decision on one request, as far as cel-java can model it: the rule match,
   * the match conditions, the variables in order (each compiled seeing the ones before it) and
   * the validations, each expression compiled by {@link AdmissionPolicyCelTest#compile} and run
   * on Java maps and lists as the JSON of the objects; an evaluation error fails closed as
   * failurePolicy Fail does.
   *
   * <p>What this cannot check, compared with the API server:
   * <ul>
   *   <li>{@code authorizer}: Kubernetes' authorizer library is neither declared nor bound (the
   *       policy does not use it; an expression that did would not compile here).
   *   <li>Types of {@code request}, {@code object} and {@code oldObject}: the API server types
   *       {@code request} as an AdmissionRequest, where an unset field such as
   *       {@code subResource} reads as {@code ''}, and the objects by the CRD's schema; here all
   *       three are dyn maps, where reading an absent field is an error. The requests below leave
   *       out what the API server omits, so an expression that reads an absent field fails here.
   *   <li>Cost: no estimated or runtime cost limit is applied, so an expression too costly for
   *       the API server still passes here.
   *   <li>Kubernetes' own CEL libraries (IP/CIDR, quantity, URL, regex, lists) are not declared,
   *       and the policy's match constraints are modelled only by resource and operation.
   *   <li>Variables are evaluated eagerly; one that fails is left out of {@code variables}, so
   *       only an expression that reads it fails, as with the API server's lazy variables.
   * </ul>
   */
  static Decision decide(String user, String nodeClaim, String resource, String subResource, String operation,
      Map<String, Object> object, Map<String, Object> oldObject) {
    ValidatingAdmissionPolicy p = policy(Scenario.DEFAULTS);
    String full = subResource.isEmpty() ? resource : resource + "/" + subResource;
    boolean matched = p.getSpec().getMatchConstraints().getResourceRules().stream()
        .anyMatch(r -> r.getResources().contains(full) && r.getOperations().contains(operation));
    if (!matched) {
      return new Decision(true, "not matched");
    }
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("request", request(user, nodeClaim, resource, subResource, operation));
    env.put("object", object == null ? NullValue.NULL_VALUE : object);
    env.put("oldObject", oldObject == null ? NullValue.NULL_VALUE : oldObject);
    env.put("params", NullValue.NULL_VALUE); // no paramKind
    env.put("namespaceObject", NullValue.NULL_VALUE); // the resources are cluster-scoped
    Map<String, CelType> variableTypes = new LinkedHashMap<>();
    Map<String, Object> variables = new LinkedHashMap<>();
    env.put("variables", variables);
    boolean failClosed = "Fail".equals(p.getSpec().getFailurePolicy());
    for (MatchCondition c : p.getSpec().getMatchConditions()) {
      Outcome v = run(compiled(c.getExpression(), variableTypes), env);
      if (v.error() != null) {
        return new Decision(!failClosed, "match condition error: " + v.error());
      }
      if (!Boolean.TRUE.equals(v.value())) {
        return new Decision(true, "match condition false");
      }
    }
    for (Variable v : p.getSpec().getVariables()) {
      CelAbstractSyntaxTree ast = compiled(v.getExpression(), variableTypes);
      variableTypes.put(v.getName(), ast.getResultType());
      Outcome value = run(ast, env);
      if (value.error() == null) {
        variables.put(v.getName(), value.value());
      }
    }
    for (Validation v : p.getSpec().getValidations()) {
      Outcome ok = run(compiled(v.getExpression(), variableTypes), env);
      if (ok.error() != null) {
        return new Decision(!failClosed, "validation error: " + ok.error());
      }
      if (!Boolean.TRUE.equals(ok.value())) {
        String message = v.getMessage();
        if (v.getMessageExpression() != null) {
          Outcome m = run(compiled(v.getMessageExpression(), variableTypes), env);
          if (m.value() instanceof String s) {
            message = s;
          }
        }
        return new Decision(false, String.valueOf(message));
      }
    }
    return new Decision(true, "");
  }

  /** A value, or the evaluation error (CEL's error value) that took its place. */
  private record Outcome(Object value, String error) {}

  private static CelAbstractSyntaxTree compiled(String expression, Map<String, CelType> variableTypes) {
    AdmissionPolicyCelTest.Compiled c = AdmissionPolicyCelTest.compile(expression, variableTypes);
    if (c.error() != null) {
      throw new AssertionError(c.error());
    }
    return c.ast();
  }

  private static Outcome run(CelAbstractSyntaxTree ast, Map<String, Object> env) {
    try {
      return new Outcome(AdmissionPolicyCelTest.RUNTIME.createProgram(ast).eval(env), null);
    } catch (CelEvaluationException e) {
      return new Outcome(null, e.getMessage());
    }
  }

  static List<String> expressions(ValidatingAdmissionPolicy p) {
    List<String> all = new ArrayList<>();
    p.getSpec().getMatchConditions().forEach(c -> all.add(c.getExpression()));
    p.getSpec().getVariables().forEach(v -> all.add(v.getExpression()));
    for (Validation v : p.getSpec().getValidations()) {
      all.add(v.getExpression());
      if (v.getMessageExpression() != null) {
        all.add(v.getMessageExpression());
      }
    }
    return all;
  }
}
