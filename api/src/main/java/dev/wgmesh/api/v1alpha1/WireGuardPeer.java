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
 * One member of a mesh: a node (created by its agent, {@code spec.nodeName} set) or an external
 * peer such as a laptop (created by a user). Holds the public key only, never a private key.
 */
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Group(WireGuardMesh.GROUP)
@Version(WireGuardMesh.VERSION)
@Kind("WireGuardPeer")
@Plural("wireguardpeers")
@Singular("wireguardpeer")
@ShortNames({"wgpeer", "wgpeers", "wgp"})
public class WireGuardPeer extends CustomResource<WireGuardPeerSpec, WireGuardPeerStatus> {
  /** Overridden only to mark spec as required in the CRD: an object without one is rejected. */
  @Override
  @Required
  public WireGuardPeerSpec getSpec() {
    return super.getSpec();
  }

  @Override
  protected WireGuardPeerSpec initSpec() {
    return new WireGuardPeerSpec();
  }

  @Override
  protected WireGuardPeerStatus initStatus() {
    return new WireGuardPeerStatus();
  }
}
