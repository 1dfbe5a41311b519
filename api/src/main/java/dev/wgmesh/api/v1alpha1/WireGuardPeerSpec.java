package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardPeerSpec {
  /** Base64 of 32 bytes: 43 characters and one '=' whose predecessor carries no stray bits. */
  public static final String KEY_PATTERN = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$";

  @Required
  @JsonPropertyDescription("The WireGuardMesh this peer belongs to")
  private String mesh;

  @Required
  @Pattern(KEY_PATTERN)
  @JsonPropertyDescription("The peer's WireGuard public key (base64 of 32 bytes)")
  private String publicKey;

  @PrinterColumn(name = "Node")
  @JsonPropertyDescription("The node this peer is; absent for external peers such as a laptop")
  private String nodeName;

  @Pattern("^([0-9]{1,3}\\.){3}[0-9]{1,3}$")
  @JsonPropertyDescription("A fixed tunnel address inside the mesh network; default: allocated by the operator")
  private String address;

  @JsonPropertyDescription("More networks routed to this peer (e.g. a home LAN), CIDR")
  private List<String> allowedIPs = new ArrayList<>();

  @Pattern("^([^:\\[\\]]+|\\[[0-9a-fA-F:.]+\\]):[0-9]{1,5}$")
  @JsonPropertyDescription("A static endpoint host:port, for peers with a stable public address")
  private String endpoint;

  @JsonPropertyDescription("Addresses the agent saw on the node (e.g. its ExternalIP): hints for other nodes")
  private List<String> endpointHints = new ArrayList<>();

  public String getMesh() { return mesh; }
  public void setMesh(String mesh) { this.mesh = mesh; }
  public String getPublicKey() { return publicKey; }
  public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
  public String getNodeName() { return nodeName; }
  public void setNodeName(String nodeName) { this.nodeName = nodeName; }
  public String getAddress() { return address; }
  public void setAddress(String address) { this.address = address; }
  public List<String> getAllowedIPs() { return allowedIPs; }
  public void setAllowedIPs(List<String> allowedIPs) { this.allowedIPs = allowedIPs; }
  public String getEndpoint() { return endpoint; }
  public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
  public List<String> getEndpointHints() { return endpointHints; }
  public void setEndpointHints(List<String> endpointHints) { this.endpointHints = endpointHints; }
}
