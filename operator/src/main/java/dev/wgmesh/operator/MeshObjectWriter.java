package dev.wgmesh.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.dependent.RecentOperationCacheFiller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the objects of one kind that one mesh owns (its WireGuardNodeConfigs, its
 * WireGuardPeerSets) what the plan says, writing only what changed: a new object is created, a
 * changed spec is patched (just the difference, see {@link SpecPatch}), an object the plan no
 * longer has is deleted, and an unchanged one is not touched at all. Every write is fed back into
 * the informer's cache, so the next reconcile sees it even before the watch event arrives and does
 * not write it again. Deletions go out after all creates and updates.
 */
final class MeshObjectWriter<R extends CustomResource<S, ?>, S> {
  private static final Logger log = LoggerFactory.getLogger(MeshObjectWriter.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** What one sync did; {@code conflicts} are objects of that name that belong to another mesh. */
  record Result(int created, int updated, int deleted, List<String> conflicts) {
    static final Result NOTHING = new Result(0, 0, 0, List.of());
  }

  /** The guarded diff of two specs (see {@link SpecPatch}). */
  interface SpecDiff<S> {
    ArrayNode diff(S before, S after, String resourceVersion, KubernetesSerialization serialization);
  }

  /**
   * What differs between the kinds written.
   *
   * @param component the {@code app.kubernetes.io/component} label and the metric's {@code kind} tag
   * @param specMesh the mesh a spec names, for objects that lost their label
   */
  record Kind<R extends CustomResource<S, ?>, S>(Class<R> type, String component, Supplier<R> factory, SpecDiff<S> diff,
      Function<S, String> specMesh) {
    /** The mesh an object of this kind belongs to: its label, else what its spec says. */
    String meshOf(R object) {
      String label = object.getMetadata().getLabels() == null ? null : object.getMetadata().getLabels().get(Labels.MESH);
      return label != null ? label : object.getSpec() == null ? null : specMesh.apply(object.getSpec());
    }
  }

  static final Kind<WireGuardNodeConfig, WireGuardNodeConfigSpec> NODE_CONFIGS = new Kind<>(WireGuardNodeConfig.class,
      "node-config", WireGuardNodeConfig::new, SpecPatch::diff, WireGuardNodeConfigSpec::getMesh);
  static final Kind<WireGuardPeerSet, WireGuardPeerSetSpec> PEER_SETS = new Kind<>(WireGuardPeerSet.class,
      "peer-set", WireGuardPeerSet::new, SpecPatch::diff, WireGuardPeerSetSpec::getMesh);

  private final Kind<R, S> kind;
  private final KubernetesClient client;
  /** Objects of this kind of any mesh by name (the informer's cache). */
  private final Function<ResourceID, Optional<R>> lookup;
  /** Where our writes are fed back (the informer's cache again). */
  private final RecentOperationCacheFiller<R> cache;
  private final OperatorMetrics metrics;
  private final Writes writes;

  MeshObjectWriter(Kind<R, S> kind, KubernetesClient client, InformerEventSource<R, WireGuardMesh> informer, OperatorMetrics metrics,
      Writes writes) {
    this(kind, client, informer::get, informer, metrics, writes);
  }

  MeshObjectWriter(Kind<R, S> kind, KubernetesClient client, Function<ResourceID, Optional<R>> lookup, RecentOperationCacheFiller<R> cache,
      OperatorMetrics metrics, Writes writes) {
    this.kind = kind;
    this.client = client;
    this.lookup = lookup;
    this.cache = cache;
    this.metrics = metrics;
    this.writes = writes;
  }

  /**
   * @param existing the objects of this kind labelled with this mesh
   */
  Result sync(WireGuardMesh mesh, Map<String, S> desired, Collection<R> existing) {
    String meshName = mesh.getMetadata().getName();
    Map<String, R> ours = new HashMap<>();
    existing.forEach(c -> ours.put(c.getMetadata().getName(), c));
    List<Callable<String>> tasks = new ArrayList<>();
    List<String> conflicts = new ArrayList<>();

    for (Map.Entry<String, S> entry : desired.entrySet()) {
      String name = entry.getKey();
      S spec = entry.getValue();
      R current = ours.get(name);
      if (current == null) {
        Optional<R> other = lookup.apply(new ResourceID(name));
        if (other.isPresent() && !meshName.equals(kind.meshOf(other.get()))) {
          conflicts.add(name); // never take over another mesh's object
          continue;
        }
        current = other.orElse(null); // ours, but not yet indexed as ours (e.g. a label was lost)
      }
      if (current == null) {
        tasks.add(() -> create(mesh, name, spec));
      } else if (!upToDate(mesh, current, spec)) {
        R base = current;
        tasks.add(() -> update(mesh, base, spec));
      }
    }
    List<Callable<String>> deletions = new ArrayList<>();
    for (R object : ours.values()) {
      if (!desired.containsKey(object.getMetadata().getName())) {
        deletions.add(() -> delete(object));
      }
    }
    List<String> done = new ArrayList<>(writes.all(tasks));
    done.addAll(writes.all(deletions));
    Result result = new Result((int) done.stream().filter("create"::equals).count(),
        (int) done.stream().filter(op -> op.equals("update") || op.equals("replace")).count(),
        (int) done.stream().filter("delete"::equals).count(), conflicts);
    if (!done.isEmpty()) {
      log.info("mesh {}: {}s {} created, {} updated, {} deleted", meshName, kind.component(), result.created(), result.updated(),
          result.deleted());
    }
    return result;
  }

  private boolean upToDate(WireGuardMesh mesh, R current, S spec) {
    return spec.equals(current.getSpec()) && labelled(mesh, current) && owned(mesh, current);
  }

  private String create(WireGuardMesh mesh, String name, S spec) {
    R object = kind.factory().get();
    object.setMetadata(new ObjectMetaBuilder()
        .withName(name)
        .withLabels(Labels.managed(mesh.getMetadata().getName(), kind.component()))
        .withOwnerReferences(ownerReference(mesh))
        .build());
    object.setSpec(spec);
    object.setStatus(null);
    R created = client.resource(object).create();
    cache.handleRecentResourceCreate(ResourceID.fromResource(created), created);
    metrics.meshObjectWritten(kind.component(), "create");
    return "create";
  }

  private String delete(R object) {
    client.resources(kind.type()).withName(object.getMetadata().getName()).delete();
    metrics.meshObjectWritten(kind.component(), "delete");
    return "delete";
  }

  private String update(WireGuardMesh mesh, R current, S spec) {
    var serialization = client.getKubernetesSerialization();
    ArrayNode metadataOps = metadataOps(mesh, current);
    R updated;
    String operation = "update";
    try {
      ArrayNode ops = kind.diff().diff(current.getSpec(), spec, current.getMetadata().getResourceVersion(), serialization);
      ops.addAll(metadataOps);
      updated = patch(current, ops);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw e;
      }
      // Our view was stale (409: the object changed since, e.g. an agent's status write): replace
      // the spec whole, which is right whatever the spec on the server is.
      log.debug("diff patch of {} {} did not apply ({}); replacing its spec", kind.component(), current.getMetadata().getName(),
          e.getCode());
      ArrayNode ops = SpecPatch.replace(spec, serialization);
      ops.addAll(metadataOps);
      updated = patch(current, ops);
      operation = "replace";
    }
    cache.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, current);
    metrics.meshObjectWritten(kind.component(), operation);
    return operation;
  }

  private R patch(R current, ArrayNode ops) {
    // resource(current): the patch goes out without fetching the object first
    return client.resource(current).patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(ops));
  }

  /**
   * The mesh label and owner reference, added to an object that lost them, keeping what else it
   * has. Labels and owner references are written whole ({@code add} on the member replaces it, and
   * {@code /metadata} always exists): an {@code add} into a map or list that the server does not
   * have is refused (422), and an empty one looks the same as a missing one in the typed object.
   * Together with the resourceVersion precondition of the spec diff, nothing added meanwhile is lost.
   */
  private ArrayNode metadataOps(WireGuardMesh mesh, R current) {
    ArrayNode ops = JSON.arrayNode();
    var serialization = client.getKubernetesSerialization();
    if (!labelled(mesh, current)) {
      Map<String, String> labels = new java.util.TreeMap<>();
      if (current.getMetadata().getLabels() != null) {
        labels.putAll(current.getMetadata().getLabels());
      }
      labels.putAll(Labels.managed(mesh.getMetadata().getName(), kind.component()));
      ops.add(op("add", "/metadata/labels", serialization.convertValue(labels, JsonNode.class)));
    }
    if (!owned(mesh, current)) {
      List<OwnerReference> references = new ArrayList<>();
      if (current.getMetadata().getOwnerReferences() != null) {
        references.addAll(current.getMetadata().getOwnerReferences());
      }
      references.add(ownerReference(mesh));
      ops.add(op("add", "/metadata/ownerReferences", serialization.convertValue(references, JsonNode.class)));
    }
    return ops;
  }

  private static boolean labelled(WireGuardMesh mesh, HasMetadata config) {
    return config.getMetadata().getLabels() != null
        && mesh.getMetadata().getName().equals(config.getMetadata().getLabels().get(Labels.MESH));
  }

  private static boolean owned(WireGuardMesh mesh, HasMetadata config) {
    return config.getMetadata().getOwnerReferences() != null && config.getMetadata().getOwnerReferences().stream()
        .anyMatch(r -> Objects.equals(r.getUid(), mesh.getMetadata().getUid()));
  }

  static OwnerReference ownerReference(WireGuardMesh mesh) {
    return new OwnerReferenceBuilder()
        .withApiVersion(mesh.getApiVersion())
        .withKind(mesh.getKind())
        .withName(mesh.getMetadata().getName())
        .withUid(mesh.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static ObjectNode op(String op, String path, JsonNode value) {
    ObjectNode node = JSON.objectNode();
    node.put("op", op);
    node.put("path", path);
    node.set("value", value);
    return node;
  }
}
