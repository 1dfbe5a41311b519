package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.helm.Chart.Doc;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every permission the chart grants, expanded to single grants
 * ({@code scope apiGroup resource verb [resourceName]}), must be on the allow-list of the service
 * account it is granted to: a rule that grants more (another verb, resource, "*", a Secret by any
 * name, a binding to a role the chart does not define) fails.
 */
class RbacAllowListTest {
  static final String CLUSTER = "cluster";

  /** The allow-list: ServiceAccount name to its grants. The namespace scope is written "ns". */
  /** @param registries the registries' object names: their configs, and with "-key" their Secrets */
  static Map<String, Set<String>> allowList(List<String> registries) {
    Map<String, Set<String>> allow = new TreeMap<>();
    Set<String> operator = new TreeSet<>();
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardmeshes", "wireguardpeers"), List.of("get", "list", "watch"));
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardmeshes/status", "wireguardpeers/status"), List.of("patch", "update"));
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardmeshes/finalizers"), List.of("update"));
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardnodeconfigs"),
        List.of("create", "delete", "get", "list", "patch", "update", "watch"));
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardnodeconfigs/status"), List.of("patch", "update"));
    grant(operator, CLUSTER, "wgmesh.dev", List.of("wireguardpeersets"), List.of("create", "delete", "get", "list", "patch", "update", "watch"));
    grant(operator, CLUSTER, "", List.of("nodes"), List.of("get", "list", "watch"));
    grant(operator, CLUSTER, "", List.of("events"), List.of("create", "patch"));
    grant(operator, "ns", "", List.of("secrets", "services"), List.of("create", "delete", "get", "list", "patch", "update", "watch"));
    grant(operator, "ns", "apps", List.of("deployments"), List.of("create", "delete", "get", "list", "patch", "update", "watch"));
    grant(operator, "ns", "coordination.k8s.io", List.of("leases"), List.of("create", "get", "patch", "update"));
    allow.put("wgmesh-operator", operator);

    Set<String> agent = new TreeSet<>();
    grant(agent, CLUSTER, "", List.of("nodes"), List.of("get"));
    grant(agent, CLUSTER, "wgmesh.dev", List.of("wireguardpeers"), List.of("create", "get", "patch", "update"));
    grant(agent, CLUSTER, "wgmesh.dev", List.of("wireguardnodeconfigs"), List.of("get", "list", "watch"));
    grant(agent, CLUSTER, "wgmesh.dev", List.of("wireguardnodeconfigs/status"), List.of("patch", "update"));
    grant(agent, CLUSTER, "wgmesh.dev", List.of("wireguardpeersets"), List.of("get", "list", "watch"));
    allow.put("wgmesh-agent", agent);

