package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardMeshStatus {
  private Long observedGeneration;
  private Integer peers;
  private Integer ready;
  private Integer direct;
  private Integer relayed;
  /** The registry's public key (its private key stays in a Secret of the operator's namespace). */
  private String registryPublicKey;
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
}
