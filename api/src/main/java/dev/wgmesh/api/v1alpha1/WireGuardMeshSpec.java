package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.LinkedHashMap;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardMeshSpec {
  /** IPv4 CIDR: four octets and a prefix length (ranges are checked by the operator). */
  public static final String IPV4_CIDR = "^([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$";
  /** IPv6 CIDR, loosely: hex groups and colons, and a prefix length up to 128. */
  public static final String IPV6_CIDR = "^[0-9a-fA-F:]+:[0-9a-fA-F:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$";

  @Required
  @Pattern(IPV4_CIDR)
  @JsonPropertyDescription("IPv4 network the tunnel addresses are allocated from, e.g. 10.88.0.0/16")
  private String network;

  @Pattern(IPV6_CIDR)
  @JsonPropertyDescription("Optional IPv6 network for dual-stack tunnel addresses, e.g. fd00:88::/64")
  private String networkV6;

  @Min(1)
  @Max(65535)
  @Default("51820")
  @JsonPropertyDescription("UDP port every node's WireGuard interface listens on")
  private Integer listenPort = 51820;

  @Min(1280)
  @Max(9000)
  @Default("1420")
  @JsonPropertyDescription("MTU of the WireGuard interfaces")
  private Integer mtu = 1420;

  @Min(0)
  @Max(3600)
  @Default("25")
  @JsonPropertyDescription("Persistent keepalive in seconds (keeps NAT mappings open); 0 turns it off")
  private Integer persistentKeepalive = 25;

  @JsonPropertyDescription("Only nodes with these labels join the mesh; empty: every node")
  private Map<String, String> nodeSelector = new LinkedHashMap<>();

  @Required
  @JsonPropertyDescription("The registry: a WireGuard peer of every node that publishes their endpoints over DNS-SD")
  private RegistrySpec registry = new RegistrySpec();

  @Pattern("^(Auto|Off)$")
  @Default("Auto")
  @JsonPropertyDescription("Relay through the registry when hole punching fails: Auto or Off")
  private String relay = "Auto";

  public String getNetwork() { return network; }
  public void setNetwork(String network) { this.network = network; }
  public String getNetworkV6() { return networkV6; }
  public void setNetworkV6(String networkV6) { this.networkV6 = networkV6; }
  public Integer getListenPort() { return listenPort; }
  public void setListenPort(Integer listenPort) { this.listenPort = listenPort; }
  public Integer getMtu() { return mtu; }
  public void setMtu(Integer mtu) { this.mtu = mtu; }
  public Integer getPersistentKeepalive() { return persistentKeepalive; }
  public void setPersistentKeepalive(Integer persistentKeepalive) { this.persistentKeepalive = persistentKeepalive; }
  public Map<String, String> getNodeSelector() { return nodeSelector; }
  public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
  public RegistrySpec getRegistry() { return registry; }
  public void setRegistry(RegistrySpec registry) { this.registry = registry; }
  public String getRelay() { return relay; }
  public void setRelay(String relay) { this.relay = relay; }

  /** Where and how the registry runs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistrySpec {
    @Pattern("^([^:\\[\\]]+|\\[[0-9a-fA-F:.]+\\]):[0-9]{1,5}$")
    @JsonPropertyDescription("The registry's public WireGuard endpoint as nodes reach it, host:port (e.g. 203.0.113.5:51820)")
    private String endpoint;

    @Pattern("^([0-9]{1,3}\\.){3}[0-9]{1,3}$")
    @JsonPropertyDescription("The registry's tunnel address; default: the last address of the network")
    private String address;

    @Default("wgmesh.internal")
    @Pattern("^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\\.?$")
    @JsonPropertyDescription("DNS zone of the registry's DNS-SD records")
    private String zone = "wgmesh.internal";

    @Pattern("^(HostNetwork|LoadBalancer)$")
    @Default("HostNetwork")
    @JsonPropertyDescription("HostNetwork (pinned to a node with a public address; exact source ports) or LoadBalancer (externalTrafficPolicy Local)")
    private String exposure = "HostNetwork";

    @JsonPropertyDescription("With HostNetwork: the node the registry runs on")
    private String nodeName;

    @Min(1)
    @Max(65535)
    @Default("51820")
    @JsonPropertyDescription("The registry's WireGuard UDP port")
    private Integer port = 51820;

    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
    public String getZone() { return zone; }
    public void setZone(String zone) { this.zone = zone; }
    public String getExposure() { return exposure; }
    public void setExposure(String exposure) { this.exposure = exposure; }
    public String getNodeName() { return nodeName; }
    public void setNodeName(String nodeName) { this.nodeName = nodeName; }
    public Integer getPort() { return port; }
    public void setPort(Integer port) { this.port = port; }
  }
}