    Set<String> registry = new TreeSet<>();
    grant(registry, CLUSTER, "wgmesh.dev", List.of("wireguardnodeconfigs"), List.of("get", "list", "watch"));
    for (String r : registries) {
      registry.add(tuple("ns", "", "secrets", "get", r + "-key"));
      registry.add(tuple(CLUSTER, "wgmesh.dev", "wireguardnodeconfigs/status", "patch", r));
      registry.add(tuple(CLUSTER, "wgmesh.dev", "wireguardnodeconfigs/status", "update", r));
    }
    allow.put("wgmesh-registry", registry);
    return allow;
  }

  static void grant(Set<String> to, String scope, String group, List<String> resources, List<String> verbs) {
    for (String r : resources) {
      for (String v : verbs) {
        to.add(tuple(scope, group, r, v, ""));
      }
    }
  }

  static String tuple(String scope, String group, String resource, String verb, String name) {
    return scope + " " + (group.isEmpty() ? "core" : group) + " " + resource + " " + verb + (name.isEmpty() ? "" : " " + name);
  }

  /** What the rendered RBAC grants, per ServiceAccount; problems that are wrong whatever the list says go to problems. */
  static Map<String, Set<String>> granted(List<Doc> docs, String namespace, List<String> problems) {
    Map<String, List<PolicyRule>> clusterRoles = new TreeMap<>();
    Map<String, List<PolicyRule>> roles = new TreeMap<>();
    for (ClusterRole r : Chart.all(docs, ClusterRole.class)) {
      if (r.getAggregationRule() != null) {
        problems.add("ClusterRole " + r.getMetadata().getName() + " aggregates other roles");
      }
      clusterRoles.put(r.getMetadata().getName(), r.getRules());
    }
    for (Role r : Chart.all(docs, Role.class)) {
      if (!namespace.equals(r.getMetadata().getNamespace())) {
        problems.add("Role " + r.getMetadata().getName() + " outside " + namespace);
      }
      roles.put(r.getMetadata().getName(), r.getRules());
    }
    Map<String, Set<String>> granted = new TreeMap<>();
    List<Object[]> bindings = new ArrayList<>();
    for (ClusterRoleBinding b : Chart.all(docs, ClusterRoleBinding.class)) {
      bindings.add(new Object[] {"ClusterRoleBinding " + b.getMetadata().getName(), b.getRoleRef(), b.getSubjects(), CLUSTER});
    }
    for (RoleBinding b : Chart.all(docs, RoleBinding.class)) {
      bindings.add(new Object[] {"RoleBinding " + b.getMetadata().getName(), b.getRoleRef(), b.getSubjects(), "ns"});
    }
    for (Object[] b : bindings) {
      String what = (String) b[0];
      RoleRef ref = (RoleRef) b[1];
      @SuppressWarnings("unchecked")
      List<Subject> subjects = (List<Subject>) b[2];
      String scope = (String) b[3];
      List<PolicyRule> rules = ref.getKind().equals("ClusterRole") ? clusterRoles.get(ref.getName())
          : scope.equals("ns") && ref.getKind().equals("Role") ? roles.get(ref.getName()) : null;
      if (rules == null) {
        problems.add(what + " refers to " + ref.getKind() + " " + ref.getName() + ", which the chart does not define");
        continue;
      }
      for (Subject s : subjects) {
        if (!"ServiceAccount".equals(s.getKind()) || !namespace.equals(s.getNamespace())) {
          problems.add(what + " binds " + s.getKind() + " " + s.getNamespace() + "/" + s.getName());
          continue;
        }
        Set<String> to = granted.computeIfAbsent(s.getName(), k -> new TreeSet<>());
        for (PolicyRule rule : rules) {
          expand(what, scope, rule, to, problems);
        }
      }
    }
    return granted;
  }

  static void expand(String what, String scope, PolicyRule rule, Set<String> to, List<String> problems) {
    if (rule.getNonResourceURLs() != null && !rule.getNonResourceURLs().isEmpty()) {
      problems.add(what + " grants non-resource URLs " + rule.getNonResourceURLs());
    }
    List<String> names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty() ? List.of("") : rule.getResourceNames();
    for (String g : rule.getApiGroups()) {
      for (String r : rule.getResources()) {
        for (String v : rule.getVerbs()) {
          for (String n : names) {
            if (g.contains("*") || r.contains("*") || v.contains("*") || n.contains("*")) {
              problems.add(what + " grants a wildcard: " + g + " " + r + " " + v + " " + n);
            }
            if (Set.of("escalate", "bind", "impersonate", "deletecollection").contains(v)) {
              problems.add(what + " grants " + v);
            }
            to.add(tuple(scope, g, r, v, n));
          }
        }
      }
    }
  }

  static List<String> registries(Scenario s) {
    return switch (s) {
      case TUNED -> List.of("prod-registry", "lab-registry");
      case TWO_REGISTRIES -> List.of("wgmesh-registry-eu", "wgmesh-registry-us", "old-registry");
      default -> List.of("wgmesh-registry");
    };
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void everyServiceAccountHasExactlyItsAllowList(Scenario scenario) {
    List<String> problems = new ArrayList<>();
    Map<String, Set<String>> granted = granted(Chart.render(scenario), scenario.namespace(), problems);
    assertEquals(List.of(), problems);
    Map<String, Set<String>> allowed = allowList(registries(scenario));
    assertEquals(allowed.keySet(), granted.keySet(), "the service accounts that get permissions");
    for (String sa : allowed.keySet()) {
      Set<String> more = new TreeSet<>(granted.get(sa));
      more.removeAll(allowed.get(sa));
      assertEquals(Set.of(), more, sa + " is granted more than its allow-list");
      Set<String> less = new TreeSet<>(allowed.get(sa));
      less.removeAll(granted.get(sa));
      assertEquals(Set.of(), less, sa + " lacks permissions it needs");
    }
  }

  @Test
  void theAgentCannotTouchSecretsNorOtherNodesThroughRbac() {
    Set<String> agent = granted(Chart.render(Scenario.DEFAULTS), Chart.NAMESPACE, new ArrayList<>()).get("wgmesh-agent");
    assertTrue(agent.stream().noneMatch(g -> g.contains("secrets")));
    assertTrue(agent.stream().noneMatch(g -> g.contains(" nodes ") && !g.endsWith(" get")), "nodes: get only");
    assertTrue(agent.stream().noneMatch(g -> g.contains(" delete")), "the agent deletes nothing");
    assertTrue(agent.stream().noneMatch(g -> g.contains("wireguardmeshes")));
    assertFalse(agent.contains(tuple(CLUSTER, "wgmesh.dev", "wireguardnodeconfigs", "update", "")), "config spec is the operator's");
    assertTrue(agent.stream().noneMatch(g -> g.contains("wireguardpeersets") && !g.matches(".* (get|list|watch)( .*)?")),
        "peer sets are the operator's: read only");
  }

  @Test
  void withTwoRegistriesTheRegistryReadsEachOnesKeySecretAndNoOther() {
    Map<String, Object> values = new java.util.HashMap<>(Scenario.TWO_REGISTRIES.values);
    values.put("registry.extraMeshes[1].name", "lab");
    values.put("registry.extraMeshes[1].registries[0]", "a");
    values.put("registry.extraMeshes[1].registries[1]", "b");
    Set<String> registry = granted(Chart.parse(Chart.template(values)), Chart.NAMESPACE, new ArrayList<>()).get("wgmesh-registry");
    List<String> secrets = registry.stream().filter(g -> g.contains("secrets")).toList();
    assertEquals(List.of("ns core secrets get lab-registry-a-key", "ns core secrets get lab-registry-b-key",
        "ns core secrets get old-registry-key", "ns core secrets get wgmesh-registry-eu-key", "ns core secrets get wgmesh-registry-us-key"),
        secrets);
    assertTrue(registry.contains(tuple(CLUSTER, "wgmesh.dev", "wireguardnodeconfigs/status", "patch", "lab-registry-b")));
  }

  @Test
  void theRegistryReadsOnlyItsOwnKeySecret() {
    Set<String> registry = granted(Chart.render(Scenario.TUNED), Chart.NAMESPACE, new ArrayList<>()).get("wgmesh-registry");
    List<String> secrets = registry.stream().filter(g -> g.contains("secrets")).toList();
    assertEquals(List.of("ns core secrets get lab-registry-key", "ns core secrets get prod-registry-key"), secrets);
  }

  @Test
  void theOperatorHasNamespacedPowersOnlyInItsNamespace() {
    Set<String> operator = granted(Chart.render(Scenario.DEFAULTS), Chart.NAMESPACE, new ArrayList<>()).get("wgmesh-operator");
    for (String g : operator) {
      if (g.contains("secrets") || g.contains("deployments") || g.contains("services") || g.contains("leases")) {
        assertTrue(g.startsWith("ns "), g + " must come from a Role, not cluster-wide");
      }
    }
  }

  /** The checker itself: a widened rule, a wildcard or a foreign role are caught. */
  @Test
  void theCheckerCatchesGrantsBeyondTheList() {
    List<Doc> docs = Chart.parse(Chart.template(Map.of()));
    ClusterRole agent = Chart.one(docs, ClusterRole.class, "wgmesh-agent");
    agent.getRules().add(new PolicyRuleBuilder().withApiGroups("").withResources("secrets").withVerbs("get").build());
    List<String> problems = new ArrayList<>();
    Set<String> granted = granted(docs, Chart.NAMESPACE, problems).get("wgmesh-agent");
    Set<String> more = new TreeSet<>(granted);
    more.removeAll(allowList(List.of("wgmesh-registry")).get("wgmesh-agent"));
    assertEquals(Set.of("cluster core secrets get"), more);

    agent.getRules().add(new PolicyRuleBuilder().withApiGroups("wgmesh.dev").withResources("*").withVerbs("*").build());
    Chart.one(docs, ClusterRoleBinding.class, "wgmesh-registry").getRoleRef().setName("cluster-admin");
    problems.clear();
    granted(docs, Chart.NAMESPACE, problems);
    assertTrue(problems.stream().anyMatch(p -> p.contains("wildcard")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("cluster-admin")), problems.toString());
  }
}
