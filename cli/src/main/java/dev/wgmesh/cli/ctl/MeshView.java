package dev.wgmesh.cli.ctl;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import java.util.List;

/** A mesh as read from the API server in one go: what the ctl renderers work on. */
public record MeshView(WireGuardMesh mesh, List<WireGuardPeer> peers, List<WireGuardNodeConfig> nodeConfigs) {
  public MeshView {
    peers = List.copyOf(peers);
    nodeConfigs = List.copyOf(nodeConfigs);
  }

  public String name() {
    return mesh.getMetadata().getName();
  }
}
