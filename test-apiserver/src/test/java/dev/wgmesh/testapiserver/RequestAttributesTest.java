package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RequestAttributesTest {
  @Test
  void clusterScopedCustomResourceStatus() {
    RequestAttributes a = RequestAttributes.parse("PATCH", "/apis/wgmesh.dev/v1alpha1/wireguardpeers/n1/status");
    assertEquals(new RequestAttributes("patch", "wgmesh.dev", "v1alpha1", null, "wireguardpeers", "status", "n1",
        "/apis/wgmesh.dev/v1alpha1/wireguardpeers/n1/status"), a);
    assertEquals("wireguardpeers/status", a.resourceWithSubresource());
  }

  @Test
  void namespacedCoreResources() {
    RequestAttributes get = RequestAttributes.parse("GET", "/api/v1/namespaces/wgmesh-system/secrets/lab-registry-key");
    assertEquals("get", get.verb());
    assertEquals("", get.group());
    assertEquals("wgmesh-system", get.namespace());
    assertEquals("secrets", get.resource());
    assertEquals("lab-registry-key", get.name());
    assertEquals("list", RequestAttributes.parse("GET", "/api/v1/namespaces/x/secrets").verb());
    assertEquals("create", RequestAttributes.parse("POST", "/api/v1/namespaces/x/events").verb());
    assertEquals("deletecollection", RequestAttributes.parse("DELETE", "/api/v1/namespaces/x/pods").verb());
    assertEquals("update", RequestAttributes.parse("PUT", "/apis/coordination.k8s.io/v1/namespaces/x/leases/l").verb());
  }

  @Test
  void watchesAndNamesFromFieldSelectors() {
    RequestAttributes w = RequestAttributes.parse("GET",
        "/apis/wgmesh.dev/v1alpha1/wireguardnodeconfigs?fieldSelector=metadata.name%3Dn1&watch=true&resourceVersion=5");
    assertEquals("watch", w.verb());
    assertEquals("n1", w.name());
    RequestAttributes l = RequestAttributes.parse("GET", "/api/v1/nodes?labelSelector=a%3Db");
    assertEquals("list", l.verb());
    assertNull(l.name());
    assertNull(RequestAttributes.parse("GET", "/api/v1/nodes?fieldSelector=metadata.name!%3Dx").name());
  }

  @Test
  void namespacesAndDiscovery() {
    RequestAttributes ns = RequestAttributes.parse("GET", "/api/v1/namespaces/default");
    assertEquals("namespaces", ns.resource());
    assertEquals("default", ns.name());
    assertEquals("default", ns.namespace());
    assertFalse(RequestAttributes.parse("GET", "/apis/wgmesh.dev/v1alpha1").isResourceRequest());
    assertFalse(RequestAttributes.parse("GET", "/version").isResourceRequest());
    assertEquals("get", RequestAttributes.parse("GET", "/api").verb());
  }
}
