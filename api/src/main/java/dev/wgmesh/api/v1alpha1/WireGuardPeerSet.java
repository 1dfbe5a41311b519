package dev.wgmesh.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A share of a mesh's members as every node configures them, rendered by the operator. Every node
 * has the same peers (all members but itself), so they are written once per mesh instead of once
 * per node: a node joining a thousand-node mesh changes one peer set, not a thousand node
 * configs. The members are spread over a fixed number of sets by a hash of their name, which
 * keeps each object small and each join a single write. An agent applies its
 * {@link WireGuardNodeConfig} together with all peer sets of its mesh, leaving itself out.
 */
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Group(WireGuardMesh.GROUP)
@Version(WireGuardMesh.VERSION)
@Kind("WireGuardPeerSet")
@Plural("wireguardpeersets")
@Singular("wireguardpeerset")
@ShortNames({"wgps", "wgpeerset"})
public class WireGuardPeerSet extends CustomResource<WireGuardPeerSetSpec, Void> {
  /** Overridden only to mark spec as required in the CRD: an object without one is rejected. */
  @Override
  @Required
  public WireGuardPeerSetSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected WireGuardPeerSetSpec initSpec() {
    return new WireGuardPeerSetSpec();
  }
}
