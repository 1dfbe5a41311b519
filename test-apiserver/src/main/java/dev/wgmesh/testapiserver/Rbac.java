package dev.wgmesh.testapiserver;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes' RBAC authorizer over a fixed set of Roles, ClusterRoles and their bindings (for
 * wgmesh's tests, those the chart renders), plus the defaults every authenticated identity has
 * (system:basic-user's self reviews, system:discovery). Answers what kube-apiserver's RBAC
 * authorizer answers: a request is allowed when some rule of a role bound to the identity (a
 * ClusterRoleBinding anywhere, a RoleBinding in the request's namespace) matches its API group,
 * resource (with subresource), verb and, where the rule names any, resource name. Deny is the
 * default; there are no deny rules. Aggregated ClusterRoles are not expanded.
 */
public final class Rbac {
  /** A rule of a role, as sets ("*" matches anything). */
  public record Rule(Set<String> apiGroups, Set<String> resources, Set<String> verbs, Set<String> resourceNames,
      Set<String> nonResourceURLs) {
    static Rule of(PolicyRule r) {
      return new Rule(set(r.getApiGroups()), set(r.getResources()), set(r.getVerbs()), set(r.getResourceNames()),
          set(r.getNonResourceURLs()));
    }

    boolean matches(RequestAttributes a) {
      if (!verbs.contains("*") && !verbs.contains(a.verb())) {
        return false;
      }
      if (!a.isResourceRequest()) {
        return nonResourceURLs.stream().anyMatch(u -> u.equals("*") || u.equals(a.path())
            || (u.endsWith("*") && a.path().startsWith(u.substring(0, u.length() - 1))));
      }
      if (!apiGroups.contains("*") && !apiGroups.contains(a.group())) {
        return false;
      }
      String wanted = a.resourceWithSubresource();
      boolean resourceMatch = resources.contains("*") || resources.contains(wanted)
          || (a.subresource() != null && (resources.contains(a.resource() + "/*") || resources.contains("*/" + a.subresource())));
      if (!resourceMatch) {
        return false;
      }
      // A rule that names resources never allows a request without a name (create, an unfiltered list).
      return resourceNames.isEmpty() || (a.name() != null && resourceNames.contains(a.name()));
    }

    private static Set<String> set(List<String> values) {
      return values == null ? Set.of() : Set.copyOf(values);
    }
  }

  private record Binding(String namespace, String roleKind, String roleName, List<Subject> subjects) {
    boolean binds(Identity who) {
      String[] sa = who.serviceAccount();
      for (Subject s : subjects) {
        boolean match = switch (s.getKind()) {
          case "ServiceAccount" -> sa != null && sa[1].equals(s.getName())
              && sa[0].equals(s.getNamespace() == null ? namespace : s.getNamespace());
          case "User" -> who.user().equals(s.getName());
          case "Group" -> who.groups().contains(s.getName());
          default -> false;
        };
        if (match) {
          return true;
        }
      }
      return false;
    }
  }

  /** What every authenticated identity may do in a cluster with the default ClusterRoles. */
  static final List<Rule> AUTHENTICATED_DEFAULTS = List.of(
      new Rule(Set.of("authorization.k8s.io"), Set.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"), Set.of("create"),
          Set.of(), Set.of()),
      new Rule(Set.of(), Set.of(), Set.of("get"), Set.of(), Set.of("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
          "/readyz", "/version", "/version/", "/openapi", "/openapi/*")));

  private final Map<String, List<Rule>> clusterRoles = new HashMap<>();
  private final Map<String, List<Rule>> roles = new HashMap<>();
  private final List<Binding> bindings = new ArrayList<>();

  /** The RBAC objects among {@code objects} (others are ignored). */
  public static Rbac of(Collection<? extends HasMetadata> objects) {
    Rbac rbac = new Rbac();
    for (HasMetadata o : objects) {
      if (o instanceof ClusterRole cr) {
        rbac.clusterRoles.put(cr.getMetadata().getName(), rules(cr.getRules()));
      } else if (o instanceof Role r) {
        rbac.roles.put(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(), rules(r.getRules()));
      } else if (o instanceof ClusterRoleBinding b) {
        rbac.bindings.add(binding(null, b.getRoleRef(), b.getSubjects()));
      } else if (o instanceof RoleBinding b) {
        rbac.bindings.add(binding(b.getMetadata().getNamespace(), b.getRoleRef(), b.getSubjects()));
      }
    }
    return rbac;
  }

  private static Binding binding(String namespace, RoleRef ref, List<Subject> subjects) {
    return new Binding(namespace, ref.getKind(), ref.getName(), subjects == null ? List.of() : subjects);
  }

  private static List<Rule> rules(List<PolicyRule> rules) {
    return rules == null ? List.of() : rules.stream().map(Rule::of).toList();
  }

  public boolean allows(Identity who, RequestAttributes request) {
    if (who.isAdmin()) {
      return true;
    }
    return rulesFor(who, request.namespace()).stream().anyMatch(r -> r.matches(request));
  }

  /**
   * The rules that apply to {@code who} for requests in {@code namespace} (null: cluster-scoped
   * requests and requests across all namespaces), as a SelfSubjectRulesReview reports them.
   */
  public List<Rule> rulesFor(Identity who, String namespace) {
    List<Rule> rules = new ArrayList<>();
    if (who.isAdmin()) {
      rules.add(new Rule(Set.of("*"), Set.of("*"), Set.of("*"), Set.of(), Set.of()));
      rules.add(new Rule(Set.of(), Set.of(), Set.of("*"), Set.of(), Set.of("*")));
      return rules;
    }
    if (who.groups().contains(Identity.AUTHENTICATED)) {
      rules.addAll(AUTHENTICATED_DEFAULTS);
    }
    for (Binding b : bindings) {
      if (b.namespace() != null && !b.namespace().equals(namespace)) {
        continue; // a RoleBinding grants only inside its namespace
      }
      if (!b.binds(who)) {
        continue;
      }
      List<Rule> granted = b.roleKind().equals("ClusterRole") ? clusterRoles.get(b.roleName())
          : roles.get(b.namespace() + "/" + b.roleName());
      if (granted != null) {
        rules.addAll(granted);
      }
    }
    return rules;
  }

  /** kube-apiserver's wording of a denial. */
  public static String denial(Identity who, RequestAttributes a) {
    if (!a.isResourceRequest()) {
      return "forbidden: User \"" + who.user() + "\" cannot " + a.verb() + " path \"" + a.path() + "\"";
    }
    String object = a.resource() + (a.group().isEmpty() ? "" : "." + a.group()) + (a.name() == null ? "" : " \"" + a.name() + "\"");
    return object + " is forbidden: User \"" + who.user() + "\" cannot " + a.verb() + " resource \"" + a.resourceWithSubresource()
        + "\" in API group \"" + a.group() + "\"" + (a.namespace() == null ? " at the cluster scope" : " in the namespace \"" + a.namespace() + "\"");
  }
}
