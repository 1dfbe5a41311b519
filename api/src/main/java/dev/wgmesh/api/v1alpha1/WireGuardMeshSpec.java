package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh's settings. The CEL rule below uses Kubernetes' IP/CIDR library ({@code isCIDR},
 * {@code cidr(..).containsIP}), which CRD validation rules may use from Kubernetes 1.31 on: the
 * CRDs need Kubernetes 1.31 or newer.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.registry) != has(self.registries)",
    message = "set exactly one of registry (one registry) and registries (several)",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.registry) || !has(self.registry.address) || !isCIDR(self.network) || !isIP(self.registry.address)"
        + " || cidr(self.network).containsIP(self.registry.address)",
    message = "registry.address must lie inside network",
    fieldPath = ".registry.address",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.registries) || !isCIDR(self.network) || self.registries.all(r, !has(r.address) || !isIP(r.address)"
        + " || cidr(self.network).containsIP(r.address))",
    messageExpression = "'registries[' + self.registries.filter(r, has(r.address) && isIP(r.address)"
        + " && !cidr(self.network).containsIP(r.address)).map(r, r.name)[0] + '].address must lie inside network'",
    message = "every registries[].address must lie inside network",
    fieldPath = ".registries",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.registries) || self.registries.all(r, has(r.name))",
    message = "every entry of registries has a name",
    fieldPath = ".registries",
    reason = "FieldValueRequired")
@ValidationRule(
    value = "!has(self.registries) || self.registries.all(r, !has(r.name) || self.registries.exists_one(s, has(s.name) && s.name == r.name))",
    message = "the names of registries are unique",
    fieldPath = ".registries",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.registries) || self.registries.all(r, !has(r.address) || self.registries.exists_one(s, has(s.address) && s.address == r.address))",
    message = "the addresses of registries are distinct",
    fieldPath = ".registries",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "!has(self.registry) || !has(self.registry.name)",
    message = "the single registry has no name: name the entries of registries instead",
    fieldPath = ".registry.name",
    reason = "FieldValueForbidden")
public class WireGuardMeshSpec {
  /** IPv4 CIDR: four octets 0..255 and a prefix length 0..32. */
  public static final String IPV4_CIDR = Patterns.IPV4_CIDR;
  /** IPv6 CIDR: an RFC 4291 address (hex groups, at most one "::") and a prefix length 0..128. */
  public static final String IPV6_CIDR = Patterns.IPV6_CIDR;

  /**
   * Values of {@link #getRelay()}; the field stays a String, this type gives the CRD its enum.
   * Not "Off": YAML 1.1 (kubectl) reads a bare Off as the boolean false.
   */
  public enum Relay {
    Auto, Disabled;

    /**
     * Whether a relay setting lets the relay be used: false for {@code Disabled} and for {@code Off}
     * (what configurations saved by older agents may say), in any case; true for {@code Auto},
     * absent or anything else. The one rule for agent and registry.
     */
    public static boolean enabled(String value) {
      return !(Disabled.name().equalsIgnoreCase(value) || "Off".equalsIgnoreCase(value));
    }
  }

  /** The most registries a mesh may have. */
  public static final int MAX_REGISTRIES = 8;
  /** The longest registry name: it goes into object names and (hashed when long) interface names. */
  public static final int MAX_REGISTRY_NAME_LENGTH = 12;

  /** Values of {@link RegistrySpec#getExposure()}. */
  public enum Exposure { HostNetwork, LoadBalancer }

  @Required
  @Pattern(IPV4_CIDR)
  @PrinterColumn(name = "Network")
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

  /** Null when {@link #registries} is used; the two are exclusive (a CEL rule). */
  @JsonPropertyDescription("The registry, when the mesh has one: a WireGuard peer of every node that publishes their endpoints over DNS-SD."
      + " Set exactly one of registry and registries")
  private RegistrySpec registry;

  @Size(min = 1, max = MAX_REGISTRIES)
  @JsonPropertyDescription("Several registries (e.g. one per cloud or region), each a WireGuard peer of every node, serving the same zone"
      + " of what it observes and relaying between the nodes it has: no single point of failure. Set exactly one of registry and registries")
  private List<RegistrySpec> registries;

  @SchemaFrom(type = Relay.class)
  @Default("Auto")
  @JsonPropertyDescription("Relay through the registry when hole punching fails: Auto or Disabled")
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
  public List<RegistrySpec> getRegistries() { return registries; }
  public void setRegistries(List<RegistrySpec> registries) { this.registries = registries; }
  public String getRelay() { return relay; }
  public void setRelay(String relay) { this.relay = relay; }

  /**
   * The mesh's registries in spec order: {@code registries} when set, else the single
   * {@code registry} as one entry without a name, else none. What every reader of the spec uses.
   */
  @JsonIgnore
  public List<RegistrySpec> effectiveRegistries() {
    if (registries != null && !registries.isEmpty()) {
      return List.copyOf(registries);
    }
    return registry == null ? List.of() : List.of(registry);
  }

  /** Where and how the registry runs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.nodeName) || !has(self.exposure) || self.exposure == 'HostNetwork'",
      message = "nodeName pins the registry to a node and applies only to exposure HostNetwork",
      fieldPath = ".nodeName",
      reason = "FieldValueForbidden")
  public static class RegistrySpec {
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = MAX_REGISTRY_NAME_LENGTH)
    @JsonPropertyDescription("In registries: the registry's name, a DNS label of at most 12 characters (its objects are <mesh>-registry-<name>)."
        + " The single registry has none (its objects are <mesh>-registry)")
    private String name;

    @Pattern(Patterns.ENDPOINT)
    @JsonPropertyDescription("The registry's public WireGuard endpoint as nodes reach it, host:port (e.g. 203.0.113.5:51820)")
    private String endpoint;

    @Pattern(Patterns.IPV4_ADDRESS)
    @Size(max = 15)
    @JsonPropertyDescription("The registry's tunnel address, inside network; default: the last usable address of the network"
        + " (in registries: the last usable one not taken by another entry, then the one before, and so on)")
    private String address;

    @Default("wgmesh.internal")
    @Pattern(Patterns.DNS_ZONE)
    @JsonPropertyDescription("DNS zone of the registry's DNS-SD records")
    private String zone = "wgmesh.internal";

    @SchemaFrom(type = Exposure.class)
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

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
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

    /** Its WireGuard port: {@code port}, 51820 when unset. */
    public int portOrDefault() {
      return port == null ? 51820 : port;
    }

    /** Whether it runs with exposure HostNetwork (the default). */
    public boolean hostNetwork() {
      return !Exposure.LoadBalancer.name().equals(exposure);
    }

    /** Its Deployment, Service and WireGuardNodeConfig: {@link RegistryObjectNames#object}. */
    public String objectName(String mesh) {
      return RegistryObjectNames.object(mesh, name);
    }

    /** Its key Secret: {@link RegistryObjectNames#secret}. */
    public String secretName(String mesh) {
      return RegistryObjectNames.secret(mesh, name);
    }
  }
}
