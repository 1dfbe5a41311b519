package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * (with {@link MiniCel}) against admission requests as the API server would send them.
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

  @Test
  void everyExpressionParses() {
    for (String e : expressions(policy(Scenario.DEFAULTS))) {
      MiniCel.parse(e);
    }
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

  // ---- a small model of the API server's evaluation of one policy

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
    env.put("object", object);
    env.put("oldObject", oldObject);
    boolean failClosed = "Fail".equals(p.getSpec().getFailurePolicy());
    for (MatchCondition c : p.getSpec().getMatchConditions()) {
      Object v = MiniCel.eval(c.getExpression(), env);
      if (v instanceof MiniCel.Err e) {
        return new Decision(!failClosed, "match condition error: " + e.message());
      }
      if (!Boolean.TRUE.equals(v)) {
        return new Decision(true, "match condition false");
      }
    }
    Map<String, Object> variables = new LinkedHashMap<>();
    env.put("variables", variables);
    for (Variable v : p.getSpec().getVariables()) {
      variables.put(v.getName(), MiniCel.eval(v.getExpression(), env));
    }
    for (Validation v : p.getSpec().getValidations()) {
      Object ok = MiniCel.eval(v.getExpression(), env);
      if (ok instanceof MiniCel.Err e) {
        return new Decision(!failClosed, "validation error: " + e.message());
      }
      if (!Boolean.TRUE.equals(ok)) {
        String message = v.getMessage();
        if (v.getMessageExpression() != null) {
          Object m = MiniCel.eval(v.getMessageExpression(), env);
          if (m instanceof String s) {
            message = s;
          }
        }
        return new Decision(false, String.valueOf(message));
      }
    }
    return new Decision(true, "");
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
