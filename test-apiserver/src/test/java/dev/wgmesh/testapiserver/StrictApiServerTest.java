package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The test API server refuses what kube-apiserver refuses, through a real client. */
class StrictApiServerTest {
  StrictApiServer api;
  KubernetesClient admin;

  @BeforeEach
  void start() {
    api = StrictApiServer.builder().meshes("lab").start();
    admin = api.admin();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  WireGuardPeer peer(String name) {
    WireGuardPeer peer = new WireGuardPeer();
    peer.getMetadata().setName(name);
    peer.getSpec().setMesh("lab");
    peer.getSpec().setPublicKey("x".repeat(42) + "A=");
    return peer;
  }

  static PatchContext json() {
    return PatchContext.of(PatchType.JSON);
  }

  static PatchContext merge() {
    return PatchContext.of(PatchType.JSON_MERGE);
  }

  @Test
  void jsonPatchUnderAMissingStatusIsRefusedAndRecorded() {
    admin.resource(peer("p1")).create();
    KubernetesClient operator = api.client(StrictApiServer.OPERATOR);
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> operator.resources(WireGuardPeer.class)
        .withName("p1").subresource("status").patch(json(), "[{\"op\":\"add\",\"path\":\"/status/address\",\"value\":\"10.0.0.1\"}]"));
    assertEquals(422, e.getCode());
    List<Rejection> taken = api.takeRejections(r -> r.code() == 422);
    assertEquals(1, taken.size(), "recorded: " + taken);
    assertTrue(taken.get(0).message().contains("Missing field"), taken.get(0).message());
  }

  @Test
  void anUntakenRefusalFailsClose() {
    StrictApiServer other = StrictApiServer.start();
    KubernetesClient agent = other.client(StrictApiServer.agentOn("n1"));
    assertThrows(KubernetesClientException.class, () -> agent.secrets().inNamespace(StrictApiServer.NAMESPACE).list());
    AssertionError e = assertThrows(AssertionError.class, other::close);
    assertTrue(e.getMessage().contains("403 GET /api/v1/namespaces/wgmesh-system/secrets as system:serviceaccount:wgmesh-system:wgmesh-agent"),
        e.getMessage());
  }

  @Test
  void mergePatchOnStatusWorksOnTheFirstWriteAndReplacesLists() {
    admin.resource(peer("p1")).create();
    KubernetesClient operator = api.client(StrictApiServer.OPERATOR);
    var peers = operator.resources(WireGuardPeer.class).withName("p1");
    peers.subresource("status").patch(merge(), "{\"status\":{\"address\":\"10.0.0.1\",\"allowedIPs\":[\"10.0.0.1/32\",\"10.1.0.0/24\"]}}");
    WireGuardPeer p = peers.subresource("status").patch(merge(), "{\"status\":{\"allowedIPs\":[\"10.0.0.1/32\"],\"ready\":null}}");
    assertEquals(List.of("10.0.0.1/32"), p.getStatus().getAllowedIPs());
    assertEquals("10.0.0.1", peers.get().getStatus().getAddress());
    p = peers.subresource("status").patch(merge(), "{\"status\":{\"address\":null}}");
    assertNull(p.getStatus().getAddress());
  }

  @Test
  void statusIsASubresource() {
    WireGuardPeer withStatus = peer("p1");
    WireGuardPeerStatus status = new WireGuardPeerStatus();
    status.setAddress("10.0.0.9");
    withStatus.setStatus(status);
    WireGuardPeer created = admin.resource(withStatus).create();
    // (the typed object starts with an empty status whatever the server holds: look at the JSON)
    String stored = admin.raw(api.url() + "/apis/wgmesh.dev/v1alpha1/wireguardpeers/p1");
    assertTrue(!stored.contains("\"status\"") && !stored.contains("10.0.0.9"), "create drops the status: " + stored);
    long generation = created.getMetadata().getGeneration();

    var peers = admin.resources(WireGuardPeer.class).withName("p1");
    peers.subresource("status").patch(merge(), "{\"spec\":{\"mesh\":\"other\"},\"status\":{\"address\":\"10.0.0.1\"}}");
    WireGuardPeer after = peers.get();
    assertEquals("lab", after.getSpec().getMesh(), "a status write leaves the spec");
    assertEquals("10.0.0.1", after.getStatus().getAddress());
    assertEquals(generation, after.getMetadata().getGeneration(), "a status write does not bump the generation");

    peers.patch(merge(), "{\"spec\":{\"endpointHints\":[\"192.0.2.1:51820\"]},\"status\":{\"address\":\"10.0.0.2\"}}");
    after = peers.get();
    assertEquals("10.0.0.1", after.getStatus().getAddress(), "a write of the object leaves the status");
    assertEquals(List.of("192.0.2.1:51820"), after.getSpec().getEndpointHints());
    assertTrue(after.getMetadata().getGeneration() > generation, "a spec change bumps the generation");
  }

