package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.KubernetesBulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One object per registry of the mesh (a JOSDK bulk dependent: objects of registries no longer in
 * the spec are deleted), each rewritten only when what we want of it changed. Without server-side
 * apply JOSDK matches additively: a field present in the cluster but gone from the desired object
 * (a removed {@code nodeName}, a shorter list) counts as a match. So the desired object carries a
 * hash of itself; a different hash, or a field someone changed by hand, means an update.
 */
abstract class HashedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, WireGuardMesh>
    implements KubernetesBulkDependentResource<R, WireGuardMesh> {

  HashedDependent(Class<R> type) {
    super(type);
  }

  /** The object as wanted for one registry, without the hash; empty when that registry has none of this kind. */
  protected abstract Optional<R> build(WireGuardMesh mesh, WireGuardMeshSpec.RegistrySpec registry);

  @Override
  public Map<ResourceID, R> desiredResources(WireGuardMesh mesh, Context<WireGuardMesh> context) {
    Map<ResourceID, R> desired = new LinkedHashMap<>();
    for (WireGuardMeshSpec.RegistrySpec registry : mesh.getSpec().effectiveRegistries()) {
      build(mesh, registry).ifPresent(object -> {
        String hash = RegistryObjectNames.hash(context.getClient().getKubernetesSerialization().asJson(object), 16);
        Map<String, String> annotations = new LinkedHashMap<>(Objects.requireNonNullElse(object.getMetadata().getAnnotations(), Map.of()));
        annotations.put(RegistryNames.SPEC_HASH, hash);
        object.getMetadata().setAnnotations(annotations);
        desired.put(ResourceID.fromResource(object), object);
      });
    }
    return desired;
  }

  @Override
  public Result<R> match(R actual, R desired, WireGuardMesh mesh, Context<WireGuardMesh> context) {
    boolean sameHash = Objects.equals(hashOf(desired), hashOf(actual));
    return Result.computed(sameHash && super.match(actual, desired, mesh, context).matched(), desired);
  }

  private static String hashOf(HasMetadata object) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(RegistryNames.SPEC_HASH);
  }
}
