package dev.wgmesh.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * Everything one agent (or the registry) needs to configure its WireGuard interface, rendered by
 * the operator; named after the node (the registry's: {@code <mesh>-registry}). The agent writes
 * the status: what it applied and how it reaches each peer.
 */
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Group(WireGuardMesh.GROUP)
@Version(WireGuardMesh.VERSION)
@Kind("WireGuardNodeConfig")
@Plural("wireguardnodeconfigs")
@Singular("wireguardnodeconfig")
@ShortNames({"wgnc", "wgnodeconfig"})
public class WireGuardNodeConfig extends CustomResource<WireGuardNodeConfigSpec, WireGuardNodeConfigStatus> {
  /** Overridden only to mark spec as required in the CRD: an object without one is rejected. */
  @Override
  @Required
  public WireGuardNodeConfigSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected WireGuardNodeConfigSpec initSpec() {
    return new WireGuardNodeConfigSpec();
  }

  @Override
  protected WireGuardNodeConfigStatus initStatus() {
    return new WireGuardNodeConfigStatus();
  }
}