  @Test
  void aStaleResourceVersionInAPatchConflicts() {
    WireGuardPeer created = admin.resource(peer("p1")).create();
    String stale = created.getMetadata().getResourceVersion();
    admin.resources(WireGuardPeer.class).withName("p1").patch(merge(), "{\"spec\":{\"endpointHints\":[\"192.0.2.1:1\"]}}");
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> admin.resources(WireGuardPeer.class).withName("p1")
        .patch(json(), "[{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + stale + "\"},"
            + "{\"op\":\"add\",\"path\":\"/spec/endpointHints\",\"value\":[]}]"));
    assertEquals(409, e.getCode());
  }

  @Test
  void strategicMergeAndServerSideApplyOfCustomResourcesAreRefused() {
    admin.resource(peer("p1")).create();
    var peers = admin.resources(WireGuardPeer.class).withName("p1");
    assertEquals(415, assertThrows(KubernetesClientException.class,
        () -> peers.patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"spec\":{}}")).getCode());
    assertEquals(415, assertThrows(KubernetesClientException.class,
        () -> peers.patch(PatchContext.of(PatchType.SERVER_SIDE_APPLY), "{\"spec\":{}}")).getCode());
    assertEquals(2, api.takeRejections(r -> r.code() == 415).size());
  }

  @Test
  void eachComponentHasTheChartsRbac() {
    KubernetesClient registry = api.client(StrictApiServer.REGISTRY);
    KubernetesClient operator = api.client(StrictApiServer.OPERATOR);
    admin.secrets().inNamespace(StrictApiServer.NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName("lab-registry-key")
        .endMetadata().build()).create();
    admin.secrets().inNamespace(StrictApiServer.NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName("other")
        .endMetadata().build()).create();
    assertNotNull(registry.secrets().inNamespace(StrictApiServer.NAMESPACE).withName("lab-registry-key").get());
    assertEquals(403, assertThrows(KubernetesClientException.class,
        () -> registry.secrets().inNamespace(StrictApiServer.NAMESPACE).withName("other").get()).getCode());
    // Leader election patches its Lease (the chart once allowed only create, get, update).
    operator.leases().inNamespace(StrictApiServer.NAMESPACE).resource(new LeaseBuilder().withNewMetadata().withName("wgmesh-operator")
        .endMetadata().withNewSpec().withHolderIdentity("a").endSpec().build()).create();
    operator.leases().inNamespace(StrictApiServer.NAMESPACE).withName("wgmesh-operator")
        .patch(merge(), "{\"spec\":{\"holderIdentity\":\"b\"}}");
    assertEquals("b", admin.leases().inNamespace(StrictApiServer.NAMESPACE).withName("wgmesh-operator").get().getSpec().getHolderIdentity());
    assertEquals(1, api.takeRejections(r -> r.code() == 403 && r.path().endsWith("/secrets/other")).size());
  }

  @Test
  void rulesReviewsTellWhatTheRbacAllows() {
    KubernetesClient operator = api.client(StrictApiServer.OPERATOR);
    SelfSubjectRulesReview review = operator.authorization().v1().selfSubjectRulesReview().create(new SelfSubjectRulesReviewBuilder()
        .withNewSpec().withNamespace(StrictApiServer.NAMESPACE).endSpec().build());
    assertTrue(review.getStatus().getResourceRules().stream()
        .anyMatch(r -> r.getResources().contains("leases") && r.getVerbs().contains("patch")), review.getStatus().toString());
  }

  @Test
  void unknownTokensAreUnauthorized() {
    KubernetesClient stranger = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(api.config(Identity.ADMIN).withOauthToken("not-a-token").build()).build();
    try {
      assertEquals(401, assertThrows(KubernetesClientException.class, () -> stranger.resources(WireGuardPeer.class).list()).getCode());
    } finally {
      stranger.close();
    }
    assertEquals(1, api.takeRejections(r -> r.code() == 401).size());
  }

  @Test
  void aSecretsStringDataIsStoredAsDataAndNeverReturned() {
    admin.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata().withName("s").endMetadata()
        .addToData("a", "MQ==").addToData("b", "Mg==").addToStringData("b", "two").addToStringData("c", "three").build()).create();

    io.fabric8.kubernetes.api.model.Secret stored = admin.secrets().inNamespace("default").withName("s").get();
    assertEquals(java.util.Map.of("a", "MQ==", "b", "dHdv", "c", "dGhyZWU="), stored.getData());
    assertTrue(stored.getStringData() == null || stored.getStringData().isEmpty(), "stringData is write-only: " + stored.getStringData());

    admin.secrets().inNamespace("default").withName("s").patch(merge(), "{\"stringData\":{\"a\":\"one\"}}");
    stored = admin.secrets().inNamespace("default").withName("s").get();
    assertEquals("b25l", stored.getData().get("a"));
    assertTrue(stored.getStringData() == null || stored.getStringData().isEmpty());
  }

  @Test
  void builtInObjectNamesFollowTheirKindsRule() {
    KubernetesClientException service = assertThrows(KubernetesClientException.class, () -> admin.services().inNamespace("default")
        .resource(new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata().withName("prod.eu-west-registry").endMetadata()
            .withNewSpec().addNewPort().withPort(51820).withProtocol("UDP").endPort().endSpec().build()).create());
    assertEquals(422, service.getCode());
    assertEquals("Service \"prod.eu-west-registry\" is invalid: metadata.name: Invalid value: \"prod.eu-west-registry\": a DNS-1035 label"
        + " must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric"
        + " character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')", service.getStatus().getMessage());
    assertEquals("metadata.name", service.getStatus().getDetails().getCauses().get(0).getField());
    assertThrows(KubernetesClientException.class, () -> admin.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model
        .ServiceBuilder().withNewMetadata().withName("9lives").endMetadata().build()).create(), "a Service's name starts with a letter");
    assertThrows(KubernetesClientException.class, () -> admin.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model
        .ServiceBuilder().withNewMetadata().withName("s".repeat(64)).endMetadata().build()).create(), "at most 63 characters");
    admin.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata()
        .withName("s".repeat(63)).endMetadata().build()).create();

    // Secrets, Deployments: subdomains, dots allowed, at most 253.
    admin.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata().withName("prod.eu-west-registry-key").endMetadata()
        .build()).create();
    KubernetesClientException secret = assertThrows(KubernetesClientException.class, () -> admin.secrets().inNamespace("default")
        .resource(new SecretBuilder().withNewMetadata().withName("Upper_case").endMetadata().build()).create());
    assertTrue(secret.getStatus().getMessage().startsWith("Secret \"Upper_case\" is invalid: metadata.name: Invalid value: \"Upper_case\": "
        + "a lowercase RFC 1123 subdomain"), secret.getStatus().getMessage());
    io.fabric8.kubernetes.api.model.apps.Deployment deployment = new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
        .withNewMetadata().withName("prod.eu-west-registry").endMetadata()
        .withNewSpec().withNewSelector().addToMatchLabels("a", "b").endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("a", "b").endMetadata().endTemplate().endSpec().build();
    admin.apps().deployments().inNamespace("default").resource(deployment).create();
    deployment.getMetadata().setName("d".repeat(254));
    KubernetesClientException tooLong = assertThrows(KubernetesClientException.class,
        () -> admin.apps().deployments().inNamespace("default").resource(deployment).create());
    assertTrue(tooLong.getStatus().getMessage().startsWith("Deployment.apps \""), tooLong.getStatus().getMessage());

    // Label values, also in a pod template: at most 63 characters.
    deployment.getMetadata().setName("labelled");
    deployment.getSpec().getTemplate().getMetadata().getLabels().put("wgmesh.dev/mesh", "m".repeat(64));
    KubernetesClientException label = assertThrows(KubernetesClientException.class,
        () -> admin.apps().deployments().inNamespace("default").resource(deployment).create());
    assertTrue(label.getStatus().getMessage().contains("spec.template.metadata.labels: Invalid value: \"" + "m".repeat(64) + "\": must be no more than 63"),
        label.getStatus().getMessage());
    // Updates too.
    io.fabric8.kubernetes.api.model.Secret stored = admin.secrets().inNamespace("default").withName("prod.eu-west-registry-key").get();
    stored.getMetadata().setLabels(java.util.Map.of("x", "-bad-"));
    assertThrows(KubernetesClientException.class, () -> admin.secrets().inNamespace("default").resource(stored).update());
    assertEquals(7, api.takeRejections(r -> r.code() == 422).size());
  }
}
