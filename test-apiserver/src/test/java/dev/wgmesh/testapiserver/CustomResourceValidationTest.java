package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The test API server validates custom resources against their CRD as kube-apiserver does, through a real client. */
class CustomResourceValidationTest {
  static final String KEY = "x".repeat(42) + "A=";

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

  static WireGuardPeer peer(String name, String node) {
    WireGuardPeer peer = new WireGuardPeer();
    peer.getMetadata().setName(name);
    peer.getSpec().setMesh("lab");
    peer.getSpec().setPublicKey(KEY);
    peer.getSpec().setNodeName(node);
    return peer;
  }

  static WireGuardMesh mesh(String name) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.getMetadata().setName(name);
    mesh.getSpec().setNetwork("10.88.0.0/16");
    mesh.getSpec().setRegistry(new WireGuardMeshSpec.RegistrySpec());
    return mesh;
  }

  /** The write is refused with 422 Invalid; its recorded rejection is taken and its message returned. */
  String invalid(Executable write) {
    KubernetesClientException e = assertThrows(KubernetesClientException.class, write);
    assertEquals(422, e.getCode(), e.getMessage());
    assertEquals("Invalid", e.getStatus().getReason());
    List<Rejection> taken = api.takeRejections(r -> r.code() == 422);
    assertEquals(1, taken.size(), "recorded: " + taken);
    assertEquals(e.getStatus().getMessage(), taken.get(0).message());
    return taken.get(0).message();
  }

  @Test
  void aValidObjectPasses() {
    admin.resource(mesh("lab")).create();
    admin.resource(peer("n1", "n1")).create();
    assertEquals(List.of(), api.rejections());
  }

  @Test
  void anInvalidSpecIsRefusedNamingTheField() {
    WireGuardPeer bad = peer("p1", null);
    bad.getSpec().setPublicKey("not-a-key");
    String message = invalid(() -> admin.resource(bad).create());
    assertTrue(message.startsWith("WireGuardPeer.wgmesh.dev \"p1\" is invalid: spec.publicKey: Invalid value: \"not-a-key\": "
        + "spec.publicKey in body should match '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$'"), message);
    assertNull(admin.resources(WireGuardPeer.class).withName("p1").get(), "nothing stored");

    WireGuardMesh mtu = mesh("lab");
    mtu.getSpec().setMtu(100);
    mtu.getSpec().setRelay("Sometimes");
    message = invalid(() -> admin.resource(mtu).create());
    assertTrue(message.contains("spec.mtu: Invalid value: 100: spec.mtu in body should be greater than or equal to 1280"), message);
    assertTrue(message.contains("spec.relay: Unsupported value: \"Sometimes\": supported values: \"Auto\", \"Disabled\""), message);
  }

  @Test
  void aRuleViolationIsRefused() {
    WireGuardMesh outside = mesh("lab");
    outside.getSpec().getRegistry().setAddress("10.99.0.1");
    assertEquals("WireGuardMesh.wgmesh.dev \"lab\" is invalid: spec.registry.address: Invalid value: \"object\": "
        + "registry.address must lie inside network", invalid(() -> admin.resource(outside).create()));

    WireGuardMesh both = mesh("lab");
    both.getSpec().setRegistries(List.of(new WireGuardMeshSpec.RegistrySpec()));
    String message = invalid(() -> admin.resource(both).create());
    assertTrue(message.contains("spec: Invalid value: \"object\": set exactly one of registry"), message);
  }

  /** The rule's own message reaches the user: with reason FieldValueDuplicate kube-apiserver would drop it. */
  @Test
  void twoRegistriesOfOneNameAreRefusedWithTheRulesMessage() {
    WireGuardMesh twice = mesh("lab");
    twice.getSpec().setRegistry(null);
    WireGuardMeshSpec.RegistrySpec a = new WireGuardMeshSpec.RegistrySpec();
    a.setName("eu");
    WireGuardMeshSpec.RegistrySpec b = new WireGuardMeshSpec.RegistrySpec();
    b.setName("eu");
    twice.getSpec().setRegistries(List.of(a, b));
    assertEquals("WireGuardMesh.wgmesh.dev \"lab\" is invalid: spec.registries: Invalid value: \"object\": "
        + "the names of registries are unique", invalid(() -> admin.resource(twice).create()));
  }

  @Test
  void aTransitionRuleAllowsCreateAndRefusesAChange() {
    admin.resource(peer("p1", "n1")).create();
    WireGuardPeer moved = admin.resources(WireGuardPeer.class).withName("p1").get();
    moved.getSpec().setNodeName("n2");
    assertEquals("WireGuardPeer.wgmesh.dev \"p1\" is invalid: spec.nodeName: Forbidden: nodeName is immutable",
        invalid(() -> admin.resource(moved).update()));

    String message = invalid(() -> admin.resources(WireGuardPeer.class).withName("p1")
        .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/spec/nodeName\"}]"));
    assertEquals("WireGuardPeer.wgmesh.dev \"p1\" is invalid: spec.nodeName: Forbidden: nodeName cannot be added or removed: "
        + "delete the peer and create it anew", message);

    admin.resources(WireGuardPeer.class).withName("p1")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"publicKey\":\"" + "y".repeat(42) + "Q=\"}}");
    assertEquals("y".repeat(42) + "Q=", admin.resources(WireGuardPeer.class).withName("p1").get().getSpec().getPublicKey());
  }

  @Test
  void statusWritesAreValidatedAgainstTheStatusSchema() {
    admin.resource(peer("p1", "n1")).create();
    KubernetesClient operator = api.client(StrictApiServer.OPERATOR);
    String message = invalid(() -> operator.resources(WireGuardPeer.class).withName("p1").subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"observedGeneration\":\"one\"}}"));
    assertEquals("WireGuardPeer.wgmesh.dev \"p1\" is invalid: [status.observedGeneration: Invalid value: \"one\": "
        + "status.observedGeneration in body must be of type integer: \"string\", <nil>: Invalid value: some validation rules "
        + "were not checked because the object was invalid; correct the existing errors to complete validation]", message);

    WireGuardPeer withStatus = admin.resources(WireGuardPeer.class).withName("p1").get();
    WireGuardPeerStatus status = new WireGuardPeerStatus();
    status.setAddress("10.88.0.1");
    withStatus.setStatus(status);
    operator.resource(withStatus).updateStatus();
    assertEquals("10.88.0.1", admin.resources(WireGuardPeer.class).withName("p1").get().getStatus().getAddress());
  }

  @Test
  void unknownFieldsArePrunedWithAWarning() {
    GenericKubernetesResource peer = new GenericKubernetesResource();
    peer.setApiVersion("wgmesh.dev/v1alpha1");
    peer.setKind("WireGuardPeer");
    peer.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("p1").build());
    peer.setAdditionalProperty("spec", Map.of("mesh", "lab", "publicKey", KEY, "colour", "blue"));
    admin.genericKubernetesResources("wgmesh.dev/v1alpha1", "WireGuardPeer").resource(peer).create();
    Map<?, ?> spec = (Map<?, ?>) admin.genericKubernetesResources("wgmesh.dev/v1alpha1", "WireGuardPeer").withName("p1").get()
        .getAdditionalProperties().get("spec");
    assertFalse(spec.containsKey("colour"), "pruned: " + spec);
    assertEquals("lab", spec.get("mesh"));
  }

  @Test
  void aBadNameIsRefused() {
    String message = invalid(() -> admin.resource(peer("Laptop", null)).create());
    assertFalse(message.contains("spec."), message);
    assertTrue(message.startsWith("WireGuardPeer.wgmesh.dev \"Laptop\" is invalid: metadata.name: Invalid value: \"Laptop\": "
        + "a lowercase RFC 1123 subdomain"), message);
  }

}
