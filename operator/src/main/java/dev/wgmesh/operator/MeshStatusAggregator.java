package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.MeshPlan;
import dev.wgmesh.operator.model.PeerOutcome;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Builds a WireGuardMesh's status, conditions included, in one place (as Keycloak's operator
 * does): the reconciler reports what it found and did, and {@link #build()} decides what that
 * means for Ready and RegistryReady.
 *
 * <ul>
 *   <li>Ready: every node config is rendered from a valid spec (False with InvalidSpec when the
 *       spec is unusable, ReconcileError when the last reconcile failed).
 *   <li>RegistryReady: the registry has its key and its Deployment has an available pod.
 * </ul>
 */
final class MeshStatusAggregator {
  static final String RECONCILE_ERROR = "ReconcileError";
  static final String CONFIG_CONFLICT = "NodeConfigConflict";

  private final WireGuardMesh mesh;
  private final Instant now;
  private MeshPlan plan;
  private int peerCount;
  private String registryPublicKey;
  private String keyProblem;
  private Deployment registryDeployment;
  private int direct;
  private int relayed;
  private int pending;
  private List<String> conflicts = List.of();

  MeshStatusAggregator(WireGuardMesh mesh, Instant now) {
    this.mesh = mesh;
    this.now = now;
  }

  MeshStatusAggregator plan(MeshPlan plan, int peerCount) {
    this.plan = plan;
    this.peerCount = peerCount;
    return this;
  }

  /** The registry's public key, or why there is none usable ({@code problem}, never key material). */
  MeshStatusAggregator registryKey(String publicKey, String problem) {
    this.registryPublicKey = publicKey;
    this.keyProblem = problem;
    return this;
  }

  MeshStatusAggregator registryDeployment(Deployment deployment) {
    this.registryDeployment = deployment;
    return this;
  }

  /** Path counts as the agents report them in their node configs' status (the registry's own excluded). */
  MeshStatusAggregator paths(Collection<WireGuardNodeConfig> configs) {
    for (WireGuardNodeConfig config : configs) {
      if (config.getStatus() == null || Boolean.TRUE.equals(config.getSpec().getRegistry())) {
        continue;
      }
      direct += zeroIfNull(config.getStatus().getDirect());
      relayed += zeroIfNull(config.getStatus().getRelayed());
      pending += zeroIfNull(config.getStatus().getPending());
    }
    return this;
  }

  /** Node configs this mesh should write but another mesh owns (a node selected by two meshes). */
  MeshStatusAggregator conflicts(List<String> names) {
    this.conflicts = List.copyOf(names);
    return this;
  }

  WireGuardMeshStatus build() {
    WireGuardMeshStatus previous = mesh.getStatus() == null ? new WireGuardMeshStatus() : mesh.getStatus();
    WireGuardMeshStatus status = new WireGuardMeshStatus();
    status.setObservedGeneration(mesh.getMetadata().getGeneration());
    status.setPeers(peerCount);
    status.setReady((int) plan.peers().values().stream().filter(PeerOutcome::included).count());
    status.setDirect(direct);
    status.setRelayed(relayed);
    status.setRegistryPublicKey(registryPublicKey);
    status.setRegistryAddress(plan.registryAddress() != null ? plan.registryAddress() : previous.getRegistryAddress());

    List<Condition> conditions = new ArrayList<>();
    conditions.add(ready(status));
    conditions.add(registryReady());
    plan.meshConditions().stream()
        .filter(c -> !c.getType().equals(Conditions.READY) && !c.getType().equals(Conditions.REGISTRY_READY))
        .forEach(conditions::add);
    if (!conflicts.isEmpty()) {
      conditions.add(Conditions.isTrue(CONFIG_CONFLICT, "OwnedByAnotherMesh",
          "node configs or peer sets owned by another mesh, left alone: " + String.join(", ", conflicts)));
    }
    status.setConditions(StatusConditions.merge(previous.getConditions(), conditions, now, mesh.getMetadata().getGeneration()));
    return status;
  }

  /** The previous status with Ready=False: a failed reconcile changes nothing else it reported. */
  static WireGuardMeshStatus failed(WireGuardMesh mesh, Exception e, Instant now) {
    WireGuardMeshStatus previous = mesh.getStatus() == null ? new WireGuardMeshStatus() : mesh.getStatus();
    WireGuardMeshStatus status = copy(previous);
    List<Condition> conditions = new ArrayList<>();
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    conditions.add(Conditions.isFalse(Conditions.READY, RECONCILE_ERROR, truncate(message)));
    status.getConditions().stream().filter(c -> !Conditions.READY.equals(c.getType())).forEach(conditions::add);
    status.setConditions(StatusConditions.merge(previous.getConditions(), conditions, now, mesh.getMetadata().getGeneration()));
    return status;
  }

  private Condition ready(WireGuardMeshStatus status) {
    if (!plan.valid()) {
      return StatusConditions.find(plan.meshConditions(), Conditions.READY)
          .orElse(Conditions.isFalse(Conditions.READY, Conditions.INVALID_SPEC, "the mesh spec is not usable"));
    }
    return Conditions.isTrue(Conditions.READY, "Rendered", plan.nodeConfigs().size() + " node configs rendered; "
        + status.getReady() + " of " + status.getPeers() + " peers in the mesh; paths: " + direct + " direct, "
        + relayed + " relayed, " + pending + " pending");
  }

  private Condition registryReady() {
    if (keyProblem != null) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "KeyInvalid", keyProblem);
    }
    Optional<Condition> planned = StatusConditions.find(plan.meshConditions(), Conditions.REGISTRY_READY);
    if (registryPublicKey == null) {
      return planned.filter(c -> !c.isTrue())
          .orElse(Conditions.isFalse(Conditions.REGISTRY_READY, "KeyPending", "the registry's key is not created yet"));
    }
    String name = mesh.getMetadata().getName() + "-registry";
    if (registryDeployment == null) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "DeploymentPending", "the registry Deployment " + name + " does not exist yet");
    }
    Integer available = registryDeployment.getStatus() == null ? null : registryDeployment.getStatus().getAvailableReplicas();
    if (available == null || available < 1) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "DeploymentUnavailable",
          "the registry Deployment " + registryDeployment.getMetadata().getNamespace() + "/" + name + " has no available pod");
    }
    return Conditions.isTrue(Conditions.REGISTRY_READY, "Available",
        "the registry Deployment " + registryDeployment.getMetadata().getNamespace() + "/" + name + " is available");
  }

  private static WireGuardMeshStatus copy(WireGuardMeshStatus s) {
    WireGuardMeshStatus c = new WireGuardMeshStatus();
    c.setObservedGeneration(s.getObservedGeneration());
    c.setPeers(s.getPeers());
    c.setReady(s.getReady());
    c.setDirect(s.getDirect());
    c.setRelayed(s.getRelayed());
    c.setRegistryPublicKey(s.getRegistryPublicKey());
    c.setRegistryAddress(s.getRegistryAddress());
    c.setConditions(s.getConditions() == null ? new ArrayList<>() : new ArrayList<>(s.getConditions()));
    return c;
  }

  private static String truncate(String message) {
    return message.length() <= 512 ? message : message.substring(0, 509) + "...";
  }

  private static int zeroIfNull(Integer value) {
    return value == null ? 0 : value;
  }
}
