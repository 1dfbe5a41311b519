package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardPeerStatus {
  @JsonPropertyDescription("The metadata.generation this status describes")
  private Long observedGeneration;

  @PrinterColumn(name = "Address")
  @JsonPropertyDescription("The tunnel address the operator allocated (or the fixed spec.address)")
  private String address;

  /** What other peers route to this one: the tunnel address, the node's pod CIDRs, extra AllowedIPs. */
  @JsonPropertyDescription("What other peers route to this one: tunnel addresses, the node's pod CIDRs, extra AllowedIPs")
  private List<String> allowedIPs = new ArrayList<>();

  @PrinterColumn(name = "Endpoint")
  @JsonPropertyDescription("The endpoint the registry observes for this peer")
  private String endpoint;

  @PrinterColumn(name = "Mode")
  @JsonPropertyDescription("How this peer is reached: direct, relayed or pending")
  private String mode;

  @PrinterColumn(name = "Ready")
  @JsonPropertyDescription("The status of the Ready condition, for kubectl get")
  private String ready;

  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
  public String getAddress() { return address; }
  public void setAddress(String address) { this.address = address; }
  public List<String> getAllowedIPs() { return allowedIPs; }
  public void setAllowedIPs(List<String> allowedIPs) { this.allowedIPs = allowedIPs; }
  public String getEndpoint() { return endpoint; }
  public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
  public String getMode() { return mode; }
  public void setMode(String mode) { this.mode = mode; }
  public String getReady() { return ready; }
  public void setReady(String ready) { this.ready = ready; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
