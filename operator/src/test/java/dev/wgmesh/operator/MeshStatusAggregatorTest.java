package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.MeshPlan;
import dev.wgmesh.operator.model.PeerOutcome;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeshStatusAggregatorTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");

  static WireGuardMesh mesh(WireGuardMeshStatus status) {
    WireGuardMesh mesh = new WireGuardMesh();
    mesh.setMetadata(new ObjectMetaBuilder().withName("m").withGeneration(3L).build());
    mesh.setStatus(status);
    return mesh;
  }

  static MeshPlan plan(boolean valid, int included, int excluded) {
    Map<String, PeerOutcome> peers = new java.util.HashMap<>();
    for (int i = 0; i < included; i++) {
      peers.put("in" + i, new PeerOutcome("10.88.0." + (i + 1), List.of(), List.of(), true));
    }
    for (int i = 0; i < excluded; i++) {
      peers.put("out" + i, new PeerOutcome(null, List.of(), List.of(), false));
    }
    List<Condition> meshConditions = valid
        ? List.of(Conditions.isTrue(Conditions.REGISTRY_READY, "KeyReady", "the registry's key exists"))
        : List.of(Conditions.isFalse(Conditions.READY, Conditions.INVALID_SPEC, "spec.network is required"));
    return new MeshPlan(peers, valid ? Map.of("n1", new dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec()) : Map.of(), Map.of(),
        meshConditions, valid ? List.of(new MeshPlan.Registry(null, "m-registry", "10.88.0.254", "203.0.113.5:51820", "PUB")) : List.of(),
        valid);
  }

  /** Two registries, eu and us, the second without its key yet when {@code usKey} is null. */
  static MeshPlan twoRegistries(String usKey) {
    List<Condition> meshConditions = List.of(usKey == null
        ? Conditions.isFalse(Conditions.REGISTRY_READY, "KeyPending", "the key of registry us is not created yet")
        : Conditions.isTrue(Conditions.REGISTRY_READY, "KeyReady", "every registry's key exists"));
    return new MeshPlan(Map.of(), Map.of(), Map.of(), meshConditions, List.of(
        new MeshPlan.Registry("eu", "m-registry-eu", "10.88.0.254", "203.0.113.5:51820", "EU"),
        new MeshPlan.Registry("us", "m-registry-us", "10.88.0.253", "198.51.100.5:51820", usKey)), true);
  }

  /** A node's config whose agent reports eu and us as given (null: cannot tell). */
  static WireGuardNodeConfig reporting(Boolean eu, Boolean us) {
    WireGuardNodeConfig config = config(false, 0, 0);
    config.getStatus().setRegistries(List.of(new WireGuardNodeConfigStatus.RegistryHealth("eu", "10.88.0.254", eu),
        new WireGuardNodeConfigStatus.RegistryHealth("us", "10.88.0.253", us)));
    return config;
  }

  static Deployment deployment(int available) {
    return new DeploymentBuilder().withNewMetadata().withName("m-registry").withNamespace("ns").endMetadata()
        .withNewStatus().withAvailableReplicas(available).endStatus().build();
  }

  static WireGuardNodeConfig config(boolean registry, int direct, int relayed) {
    WireGuardNodeConfig config = new WireGuardNodeConfig();
    config.setMetadata(new ObjectMetaBuilder().withName(registry ? "m-registry" : "n").build());
    config.getSpec().setRegistry(registry ? true : null);
    WireGuardNodeConfigStatus status = new WireGuardNodeConfigStatus();
    status.setDirect(direct);
    status.setRelayed(relayed);
    config.setStatus(status);
    return config;
  }

  static Condition condition(WireGuardMeshStatus status, String type) {
    return status.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void countsAndConditionsOfAHealthyMesh() {
    WireGuardMeshStatus status = new MeshStatusAggregator(mesh(null), T0)
        .plan(plan(true, 3, 1), 4)
        .registryDeployments(Map.of("m-registry", deployment(1)))
        .paths(List.of(config(false, 2, 0), config(false, 1, 1), config(true, 3, 0)))
        .build();
    assertEquals(4, status.getPeers());
    assertEquals(3, status.getReady());
    assertEquals(3, status.getDirect(), "the registry's own config does not count");
    assertEquals(1, status.getRelayed());
    assertEquals("PUB", status.getRegistries().get(0).getPublicKey());
    assertEquals("10.88.0.254", status.getRegistries().get(0).getAddress());
    assertEquals(null, status.getRegistries().get(0).getHealthy(), "no agent reported on it");
    assertEquals("0/1", status.getRegistrySummary());
    assertEquals(3L, status.getObservedGeneration());
    assertEquals(Condition.TRUE, condition(status, "Ready").getStatus());
    assertEquals(Condition.TRUE, condition(status, "RegistryReady").getStatus());
    assertEquals("2026-01-01T00:00:00Z", condition(status, "Ready").getLastTransitionTime());
    assertEquals(3L, condition(status, "Ready").getObservedGeneration());
  }

  @Test
  void transitionTimesMoveOnlyWithTheStatus() {
    WireGuardMeshStatus first = new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 1, 0), 1)
        .registryDeployments(Map.of("m-registry", deployment(0))).build();
    WireGuardMeshStatus same = new MeshStatusAggregator(mesh(first), T1).plan(plan(true, 1, 0), 1)
        .registryDeployments(Map.of("m-registry", deployment(0))).build();
    assertEquals(first.getConditions(), same.getConditions(), "nothing changed: nothing to write");
    WireGuardMeshStatus available = new MeshStatusAggregator(mesh(first), T1).plan(plan(true, 1, 0), 1)
        .registryDeployments(Map.of("m-registry", deployment(1))).build();
    assertEquals("2026-01-01T00:05:00Z", condition(available, "RegistryReady").getLastTransitionTime());
    assertEquals("2026-01-01T00:00:00Z", condition(available, "Ready").getLastTransitionTime());
  }

  @Test
  void registryReadinessSaysWhatIsMissing() {
    assertEquals("the key of registry us is not created yet", condition(new MeshStatusAggregator(mesh(null), T0).plan(twoRegistries(null), 0)
        .build(), "RegistryReady").getMessage());
    assertEquals("KeyInvalid", condition(new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 0, 0), 0)
        .registryKeyProblems(List.of("the Secret holds no valid private key")).build(), "RegistryReady").getReason());
    assertEquals("the registry Deployment m-registry-us does not exist yet", condition(new MeshStatusAggregator(mesh(null), T0)
        .plan(twoRegistries("US"), 0).registryDeployments(Map.of("m-registry-eu", deployment(1))).build(), "RegistryReady").getMessage());
    assertEquals("DeploymentPending", condition(new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 0, 0), 0)
        .build(), "RegistryReady").getReason());
    assertEquals("DeploymentUnavailable", condition(new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 0, 0), 0)
        .registryDeployments(Map.of("m-registry", deployment(0))).build(), "RegistryReady").getReason());
  }

  @Test
  void anInvalidSpecAndAFailedReconcileMakeTheMeshNotReady() {
    WireGuardMeshStatus invalid = new MeshStatusAggregator(mesh(null), T0).plan(plan(false, 0, 0), 2)
        .registryDeployments(Map.of("m-registry", deployment(1))).build();
    assertEquals(Conditions.INVALID_SPEC, condition(invalid, "Ready").getReason());
    assertEquals(2, invalid.getPeers());

    WireGuardMeshStatus healthy = new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 1, 0), 1)
        .registryDeployments(Map.of("m-registry", deployment(1))).build();
    WireGuardMeshStatus failed = MeshStatusAggregator.failed(mesh(healthy), new IllegalStateException("API server unreachable"), T1);
    assertEquals(Condition.FALSE, condition(failed, "Ready").getStatus());
    assertEquals("ReconcileError", condition(failed, "Ready").getReason());
    assertEquals("API server unreachable", condition(failed, "Ready").getMessage());
    assertEquals(condition(healthy, "RegistryReady"), condition(failed, "RegistryReady"), "the rest is kept");
    assertEquals(healthy.getRegistries().get(0).getPublicKey(), failed.getRegistries().get(0).getPublicKey());
  }

  @Test
  void configsOfAnotherMeshAreReported() {
    WireGuardMeshStatus status = new MeshStatusAggregator(mesh(null), T0).plan(plan(true, 1, 0), 1)
        .conflicts(List.of("n7")).build();
    assertTrue(condition(status, "NodeConfigConflict").getMessage().contains("n7"));
  }

  @Test
  void registryHealthComesFromWhatTheNodesAgentsReport() {
    WireGuardMeshStatus status = new MeshStatusAggregator(mesh(null), T0).plan(twoRegistries("US"), 3)
        .paths(List.of(reporting(true, false), reporting(true, false), reporting(true, true), reporting(null, null), config(true, 0, 0)))
        .build();
    WireGuardMeshStatus.RegistryStatus eu = status.getRegistries().get(0);
    WireGuardMeshStatus.RegistryStatus us = status.getRegistries().get(1);
    assertEquals(List.of("eu", 3, 3, true), List.of(eu.getName(), eu.getReachableFrom(), eu.getNodes(), eu.getHealthy()));
    assertEquals(List.of("us", 1, 3, false), List.of(us.getName(), us.getReachableFrom(), us.getNodes(), us.getHealthy()),
        "two of three nodes cannot reach it");
    assertEquals("198.51.100.5:51820", us.getEndpoint());
    assertEquals("1/2", status.getRegistrySummary());
  }

  @Test
  void theHealthRule() {
    assertEquals(null, MeshStatusAggregator.healthy(0, 0), "nobody reported: unknown");
    assertEquals(true, MeshStatusAggregator.healthy(1, 1));
    assertEquals(true, MeshStatusAggregator.healthy(1, 2), "half unreachable is still healthy (one node's firewall)");
    assertEquals(false, MeshStatusAggregator.healthy(1, 3), "most nodes get no answer");
    assertEquals(false, MeshStatusAggregator.healthy(0, 5));
    assertEquals(true, MeshStatusAggregator.healthy(3, 5));
  }
}
