package dev.wgmesh.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the WireGuardNodeConfigs of one mesh what the plan says, writing only what changed: a new
 * config is created, a changed spec is patched (just the difference, see {@link SpecPatch}), a
 * config the plan no longer has is deleted, and an unchanged one is not touched at all. Every
 * write is fed back into the informer's cache, so the next reconcile sees it even before the
 * watch event arrives and does not write it again.
 */
final class NodeConfigWriter {
  private static final Logger log = LoggerFactory.getLogger(NodeConfigWriter.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** What one sync did; {@code conflicts} are configs of that name that belong to another mesh. */
  record Result(int created, int updated, int deleted, List<String> conflicts) {}

  private final KubernetesClient client;
  /** Configs of any mesh by name (the informer's cache). */
  private final Function<ResourceID, Optional<WireGuardNodeConfig>> lookup;
  /** Where our writes are fed back (the informer's cache again). */
  private final RecentOperationCacheFiller<WireGuardNodeConfig> cache;
  private final OperatorMetrics metrics;
  private final Writes writes;

  NodeConfigWriter(KubernetesClient client, InformerEventSource<WireGuardNodeConfig, WireGuardMesh> informer, OperatorMetrics metrics,
      Writes writes) {
    this(client, informer::get, informer, metrics, writes);
  }

  NodeConfigWriter(KubernetesClient client, Function<ResourceID, Optional<WireGuardNodeConfig>> lookup,
      RecentOperationCacheFiller<WireGuardNodeConfig> cache, OperatorMetrics metrics, Writes writes) {
    this.client = client;
    this.lookup = lookup;
    this.cache = cache;
    this.metrics = metrics;
    this.writes = writes;
  }

  /**
   * @param existing the configs labelled with this mesh
   */
  Result sync(WireGuardMesh mesh, Map<String, WireGuardNodeConfigSpec> desired, Collection<WireGuardNodeConfig> existing) {
    String meshName = mesh.getMetadata().getName();
    Map<String, WireGuardNodeConfig> ours = new HashMap<>();
    existing.forEach(c -> ours.put(c.getMetadata().getName(), c));
    List<Callable<String>> tasks = new ArrayList<>();
    List<String> conflicts = new ArrayList<>();

    for (Map.Entry<String, WireGuardNodeConfigSpec> entry : desired.entrySet()) {
      String name = entry.getKey();
      WireGuardNodeConfigSpec spec = entry.getValue();
      WireGuardNodeConfig current = ours.get(name);
      if (current == null) {
        Optional<WireGuardNodeConfig> other = lookup.apply(new ResourceID(name));
        if (other.isPresent() && !meshName.equals(meshOf(other.get()))) {
          conflicts.add(name); // never take over another mesh's config
          continue;
        }
        current = other.orElse(null); // ours, but not yet indexed as ours (e.g. a label was lost)
      }
      if (current == null) {
        tasks.add(() -> create(mesh, name, spec));
      } else if (!upToDate(mesh, current, spec)) {
        WireGuardNodeConfig base = current;
        tasks.add(() -> update(mesh, base, spec));
      }
    }
    for (WireGuardNodeConfig config : ours.values()) {
      if (!desired.containsKey(config.getMetadata().getName())) {
        tasks.add(() -> delete(config));
      }
    }
    List<String> done = writes.all(tasks);
    Result result = new Result((int) done.stream().filter("create"::equals).count(),
        (int) done.stream().filter(op -> op.equals("update") || op.equals("replace")).count(),
        (int) done.stream().filter("delete"::equals).count(), conflicts);
    if (!tasks.isEmpty()) {
      log.info("mesh {}: node configs {} created, {} updated, {} deleted", meshName, result.created(), result.updated(), result.deleted());
    }
    return result;
  }

  static String meshOf(WireGuardNodeConfig config) {
    String label = config.getMetadata().getLabels() == null ? null : config.getMetadata().getLabels().get(Labels.MESH);
    return label != null ? label : config.getSpec() == null ? null : config.getSpec().getMesh();
  }

  private static boolean upToDate(WireGuardMesh mesh, WireGuardNodeConfig current, WireGuardNodeConfigSpec spec) {
    return spec.equals(current.getSpec()) && labelled(mesh, current) && owned(mesh, current);
  }

  private String create(WireGuardMesh mesh, String name, WireGuardNodeConfigSpec spec) {
    WireGuardNodeConfig config = new WireGuardNodeConfig();
    config.setMetadata(new ObjectMetaBuilder()
        .withName(name)
        .withLabels(Labels.managed(mesh.getMetadata().getName(), "node-config"))
        .withOwnerReferences(ownerReference(mesh))
        .build());
    config.setSpec(spec);
    config.setStatus(null);
    WireGuardNodeConfig created = client.resource(config).create();
    cache.handleRecentResourceCreate(ResourceID.fromResource(created), created);
    metrics.nodeConfigWritten("create");
    return "create";
  }

  private String delete(WireGuardNodeConfig config) {
    client.resources(WireGuardNodeConfig.class).withName(config.getMetadata().getName()).delete();
    metrics.nodeConfigWritten("delete");
    return "delete";
  }

  private String update(WireGuardMesh mesh, WireGuardNodeConfig current, WireGuardNodeConfigSpec spec) {
    var serialization = client.getKubernetesSerialization();
    ArrayNode metadataOps = metadataOps(mesh, current);
    WireGuardNodeConfig updated;
    String operation = "update";
    try {
      ArrayNode ops = SpecPatch.diff(current.getSpec(), spec, current.getMetadata().getResourceVersion(), serialization);
      ops.addAll(metadataOps);
      updated = patch(current, ops);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw e;
      }
      // Our view was stale (409: the object changed since, e.g. an agent's status write): replace
      // the spec whole, which is right whatever the spec on the server is.
      log.debug("diff patch of node config {} did not apply ({}); replacing its spec", current.getMetadata().getName(), e.getCode());
      ArrayNode ops = SpecPatch.replace(spec, serialization);
      ops.addAll(metadataOps);
      updated = patch(current, ops);
      operation = "replace";
    }
    cache.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, current);
    metrics.nodeConfigWritten(operation);
    return operation;
  }

  private WireGuardNodeConfig patch(WireGuardNodeConfig current, ArrayNode ops) {
    // resource(current): the patch goes out without fetching the config first
    return client.resource(current).patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(ops));
  }

  /** The mesh label and owner reference, added to a config that lost them, keeping what else it has. */
  private ArrayNode metadataOps(WireGuardMesh mesh, WireGuardNodeConfig current) {
    ArrayNode ops = JSON.arrayNode();
    if (!labelled(mesh, current)) {
      if (current.getMetadata().getLabels() == null) {
        ops.add(op("add", "/metadata/labels", client.getKubernetesSerialization()
            .convertValue(Labels.managed(mesh.getMetadata().getName(), "node-config"), JsonNode.class)));
      } else {
        ops.add(op("add", "/metadata/labels/" + Labels.MESH.replace("~", "~0").replace("/", "~1"),
            JSON.textNode(mesh.getMetadata().getName())));
      }
    }
    if (!owned(mesh, current)) {
      JsonNode reference = client.getKubernetesSerialization().convertValue(ownerReference(mesh), JsonNode.class);
      if (current.getMetadata().getOwnerReferences() == null || current.getMetadata().getOwnerReferences().isEmpty()) {
        ops.add(op("add", "/metadata/ownerReferences", JSON.arrayNode().add(reference)));
      } else {
        ops.add(op("add", "/metadata/ownerReferences/-", reference));
      }
    }
    return ops;
  }

  private static boolean labelled(WireGuardMesh mesh, WireGuardNodeConfig config) {
    return config.getMetadata().getLabels() != null
        && mesh.getMetadata().getName().equals(config.getMetadata().getLabels().get(Labels.MESH));
  }

  private static boolean owned(WireGuardMesh mesh, WireGuardNodeConfig config) {
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
