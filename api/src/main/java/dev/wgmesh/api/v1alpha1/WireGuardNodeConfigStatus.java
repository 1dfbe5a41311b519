package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;

/** Written by the agent, at a bounded rate. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardNodeConfigStatus {
  @PrinterColumn(name = "Applied")
  @JsonPropertyDescription("The metadata.generation the agent last applied to the interface")
  private Long appliedGeneration;
  @PrinterColumn(name = "Direct")
  @JsonPropertyDescription("Peers reached directly")
  private Integer direct;
  @PrinterColumn(name = "Relayed")
  @JsonPropertyDescription("Peers reached through the registry's relay")
  private Integer relayed;
  @PrinterColumn(name = "Pending")
  @JsonPropertyDescription("Peers with no working path yet")
  private Integer pending;
  @JsonPropertyDescription("The last error applying the configuration; absent when the last apply worked")
  private String lastError;
  @JsonPropertyDescription("The public key of the interface the agent configured")
  private String publicKey;
  @JsonPropertyDescription("Peers per kind of path (lan, ipv6, direct, relayed, pending), absent kinds are 0: a node agent's counts"
      + " of all its peers")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private java.util.Map<String, Integer> paths = new java.util.TreeMap<>();
  @JsonPropertyDescription("A node agent lists only the peers NOT on their best path (relayed or pending), by name, at most"
      + " 50 (peersOmitted counts the rest); a peer on a lan, ipv6 or direct path is counted in paths, not listed: its detail"
      + " is at the agent (wgmeshctl peers). A registry lists every member, with the endpoint it observes.")
  private List<PeerStatus> peers = new ArrayList<>();
  @JsonPropertyDescription("Peers not on their best path that peers leaves out (its limit is 50); absent when none")
  private Integer peersOmitted;
  @JsonPropertyDescription("Each registry of the node's configuration, in its order, as the node's agent sees it: whether it answered"
      + " through the tunnel recently")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private List<RegistryHealth> registries = new ArrayList<>();
  private List<Condition> conditions = new ArrayList<>();

  public Long getAppliedGeneration() { return appliedGeneration; }
  public void setAppliedGeneration(Long appliedGeneration) { this.appliedGeneration = appliedGeneration; }
  public Integer getDirect() { return direct; }
  public void setDirect(Integer direct) { this.direct = direct; }
  public Integer getRelayed() { return relayed; }
  public void setRelayed(Integer relayed) { this.relayed = relayed; }
  public Integer getPending() { return pending; }
  public void setPending(Integer pending) { this.pending = pending; }
  public String getLastError() { return lastError; }
  public void setLastError(String lastError) { this.lastError = lastError; }
  public String getPublicKey() { return publicKey; }
  public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
  public java.util.Map<String, Integer> getPaths() { return paths; }
  public void setPaths(java.util.Map<String, Integer> paths) { this.paths = paths; }
  public Integer getPeersOmitted() { return peersOmitted; }
  public void setPeersOmitted(Integer peersOmitted) { this.peersOmitted = peersOmitted; }
  public List<PeerStatus> getPeers() { return peers; }
  public void setPeers(List<PeerStatus> peers) { this.peers = peers; }
  public List<RegistryHealth> getRegistries() { return registries; }
  public void setRegistries(List<RegistryHealth> registries) { this.registries = registries; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }

  /**
   * The fields the node's agent (or the registry) reports, by name, null where it has no value: a
   * status patch of exactly these leaves what other writers own (conditions) as it is.
   */
  public java.util.Map<String, Object> reportedFields() {
    java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
    fields.put("appliedGeneration", appliedGeneration);
    fields.put("direct", direct);
    fields.put("relayed", relayed);
    fields.put("pending", pending);
    fields.put("lastError", lastError);
    fields.put("publicKey", publicKey);
    fields.put("paths", paths == null || paths.isEmpty() ? null : paths);
    fields.put("peers", peers);
    fields.put("peersOmitted", peersOmitted);
    fields.put("registries", registries);
    return fields;
  }

  /** How this node reaches one peer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PeerStatus {
    @JsonPropertyDescription("The peer's name")
    private String name;
    @JsonPropertyDescription("direct, relayed or pending")
    private String mode;
    @JsonPropertyDescription("The kind of path, from the agent's discovery: lan (the peer's own address on a shared network), ipv6, direct (the NAT mapping the registry observed), relayed or pending")
    private String path;
    @JsonPropertyDescription("The endpoint in use; a registry reports it, a node agent does not (its detail is at the agent)")
    private String endpoint;
    @JsonPropertyDescription("No longer written (handshake times change every two minutes: the status would never settle);"
        + " a node agent serves them on demand (wgmeshctl peers)")
    private String lastHandshake;

    public PeerStatus() {}

    public PeerStatus(String name, String mode, String endpoint, String lastHandshake) {
      this(name, mode, null, endpoint, lastHandshake);
    }

    public PeerStatus(String name, String mode, String path, String endpoint, String lastHandshake) {
      this.name = name;
      this.mode = mode;
      this.path = path;
      this.endpoint = endpoint;
      this.lastHandshake = lastHandshake;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getMode() { return mode; }
    public void setMode(String mode) { this.mode = mode; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public String getLastHandshake() { return lastHandshake; }
    public void setLastHandshake(String lastHandshake) { this.lastHandshake = lastHandshake; }
  }

  /** One registry as the node's agent sees it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistryHealth {
    @JsonPropertyDescription("The registry's name in the mesh's registries; absent for a mesh's single registry")
    private String name;
    @JsonPropertyDescription("The registry's tunnel address")
    private String address;
    @JsonPropertyDescription("True when the registry answered through the tunnel recently, false when it did not; absent when the agent cannot tell yet")
    private Boolean reachable;

    public RegistryHealth() {}

    public RegistryHealth(String name, String address, Boolean reachable) {
      this.name = name;
      this.address = address;
      this.reachable = reachable;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
    public Boolean getReachable() { return reachable; }
    public void setReachable(Boolean reachable) { this.reachable = reachable; }

    @Override
    public boolean equals(Object o) {
      return o instanceof RegistryHealth r && java.util.Objects.equals(name, r.name) && java.util.Objects.equals(address, r.address)
          && java.util.Objects.equals(reachable, r.reachable);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(name, address, reachable);
    }
  }
}
