package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A registry object rewritten only when what we want of it changed. Without server-side apply JOSDK
 * matches additively: a field present in the cluster but gone from the desired object (a removed
 * {@code nodeName}, a shorter list) counts as a match. So the desired object carries a hash of
 * itself; a different hash, or a field someone changed by hand, means an update.
 */
abstract class HashedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, WireGuardMesh> {

  HashedDependent(Class<R> type) {
    super(type);
  }

  /** The object as wanted, without the hash. */
  protected abstract R build(WireGuardMesh mesh);

  @Override
  protected final R desired(WireGuardMesh mesh, Context<WireGuardMesh> context) {
    R desired = build(mesh);
    String hash = RegistryNames.shortHash(context.getClient().getKubernetesSerialization().asJson(desired));
    Map<String, String> annotations = new LinkedHashMap<>(Objects.requireNonNullElse(desired.getMetadata().getAnnotations(), Map.of()));
    annotations.put(RegistryNames.SPEC_HASH, hash);
    desired.getMetadata().setAnnotations(annotations);
    return desired;
  }

  @Override
  public Result<R> match(R actual, WireGuardMesh mesh, Context<WireGuardMesh> context) {
    R desired = desired(mesh, context);
    boolean sameHash = Objects.equals(hashOf(desired), hashOf(actual));
    return Result.computed(sameHash && super.match(actual, desired, mesh, context).matched(), desired);
  }

  private static String hashOf(HasMetadata object) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(RegistryNames.SPEC_HASH);
  }
}
