package dev.wgmesh.testapiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store finds one object by resource, namespace and name, and still behaves as fabric8's CRUD
 * store did for every case where a key alone could get it wrong: same names in other namespaces or
 * other resources, objects whose stored attributes change (labels), deletes, conflicts.
 */
class IndexedCrudStoreTest {
  StrictApiServer api;
  KubernetesClient admin;

  @BeforeEach
  void start() {
    api = StrictApiServer.builder().meshes("lab").start();
    admin = api.admin();
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("other").endMetadata().build()).create();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  static ConfigMap configMap(String namespace, String name, String value) {
    return new ConfigMapBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .addToData("v", value).build();
  }

  @Test
  void theSameNameInTwoNamespacesIsTwoObjects() {
    admin.configMaps().inNamespace("default").resource(configMap("default", "x", "a")).create();
    admin.configMaps().inNamespace("other").resource(configMap("other", "x", "b")).create();

    assertEquals("a", admin.configMaps().inNamespace("default").withName("x").get().getData().get("v"));
    assertEquals("b", admin.configMaps().inNamespace("other").withName("x").get().getData().get("v"));

    admin.configMaps().inNamespace("default").withName("x").delete();
    assertNull(admin.configMaps().inNamespace("default").withName("x").get());
    assertEquals("b", admin.configMaps().inNamespace("other").withName("x").get().getData().get("v"));
  }

  @Test
  void theSameNameInTwoResourcesIsTwoObjects() {
    admin.configMaps().inNamespace("default").resource(configMap("default", "x", "a")).create();
    admin.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata().withName("x").endMetadata()
        .addToData("s", "dA==").build()).create();

    assertEquals("a", admin.configMaps().inNamespace("default").withName("x").get().getData().get("v"));
    assertEquals(1, admin.secrets().inNamespace("default").withName("x").get().getData().size());
  }

  @Test
  void aSecondCreateConflictsAndACreateAfterADeleteDoesNot() {
    admin.configMaps().inNamespace("default").resource(configMap("default", "x", "a")).create();
    KubernetesClientException e = assertThrows(KubernetesClientException.class,
        () -> admin.configMaps().inNamespace("default").resource(configMap("default", "x", "b")).create());
    assertEquals(409, e.getCode());

    admin.configMaps().inNamespace("default").withName("x").delete();
    admin.configMaps().inNamespace("default").resource(configMap("default", "x", "c")).create();
    assertEquals("c", admin.configMaps().inNamespace("default").withName("x").get().getData().get("v"));
    assertEquals(1, admin.configMaps().inNamespace("default").list().getItems().stream()
        .filter(c -> c.getMetadata().getName().equals("x")).count());
  }

  @Test
  void anObjectWhoseLabelsChangeIsFoundByNameAndByItsNewLabels() {
    admin.configMaps().inNamespace("default").resource(configMap("default", "x", "a")).create();
    admin.configMaps().inNamespace("default").withName("x").edit(c -> {
      c.getMetadata().setLabels(Map.of("role", "new"));
      c.getData().put("v", "b");
      return c;
    });

    assertEquals("b", admin.configMaps().inNamespace("default").withName("x").get().getData().get("v"));
    assertEquals(1, admin.configMaps().inNamespace("default").withLabel("role", "new").list().getItems().size());
    assertEquals(0, admin.configMaps().inNamespace("default").withLabel("role", "old").list().getItems().size());
  }

  @Test
  void aStatusWriteOfACustomResourceIsReadBackByName() {
    WireGuardPeer peer = new WireGuardPeer();
    peer.getMetadata().setName("p1");
    peer.getSpec().setMesh("lab");
    peer.getSpec().setPublicKey("x".repeat(42) + "A=");
    admin.resource(peer).create();
    WireGuardPeer stored = admin.resources(WireGuardPeer.class).withName("p1").get();
    WireGuardPeerStatus status = new WireGuardPeerStatus();
    status.setObservedGeneration(stored.getMetadata().getGeneration());
    stored.setStatus(status);
    admin.resource(stored).updateStatus();

    assertEquals(stored.getMetadata().getGeneration(),
        admin.resources(WireGuardPeer.class).withName("p1").get().getStatus().getObservedGeneration());
    assertEquals(1, admin.resources(WireGuardPeer.class).list().getItems().size());
  }

  @Test
  void objectsThatWereDeletedAreNotFoundAndNotCounted() {
    for (int i = 0; i < 50; i++) {
      admin.configMaps().inNamespace("default").resource(configMap("default", "c" + i, "v" + i)).create();
    }
    for (int i = 0; i < 50; i += 2) {
      admin.configMaps().inNamespace("default").withName("c" + i).delete();
    }
    for (int i = 0; i < 50; i++) {
      ConfigMap c = admin.configMaps().inNamespace("default").withName("c" + i).get();
      if (i % 2 == 0) {
        assertNull(c, "c" + i);
      } else {
        assertEquals("v" + i, c.getData().get("v"));
      }
    }
    assertEquals(25, admin.configMaps().inNamespace("default").list().getItems().stream()
        .filter(c -> c.getMetadata().getName().startsWith("c")).count());
  }

  @Test
  void everyChangeMovesTheResourceVersionAndOnlyASpecChangeMovesTheGeneration() {
    WireGuardPeer peer = new WireGuardPeer();
    peer.getMetadata().setName("p2");
    peer.getSpec().setMesh("lab");
    peer.getSpec().setPublicKey("y".repeat(42) + "A=");
    admin.resource(peer).create();
    WireGuardPeer created = admin.resources(WireGuardPeer.class).withName("p2").get();

    created.getMetadata().setLabels(Map.of("a", "b"));
    WireGuardPeer labelled = admin.resource(created).update();
    assertNotEquals(created.getMetadata().getResourceVersion(), labelled.getMetadata().getResourceVersion());
    assertEquals(created.getMetadata().getGeneration(), labelled.getMetadata().getGeneration());

    labelled.getSpec().setEndpoint("198.51.100.7:51820");
    WireGuardPeer moved = admin.resource(labelled).update();
    assertEquals(created.getMetadata().getGeneration() + 1, moved.getMetadata().getGeneration());

    WireGuardPeerStatus status = new WireGuardPeerStatus();
    status.setObservedGeneration(moved.getMetadata().getGeneration());
    moved.setStatus(status);
    WireGuardPeer reported = admin.resource(moved).updateStatus();
    assertNotEquals(moved.getMetadata().getResourceVersion(), reported.getMetadata().getResourceVersion());
    assertEquals(moved.getMetadata().getGeneration(), reported.getMetadata().getGeneration());
  }
}
