package dev.wgmesh.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.fabric8.kubernetes.client.CustomResource;

/** A WireGuard mesh: its tunnel network, its registry, and which nodes take part. Cluster-scoped. */
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Group(WireGuardMesh.GROUP)
@Version(WireGuardMesh.VERSION)
@Kind("WireGuardMesh")
@Plural("wireguardmeshes")
@Singular("wireguardmesh")
@ShortNames({"wgmesh", "wgm"})
// The registry's Service is named <mesh>-registry and must be a DNS label (63 characters).
@ValidationRule(value = "size(self.metadata.name) <= " + WireGuardMesh.MAX_NAME_LENGTH,
    message = "a mesh name has at most 54 characters (its registry's Service is named <name>-registry, a DNS label of 63)",
    reason = "FieldValueInvalid")
// A named registry's objects are <name>-registry-<registry>, its Secret <name>-registry-<registry>-key:
// every one a DNS label (63).
@ValidationRule(value = "!has(self.spec.registries) || self.spec.registries.all(r, !has(r.name) || size(self.metadata.name) + size(r.name) <= "
    + WireGuardMesh.MAX_NAME_WITH_REGISTRY_LENGTH + ")",
    message = "a mesh name and a registry name have at most 49 characters together (the registry's Secret is named"
        + " <mesh>-registry-<registry>-key, a DNS label of 63)",
    fieldPath = ".spec.registries",
    reason = "FieldValueInvalid")
public class WireGuardMesh extends CustomResource<WireGuardMeshSpec, WireGuardMeshStatus> {
  public static final String GROUP = "wgmesh.dev";
  public static final String VERSION = "v1alpha1";
  public static final int MAX_NAME_LENGTH = 54;
  /** Mesh name plus registry name: {@code <mesh>-registry-<registry>-key} is at most 63 characters. */
  public static final int MAX_NAME_WITH_REGISTRY_LENGTH = 49; // 63 - "-registry--key".length()
  /** Names the mesh an object belongs to; the operator puts it on what it writes, agents select peer sets by it. */
  public static final String MESH_LABEL = "wgmesh.dev/mesh";

  /** Overridden only to mark spec as required in the CRD: an object without one is rejected. */
  @Override
  @Required
  public WireGuardMeshSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected WireGuardMeshSpec initSpec() {
    return new WireGuardMeshSpec();
  }

  @Override
  protected WireGuardMeshStatus initStatus() {
    return new WireGuardMeshStatus();
  }
}
