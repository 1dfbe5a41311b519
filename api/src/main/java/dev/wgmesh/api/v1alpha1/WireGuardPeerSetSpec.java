package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Written by the operator only; the peers have the same shape as in a node config. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardPeerSetSpec {
  @PrinterColumn(name = "Mesh")
  @JsonPropertyDescription("The WireGuardMesh whose members these are")
  private String mesh;
  @JsonPropertyDescription("Members of the mesh as every node configures them (a node leaves itself out)")
  private List<WireGuardNodeConfigSpec.Peer> peers = new ArrayList<>();

  public WireGuardPeerSetSpec() {}

  public WireGuardPeerSetSpec(String mesh, List<WireGuardNodeConfigSpec.Peer> peers) {
    this.mesh = mesh;
    this.peers = peers;
  }

  public String getMesh() { return mesh; }
  public void setMesh(String mesh) { this.mesh = mesh; }
  public List<WireGuardNodeConfigSpec.Peer> getPeers() { return peers; }
  public void setPeers(List<WireGuardNodeConfigSpec.Peer> peers) { this.peers = peers; }

  @Override
  public boolean equals(Object o) {
    return o instanceof WireGuardPeerSetSpec s && Objects.equals(mesh, s.mesh) && Objects.equals(peers, s.peers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mesh, peers);
  }
}
