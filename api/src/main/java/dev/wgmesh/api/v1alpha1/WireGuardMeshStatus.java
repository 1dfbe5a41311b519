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
  @PrinterColumn(name = "Registries")
  @JsonPropertyDescription("Healthy registries of all, e.g. 2/2 (see registries[].healthy)")
  private String registrySummary;
  /** Public keys only: private keys stay in Secrets of the operator's namespace. */
  @JsonPropertyDescription("The mesh's registries in spec order, with their health as the nodes' agents report it")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private List<RegistryStatus> registries = new ArrayList<>();
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
  public String getRegistrySummary() { return registrySummary; }
  public void setRegistrySummary(String registrySummary) { this.registrySummary = registrySummary; }
  public List<RegistryStatus> getRegistries() { return registries; }
  public void setRegistries(List<RegistryStatus> registries) { this.registries = registries; }
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
    fields.put("registrySummary", registrySummary);
    fields.put("registries", registries);
    fields.put("conditions", conditions);
    return fields;
  }

  /** One registry of the mesh. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistryStatus {
    @JsonPropertyDescription("Its name in spec.registries; absent for the single spec.registry")
    private String name;
    @JsonPropertyDescription("Its WireGuard public key; absent until its key Secret exists")
    private String publicKey;
    @JsonPropertyDescription("Its tunnel address (DNS-SD and relay inside the tunnel)")
    private String address;
    @JsonPropertyDescription("Its public endpoint as nodes are told it; absent while unknown")
    private String endpoint;
    @JsonPropertyDescription("Nodes whose agents report that it answered through the tunnel recently")
    private Integer reachableFrom;
    @JsonPropertyDescription("Nodes whose agents report on it (reachable or not)")
    private Integer nodes;
    @JsonPropertyDescription("True when at least one node reaches it and at most half of the reporting nodes do not;"
        + " false otherwise; absent while no node has reported on it. Pod health alone does not count: only answers through the tunnel do")
    private Boolean healthy;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getPublicKey() { return publicKey; }
    public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public Integer getReachableFrom() { return reachableFrom; }
    public void setReachableFrom(Integer reachableFrom) { this.reachableFrom = reachableFrom; }
    public Integer getNodes() { return nodes; }
    public void setNodes(Integer nodes) { this.nodes = nodes; }
    public Boolean getHealthy() { return healthy; }
    public void setHealthy(Boolean healthy) { this.healthy = healthy; }
  }
}
