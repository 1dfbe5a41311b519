package dev.wgmesh.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.StatusPatch;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshStatus;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.MeshPlan;
import dev.wgmesh.operator.model.MeshPlanner;
import dev.wgmesh.operator.registry.RegistryDeploymentDependent;
import dev.wgmesh.operator.registry.RegistryKeySecretDependent;
import dev.wgmesh.operator.registry.RegistryNames;
import dev.wgmesh.operator.registry.RegistryServiceDependent;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceUtils;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Workflow;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one WireGuardMesh: its registry (key Secret, Deployment, Service, as JOSDK dependent
 * resources), then the plan ({@link MeshPlanner}, pure) for its peers and the cluster's nodes,
 * written out as WireGuardPeerSets, WireGuardNodeConfigs, peer statuses and the mesh status, each
 * only where it changed. Events about peers, nodes, node configs and peer sets map back to their
 * mesh (a node's to the meshes that read it), so any change there reconciles the mesh as a whole;
 * it is planned again when something the plan reads changed ({@link PlanMemo}).
 */
@ControllerConfiguration(
    name = MeshReconciler.NAME,
    maxReconciliationInterval = @MaxReconciliationInterval(interval = 10, timeUnit = TimeUnit.MINUTES))
public final class MeshReconciler implements Reconciler<WireGuardMesh>, AutoCloseable {
  public static final String NAME = "wireguardmesh";
  /** Node config and peer status writes in flight at once, per operator. */
  static final int WRITE_CONCURRENCY = 8;
  private static final Logger log = LoggerFactory.getLogger(MeshReconciler.class);
  /** The peers informer's index of peers by spec.nodeName. */
  private static final String PEERS_BY_NODE = "nodeName";

  private final OperatorSettings settings;
  private final Clock clock;
  private final RegistryKeySecretDependent keySecret;
  private final RegistryDeploymentDependent deployment;
  private final RegistryServiceDependent service;
  private final Workflow<WireGuardMesh> registryWorkflow;
  /** Per mesh, the relayed path count last seen in each node config: to report a fallback to the relay once. */
  private final Map<String, Map<String, Integer>> relayedSeen = new ConcurrentHashMap<>();
  private final Writes writes = new Writes(WRITE_CONCURRENCY);
  private final PlanMemo plans = new PlanMemo(MeshPlanner::plan);
  private InformerEventSource<WireGuardPeer, WireGuardMesh> peers;
  private InformerEventSource<Node, WireGuardMesh> nodes;
  private InformerEventSource<WireGuardNodeConfig, WireGuardMesh> configs;
  private InformerEventSource<WireGuardPeerSet, WireGuardMesh> peerSets;
  private EventRecorder events;

  public MeshReconciler(OperatorSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    keySecret = new RegistryKeySecretDependent(settings.namespace());
    deployment = new RegistryDeploymentDependent(settings);
    service = new RegistryServiceDependent(settings.namespace());
    configureInformer(keySecret, Secret.class);
    configureInformer(deployment, Deployment.class);
    configureInformer(service, Service.class);
    // One of each per registry (bulk dependents; a Service only for exposure LoadBalancer). The
    // Deployments come after the keys: a registry without its key could only crash-loop.
    registryWorkflow = new WorkflowBuilder<WireGuardMesh>()
        .addDependentResource(keySecret)
        .addDependentResourceAndConfigure(deployment).dependsOn(keySecret)
        .addDependentResource(service)
        .build();
  }

  /**
   * The registry's objects live in the operator's namespace while their owner, the mesh, is
   * cluster-scoped: their informers must watch that one namespace (JOSDK would otherwise inherit
   * the controller's "all namespaces", which the operator's Role does not allow), and only the
   * objects we label.
   */
  private <R extends io.fabric8.kubernetes.api.model.HasMetadata> void configureInformer(KubernetesDependentResource<R, WireGuardMesh> dependent,
      Class<R> type) {
    dependent.configureWith(new KubernetesDependentResourceConfigBuilder<R>()
        .withUseSSA(false)
        .withKubernetesDependentInformerConfig(InformerConfiguration.builder(type)
            .withNamespaces(Set.of(settings.namespace()), false)
            .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.OPERATOR + "," + Labels.COMPONENT + "=" + RegistryNames.COMPONENT)
            .build())
        .build());
  }

  @Override
  public List<EventSource<?, WireGuardMesh>> prepareEventSources(EventSourceContext<WireGuardMesh> context) {
    events = new EventRecorder(context.getClient(), settings.identity(), settings.metrics(), clock);
    peers = new InformerEventSource<>(InformerEventSourceConfiguration.from(WireGuardPeer.class, WireGuardMesh.class)
        .withName("peers")
        .withSecondaryToPrimaryMapper(peer -> meshId(peer.getSpec() == null ? null : peer.getSpec().getMesh()))
        // Agents refresh endpoint and mode often; only what the plan reads, or what we write, matters.
        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
            || !Objects.equals(plannedPart(now), plannedPart(before)))
        .build(), context);
    peers.addIndexers(Map.of(PEERS_BY_NODE, peer -> peer.getSpec() == null || peer.getSpec().getNodeName() == null ? List.of()
        : List.of(peer.getSpec().getNodeName())));
    nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, WireGuardMesh.class)
        .withName("nodes")
        .withSecondaryToPrimaryMapper(node -> meshesReading(node.getMetadata().getName(), context.getPrimaryCache().list()))
        // Nodes report status often; only what the plan reads (NodeFactsStore) matters here.
        .withOnUpdateFilter((now, before) -> !NodeFactsStore.planned(now).equals(NodeFactsStore.planned(before)))
        .withItemStore(new NodeFactsStore())
        .build(), context);
    configs = new InformerEventSource<>(InformerEventSourceConfiguration.from(WireGuardNodeConfig.class, WireGuardMesh.class)
        .withName("nodeconfigs")
        .withSecondaryToPrimaryMapper(config -> meshId(MeshObjectWriter.NODE_CONFIGS.meshOf(config)))
        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
            || !Objects.equals(now.getMetadata().getLabels(), before.getMetadata().getLabels())
            || !Objects.equals(pathCounts(now.getStatus()), pathCounts(before.getStatus()))
            || !Objects.equals(registryHealth(now.getStatus()), registryHealth(before.getStatus()))
            || !PeerStatusWriter.Observed.of(List.of(now)).endpoints().equals(PeerStatusWriter.Observed.of(List.of(before)).endpoints()))
        .build(), context);
    peerSets = new InformerEventSource<>(InformerEventSourceConfiguration.from(WireGuardPeerSet.class, WireGuardMesh.class)
        .withName("peersets")
        .withSecondaryToPrimaryMapper(set -> meshId(MeshObjectWriter.PEER_SETS.meshOf(set)))
        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
            || !Objects.equals(now.getMetadata().getLabels(), before.getMetadata().getLabels()))
        .build(), context);
    List<EventSource<?, WireGuardMesh>> sources = new ArrayList<>(List.of(peers, nodes, configs, peerSets));
    sources.addAll(EventSourceUtils.eventSourcesFromWorkflow(context, registryWorkflow));
    return sources;
  }

  /**
   * The meshes whose plan reads a node: those with a peer on it (its pod CIDRs, whether it exists
   * and matches the node selector) or a registry pinned to it (its ExternalIP). A node that no peer
   * names yet changes no plan: its agent's WireGuardPeer, when it comes, brings the reconcile. (At
   * 5000 nodes every reconcile plans the whole mesh; a join re-planned once for the Node, once for
   * its peer.)
   */
  private Set<ResourceID> meshesReading(String node, java.util.stream.Stream<WireGuardMesh> meshes) {
    Set<String> byPeers = peers.byIndex(PEERS_BY_NODE, node).stream()
        .map(p -> p.getSpec().getMesh()).filter(Objects::nonNull).collect(Collectors.toSet());
    return meshes.filter(mesh -> byPeers.contains(mesh.getMetadata().getName())
            || mesh.getSpec().effectiveRegistries().stream().anyMatch(r -> node.equals(r.getNodeName())))
        .map(ResourceID::fromResource).collect(Collectors.toSet());
  }

  @Override
  public UpdateControl<WireGuardMesh> reconcile(WireGuardMesh mesh, Context<WireGuardMesh> context) {
    Instant now = clock.instant();
    Set<String> meshes = context.getPrimaryCache().list().map(m -> m.getMetadata().getName()).collect(Collectors.toSet());
    plans.retainOnly(meshes);
    relayedSeen.keySet().retainAll(meshes);
    // A name no object can carry (the plan says why, in a condition) gets no registry objects: the
    // API server would refuse each, on every reconcile.
    if (RegistryObjectNames.meshNameProblem(mesh.getMetadata().getName()).isEmpty()) {
      registryWorkflow.reconcile(mesh, context);
    }

    RegistryKeys keys = registryKeys(mesh, context);
    List<WireGuardPeer> meshPeers = new ArrayList<>(context.getSecondaryResources(WireGuardPeer.class));
    List<Node> allNodes = nodes.list().toList();

    MeshPlan plan = plans.plan(forPlanning(mesh, allNodes, byName(service.getSecondaryResources(mesh, context)), context),
        meshPeers, allNodes, keys.publicKeys());

    Collection<WireGuardNodeConfig> existing = context.getSecondaryResources(WireGuardNodeConfig.class);
    MeshObjectWriter.Result written = MeshObjectWriter.Result.NOTHING;
    MeshObjectWriter.Result setsWritten = MeshObjectWriter.Result.NOTHING;
    // A typo in the mesh or a damaged key Secret must not tear the mesh down: configs stay as they are.
    if (plan.valid() && keys.problems().isEmpty()) {
      // Peer sets first: a new node's config is only useful with its peers already there.
      setsWritten = new MeshObjectWriter<>(MeshObjectWriter.PEER_SETS, context.getClient(), peerSets, settings.metrics(), writes)
          .sync(mesh, plan.peerSets(), context.getSecondaryResources(WireGuardPeerSet.class));
      written = new MeshObjectWriter<>(MeshObjectWriter.NODE_CONFIGS, context.getClient(), configs, settings.metrics(), writes)
          .sync(mesh, plan.nodeConfigs(), existing);
    } else {
      log.warn("mesh {}: {}; its node configs are left as they are", mesh.getMetadata().getName(),
          !keys.problems().isEmpty() ? String.join("; ", keys.problems()) : "the spec is not usable");
    }
    PeerStatusWriter.Observed observed = PeerStatusWriter.Observed.of(existing);
    List<PeerStatusWriter.Change> changes = new PeerStatusWriter(context.getClient(), peers, settings.metrics(), writes)
        .sync(meshPeers, plan.peers(), observed, now);
    recordPeerEvents(changes);
    recordRelayFallbacks(mesh, existing);

    WireGuardMeshStatus status = new MeshStatusAggregator(mesh, now)
        .plan(plan, meshPeers.size())
        .registryKeyProblems(keys.problems())
        .registryDeployments(byName(deployment.getSecondaryResources(mesh, context)))
        .paths(existing.stream().filter(c -> plan.nodeConfigs().containsKey(c.getMetadata().getName())).toList())
        .conflicts(java.util.stream.Stream.concat(written.conflicts().stream(), setsWritten.conflicts().stream()).toList())
        .build();
    if (!sameJson(context, status, mesh.getStatus())) {
      writeStatus(context, mesh, status);
    }
    return UpdateControl.noUpdate();
  }

  @Override
  public ErrorStatusUpdateControl<WireGuardMesh> updateErrorStatus(WireGuardMesh mesh, Context<WireGuardMesh> context, Exception e) {
    log.warn("reconciling mesh {} failed: {}", mesh.getMetadata().getName(), e.toString());
    try {
      writeStatus(context, mesh, MeshStatusAggregator.failed(mesh, e, clock.instant()));
    } catch (RuntimeException writeFailure) {
      log.warn("cannot write the status of mesh {}: {}", mesh.getMetadata().getName(), writeFailure.toString());
    }
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /**
   * The mesh status is the operator's alone: every field is written, removed where the new status
   * has no value ({@link StatusPatch}). Not JOSDK's status patch: without server-side apply it sends
   * a JSON Patch diffed against the cached object, which a real API server refuses (422) while the
   * object has no status yet.
   */
  private static void writeStatus(Context<WireGuardMesh> context, WireGuardMesh mesh, WireGuardMeshStatus status) {
    StatusPatch.send(context.getClient(), WireGuardMesh.class, mesh.getMetadata().getName(),
        StatusPatch.of(status.fields(), context.getClient().getKubernetesSerialization()));
  }

  /**
   * The registries' public keys by registry object name (a registry whose Secret does not exist
   * yet is missing), and why a Secret is unusable, one line each.
   */
  private record RegistryKeys(Map<String, String> publicKeys, List<String> problems) {}

  /** Only public keys leave this method; private keys stay in the Secrets' data. */
  private RegistryKeys registryKeys(WireGuardMesh mesh, Context<WireGuardMesh> context) {
    String meshName = mesh.getMetadata().getName();
    Map<String, Secret> secrets = byName(keySecret.getSecondaryResources(mesh, context));
    Map<String, String> publicKeys = new java.util.HashMap<>();
    List<String> problems = new ArrayList<>();
    for (var registry : mesh.getSpec().effectiveRegistries()) {
      String secretName = RegistryNames.secret(meshName, registry.getName());
      try {
        RegistryKeySecretDependent.keyPair(secrets.get(secretName))
            .ifPresent(pair -> publicKeys.put(registry.objectName(meshName), pair.publicKey().toBase64()));
      } catch (InvalidKeyException e) {
        problems.add("the Secret " + settings.namespace() + "/" + secretName + " holds no valid private key: " + e.getMessage());
      }
    }
    return new RegistryKeys(publicKeys, problems);
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> Map<String, R> byName(Map<ResourceID, R> resources) {
    Map<String, R> out = new java.util.HashMap<>();
    resources.forEach((id, r) -> out.put(id.getName(), r));
    return out;
  }

  /** Called once JOSDK has stopped: no reconcile runs any more. */
  @Override
  public void close() {
    writes.close();
    if (events != null) {
      events.close();
    }
  }

  /** The mesh as the planner should see it: with registry endpoints filled in where the cluster tells them. */
  private static WireGuardMesh forPlanning(WireGuardMesh mesh, List<Node> nodes, Map<String, Service> services,
      Context<WireGuardMesh> context) {
    WireGuardMesh copy = context.getClient().getKubernetesSerialization().clone(mesh);
    boolean discovered = false;
    for (var registry : copy.getSpec().effectiveRegistries()) {
      Optional<String> endpoint = RegistryEndpoint.discovered(registry, nodes, services.get(registry.objectName(mesh.getMetadata().getName())));
      if (endpoint.isPresent()) {
        registry.setEndpoint(endpoint.get());
        discovered = true;
      }
    }
    return discovered ? copy : mesh;
  }

  private void recordPeerEvents(List<PeerStatusWriter.Change> changes) {
    for (PeerStatusWriter.Change change : changes) {
      boolean wasReady = StatusConditions.isTrue(change.before().getConditions(), Conditions.READY);
      boolean isReady = StatusConditions.isTrue(change.after().getConditions(), Conditions.READY);
      if (isReady && !wasReady) {
        events.normal(change.peer(), "PeerReady", "in the mesh with address " + change.after().getAddress());
      }
      for (Condition c : change.after().getConditions()) {
        if (!c.getType().equals(Conditions.READY) && c.isTrue() && !StatusConditions.isTrue(change.before().getConditions(), c.getType())) {
          events.warning(change.peer(), c.getType(), c.getMessage());
        }
      }
    }
  }

  /** An event when an agent first reports relayed paths (hole punching failed for some peer). */
  private void recordRelayFallbacks(WireGuardMesh mesh, Collection<WireGuardNodeConfig> existing) {
    Map<String, Integer> seen = relayedSeen.computeIfAbsent(mesh.getMetadata().getName(), m -> new ConcurrentHashMap<>());
    seen.keySet().retainAll(existing.stream().map(c -> c.getMetadata().getName()).collect(Collectors.toSet()));
    for (WireGuardNodeConfig config : existing) {
      int relayed = config.getStatus() == null || config.getStatus().getRelayed() == null ? 0 : config.getStatus().getRelayed();
      Integer before = seen.put(config.getMetadata().getName(), relayed);
      // Nothing on the first sight of a config (an operator restart is no fallback), only on 0 -> n.
      if (before != null && before == 0 && relayed > 0) {
        String through = config.getStatus().getPeers() == null ? "" : config.getStatus().getPeers().stream()
            .filter(p -> "relayed".equals(p.getMode())).map(WireGuardNodeConfigStatus.PeerStatus::getName)
            .collect(Collectors.joining(", ", ": ", ""));
        events.warning(config, "RelayFallback", relayed + " peer(s) reached through the registry's relay" + (through.equals(": ") ? "" : through));
      }
    }
  }

  private static boolean sameJson(Context<WireGuardMesh> context, Object a, Object b) {
    var serialization = context.getClient().getKubernetesSerialization();
    return b != null && serialization.convertValue(a, JsonNode.class).equals(serialization.convertValue(b, JsonNode.class));
  }

  private static Set<ResourceID> meshId(String mesh) {
    return mesh == null ? Set.of() : Set.of(new ResourceID(mesh));
  }

  /** The part of a peer the plan reads or we write. */
  private static List<Object> plannedPart(WireGuardPeer peer) {
    var s = peer.getStatus();
    return s == null ? List.of() : java.util.Arrays.asList(s.getAddress(), s.getAllowedIPs(), s.getConditions(), s.getReady(),
        s.getObservedGeneration(), s.getEndpoint(), s.getMode());
  }

  /** What a node reports about the registries: the mesh status aggregates it. */
  private static List<WireGuardNodeConfigStatus.RegistryHealth> registryHealth(WireGuardNodeConfigStatus status) {
    return status == null ? List.of() : status.getRegistries();
  }

  private static List<Integer> pathCounts(WireGuardNodeConfigStatus status) {
    return status == null ? List.of() : java.util.Arrays.asList(status.getDirect(), status.getRelayed(), status.getPending());
  }
}
