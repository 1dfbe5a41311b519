package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/**
 * A peer's settings. {@code nodeName} is fixed for the peer's life (a node's peer cannot become
 * another node's, nor an external peer). {@code publicKey} may change: that is a key rotation (a
 * laptop's new key, a reinstalled node whose agent made a new one), and keeping the resource keeps
 * the peer's name, tunnel address and AllowedIPs; the operator re-renders every node config, so
 * the old key drops out everywhere, and checks the new key for duplicates as it checks any key.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.nodeName) == has(oldSelf.nodeName)",
    message = "nodeName cannot be added or removed: delete the peer and create it anew",
    fieldPath = ".nodeName",
    reason = "FieldValueForbidden")
public class WireGuardPeerSpec {
  /** Base64 of 32 bytes: 43 characters and one '=' whose predecessor carries no stray bits. */
  public static final String KEY_PATTERN = Patterns.KEY;

  @Required
  @JsonPropertyDescription("The WireGuardMesh this peer belongs to")
  private String mesh;

  @Required
  @Pattern(KEY_PATTERN)
  @JsonPropertyDescription("The peer's WireGuard public key (base64 of 32 bytes, as wg pubkey prints it)")
  private String publicKey;

  @PrinterColumn(name = "Node")
  @ValidationRule(value = "self == oldSelf", message = "nodeName is immutable", reason = "FieldValueForbidden")
  @JsonPropertyDescription("The node this peer is; absent for external peers such as a laptop. Immutable")
  private String nodeName;

  @Pattern(Patterns.IPV4_ADDRESS)
  @JsonPropertyDescription("A fixed tunnel address inside the mesh network; default: allocated by the operator")
  private String address;

  @JsonPropertyDescription("More networks routed to this peer (e.g. a home LAN), as CIDRs such as 192.168.10.0/24")
  private List<@Pattern(Patterns.CIDR) String> allowedIPs = new ArrayList<>();

  @Pattern(Patterns.ENDPOINT)
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
