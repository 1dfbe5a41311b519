package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.MeshPlan;
import dev.wgmesh.operator.model.PeerOutcome;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds a WireGuardMesh's status, conditions included, in one place (as Keycloak's operator
 * does): the reconciler reports what it found and did, and {@link #build()} decides what that
 * means for Ready and RegistryReady.
 *
 * <ul>
 *   <li>Ready: every node config is rendered from a valid spec (False with InvalidSpec when the
 *       spec is unusable, ReconcileError when the last reconcile failed).
 *   <li>RegistryReady: every registry has its key and its Deployment has an available pod.
 *   <li>Each registry's health ({@code status.registries[].healthy}), from what the nodes' agents
 *       report in their node configs' status: healthy when at least one node reaches it through
 *       the tunnel and at most half of the nodes that report on it do not; unknown (null) while no
 *       node reports on it. A running pod is not health: a registry is healthy only when nodes get
 *       answers from it through the tunnel. The summary {@code healthy/total} is the
 *       {@code kubectl get wgm} column Registries.
 * </ul>
 */
final class MeshStatusAggregator {
  static final String RECONCILE_ERROR = "ReconcileError";
  static final String CONFIG_CONFLICT = "NodeConfigConflict";

  private final WireGuardMesh mesh;
  private final Instant now;
  private MeshPlan plan;
  private int peerCount;
  private List<String> keyProblems = List.of();
  private Map<String, Deployment> registryDeployments = Map.of();
  private final List<WireGuardNodeConfigStatus> nodeStatuses = new ArrayList<>();
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

  /** Why registry key Secrets are unusable, one line each (never key material). */
  MeshStatusAggregator registryKeyProblems(List<String> problems) {
    this.keyProblems = List.copyOf(problems);
    return this;
  }

  /** The registries' Deployments by name. */
  MeshStatusAggregator registryDeployments(Map<String, Deployment> deployments) {
    this.registryDeployments = Map.copyOf(deployments);
    return this;
  }

  /** Path counts as the agents report them in their node configs' status (the registry's own excluded). */
  MeshStatusAggregator paths(Collection<WireGuardNodeConfig> configs) {
    for (WireGuardNodeConfig config : configs) {
      if (config.getStatus() == null || Boolean.TRUE.equals(config.getSpec().getRegistry())) {
        continue;
      }
      nodeStatuses.add(config.getStatus());
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
    // An unusable spec keeps what was said about the registries before: their objects stay too.
    status.setRegistries(plan.valid() ? plan.registries().stream().map(this::registryStatus).toList() : previous.getRegistries());
    status.setRegistrySummary(summary(status.getRegistries()));

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

  /** One registry: what the plan says, and its health from the nodes' reports (matched by registry name). */
  private WireGuardMeshStatus.RegistryStatus registryStatus(MeshPlan.Registry planned) {
    int reachable = 0;
    int reporting = 0;
    for (WireGuardNodeConfigStatus node : nodeStatuses) {
      for (WireGuardNodeConfigStatus.RegistryHealth health : node.getRegistries()) {
        if (Objects.equals(health.getName(), planned.name()) && health.getReachable() != null) {
          reporting++;
          reachable += health.getReachable() ? 1 : 0;
        }
      }
    }
    WireGuardMeshStatus.RegistryStatus s = new WireGuardMeshStatus.RegistryStatus();
    s.setName(planned.name());
    s.setPublicKey(planned.publicKey());
    s.setAddress(planned.address());
    s.setEndpoint(planned.endpoint());
    s.setReachableFrom(reachable);
    s.setNodes(reporting);
    s.setHealthy(healthy(reachable, reporting));
    return s;
  }

  /**
   * The health rule, in one place: healthy when at least one node reaches the registry and at
   * most half of the nodes reporting on it do not; null (unknown) when no node reports on it.
   * One node's NAT or firewall does not make a registry unhealthy; most nodes failing does.
   */
  static Boolean healthy(int reachableFrom, int reporting) {
    if (reporting == 0) {
      return null;
    }
    return reachableFrom >= 1 && 2 * (reporting - reachableFrom) <= reporting;
  }

  /** {@code healthy/total}, e.g. 2/2; a registry of unknown health is not counted as healthy. */
  static String summary(List<WireGuardMeshStatus.RegistryStatus> registries) {
    if (registries == null || registries.isEmpty()) {
      return null;
    }
    long healthy = registries.stream().filter(r -> Boolean.TRUE.equals(r.getHealthy())).count();
    return healthy + "/" + registries.size();
  }

  private Condition registryReady() {
    if (!keyProblems.isEmpty()) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "KeyInvalid", String.join("; ", keyProblems));
    }
    Optional<Condition> planned = StatusConditions.find(plan.meshConditions(), Conditions.REGISTRY_READY);
    if (planned.isPresent() && !planned.get().isTrue()) {
      return planned.get();
    }
    if (!plan.valid()) {
      return StatusConditions.find(previousConditions(), Conditions.REGISTRY_READY)
          .orElse(Conditions.isFalse(Conditions.REGISTRY_READY, "KeyPending", "the registry's key is not created yet"));
    }
    List<String> pending = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    String namespace = null;
    for (MeshPlan.Registry registry : plan.registries()) {
      Deployment d = registryDeployments.get(registry.objectName());
      if (d == null) {
        pending.add(registry.objectName());
        continue;
      }
      namespace = d.getMetadata().getNamespace();
      Integer available = d.getStatus() == null ? null : d.getStatus().getAvailableReplicas();
      if (available == null || available < 1) {
        unavailable.add(d.getMetadata().getNamespace() + "/" + registry.objectName());
      }
    }
    if (!pending.isEmpty()) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "DeploymentPending",
          "the registry Deployment " + String.join(", ", pending) + (pending.size() == 1 ? " does" : " do") + " not exist yet");
    }
    if (!unavailable.isEmpty()) {
      return Conditions.isFalse(Conditions.REGISTRY_READY, "DeploymentUnavailable",
          "the registry Deployment " + String.join(", ", unavailable) + (unavailable.size() == 1 ? " has" : " have") + " no available pod");
    }
    return Conditions.isTrue(Conditions.REGISTRY_READY, "Available", plan.registries().size() == 1
        ? "the registry Deployment " + namespace + "/" + plan.registries().get(0).objectName() + " is available"
        : "the " + plan.registries().size() + " registry Deployments in " + namespace + " are available");
  }

  private List<Condition> previousConditions() {
    return mesh.getStatus() == null || mesh.getStatus().getConditions() == null ? List.of() : mesh.getStatus().getConditions();
  }

  private static WireGuardMeshStatus copy(WireGuardMeshStatus s) {
    WireGuardMeshStatus c = new WireGuardMeshStatus();
    c.setObservedGeneration(s.getObservedGeneration());
    c.setPeers(s.getPeers());
    c.setReady(s.getReady());
    c.setDirect(s.getDirect());
    c.setRelayed(s.getRelayed());
    c.setRegistrySummary(s.getRegistrySummary());
    c.setRegistries(s.getRegistries());
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
