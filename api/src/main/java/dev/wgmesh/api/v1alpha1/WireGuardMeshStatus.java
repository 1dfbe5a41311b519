package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardMeshStatus {
  @JsonPropertyDescription("The metadata.generation this status describes")
  private Long observedGeneration;
  @PrinterColumn(name = "Peers")
  @JsonPropertyDescription("Peers of the mesh (nodes and external peers)")
  private Integer peers;
  @PrinterColumn(name = "Ready")
  @JsonPropertyDescription("Peers that are Ready")
  private Integer ready;
  @PrinterColumn(name = "Direct")
  @JsonPropertyDescription("Node-to-node paths that are direct, as the agents report them")
  private Integer direct;
  @PrinterColumn(name = "Relayed")
  @JsonPropertyDescription("Node-to-node paths that go through the registry's relay")
  private Integer relayed;
  /** The registry's public key (its private key stays in a Secret of the operator's namespace). */
  @JsonPropertyDescription("The registry's WireGuard public key")
  private String registryPublicKey;
  @JsonPropertyDescription("The registry's tunnel address")
  private String registryAddress;
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
  public Integer getPeers() { return peers; }
  public void setPeers(Integer peers) { this.peers = peers; }
  public Integer getReady() { return ready; }
  public void setReady(Integer ready) { this.ready = ready; }
  public Integer getDirect() { return direct; }
  public void setDirect(Integer direct) { this.direct = direct; }
  public Integer getRelayed() { return relayed; }
  public void setRelayed(Integer relayed) { this.relayed = relayed; }
  public String getRegistryPublicKey() { return registryPublicKey; }
  public void setRegistryPublicKey(String registryPublicKey) { this.registryPublicKey = registryPublicKey; }
  public String getRegistryAddress() { return registryAddress; }
  public void setRegistryAddress(String registryAddress) { this.registryAddress = registryAddress; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }

  /** Every field by name, null where there is no value: the mesh status has one writer, the operator. */
  public java.util.Map<String, Object> fields() {
    java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
    fields.put("observedGeneration", observedGeneration);
    fields.put("peers", peers);
    fields.put("ready", ready);
    fields.put("direct", direct);
    fields.put("relayed", relayed);
    fields.put("registryPublicKey", registryPublicKey);
    fields.put("registryAddress", registryAddress);
    fields.put("conditions", conditions);
    return fields;
  }
}
