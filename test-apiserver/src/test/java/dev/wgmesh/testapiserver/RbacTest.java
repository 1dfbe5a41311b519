package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The authorizer on hand-made roles; {@link ChartRbacTest} runs it on the chart's. */
class RbacTest {
  static final Identity SA = Identity.serviceAccount("ns", "app");
  static final Rbac RBAC = Rbac.of(List.of(
      new ClusterRoleBuilder().withNewMetadata().withName("read-peers").endMetadata()
          .addNewRule().withApiGroups("wgmesh.dev").withResources("wireguardpeers").withVerbs("get", "list").endRule()
          .addNewRule().withApiGroups("wgmesh.dev").withResources("wireguardpeers/status").withResourceNames("mine").withVerbs("patch").endRule()
          .build(),
      new ClusterRoleBindingBuilder().withNewMetadata().withName("app").endMetadata()
          .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "read-peers")
          .addNewSubject().withKind("ServiceAccount").withName("app").withNamespace("ns").endSubject().build(),
      new RoleBuilder().withNewMetadata().withName("leases").withNamespace("ns").endMetadata()
          .addNewRule().withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("get", "update").endRule().build(),
      new RoleBindingBuilder().withNewMetadata().withName("leases").withNamespace("ns").endMetadata()
          .withNewRoleRef("rbac.authorization.k8s.io", "Role", "leases")
          .addNewSubject().withKind("ServiceAccount").withName("app").withNamespace("ns").endSubject().build()));

  private static RequestAttributes req(String method, String path) {
    return RequestAttributes.parse(method, path);
  }

  @Test
  void verbsResourcesAndSubresourcesMatchExactly() {
    assertTrue(RBAC.allows(SA, req("GET", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/n1")));
    assertTrue(RBAC.allows(SA, req("GET", "/apis/wgmesh.dev/v1alpha1/wireguardpeers")));
    assertFalse(RBAC.allows(SA, req("GET", "/apis/wgmesh.dev/v1alpha1/wireguardpeers?watch=true")), "watch is not list");
    assertFalse(RBAC.allows(SA, req("PATCH", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/n1")), "no patch on the object");
    assertFalse(RBAC.allows(SA, req("GET", "/apis/wgmesh.dev/v1alpha1/wireguardmeshes/m")));
    assertFalse(RBAC.allows(SA, req("GET", "/apis/other.dev/v1/wireguardpeers/n1")), "another API group");
  }

  @Test
  void resourceNamesRestrictToThoseObjects() {
    assertTrue(RBAC.allows(SA, req("PATCH", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/mine/status")));
    assertFalse(RBAC.allows(SA, req("PATCH", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/theirs/status")));
  }

  @Test
  void roleBindingsGrantOnlyInTheirNamespace() {
    assertTrue(RBAC.allows(SA, req("PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l")));
    assertFalse(RBAC.allows(SA, req("PATCH", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l")), "patch was not granted");
    assertFalse(RBAC.allows(SA, req("PUT", "/apis/coordination.k8s.io/v1/namespaces/other/leases/l")));
  }

  @Test
  void otherIdentitiesGetOnlyTheDefaults() {
    Identity other = Identity.serviceAccount("ns", "someone-else");
    assertFalse(RBAC.allows(other, req("GET", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/n1")));
    assertTrue(RBAC.allows(other, req("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")));
    assertTrue(RBAC.allows(other, req("GET", "/apis/wgmesh.dev/v1alpha1")), "discovery");
    assertTrue(RBAC.allows(Identity.ADMIN, req("DELETE", "/api/v1/namespaces/ns/secrets/x")));
  }

  @Test
  void denialsReadLikeKubeApiserver() {
    assertEquals("wireguardpeers.wgmesh.dev \"theirs\" is forbidden: User \"system:serviceaccount:ns:app\" cannot patch resource "
        + "\"wireguardpeers/status\" in API group \"wgmesh.dev\" at the cluster scope",
        Rbac.denial(SA, req("PATCH", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/theirs/status")));
  }
}
