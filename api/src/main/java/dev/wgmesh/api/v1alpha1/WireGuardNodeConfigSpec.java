package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Written by the operator only. The schema checks formats and ranges anyway, so that a bug in the
 * renderer shows up as a rejected write rather than as a broken interface on a node.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardNodeConfigSpec {
  @JsonPropertyDescription("The WireGuardMesh this configuration belongs to")
  private String mesh;
  @PrinterColumn(name = "Node")
  @JsonPropertyDescription("The node whose agent applies this configuration (for the registry: the node it is pinned to, if any)")
  private String nodeName;
  /** True for the registry's own configuration. */
  @JsonPropertyDescription("True for the registry's own configuration")
  private Boolean registry;
  /** In JSON/YAML {@code spec.interface}; the Java name avoids the keyword. */
  @JsonProperty("interface")
  @JsonPropertyDescription("The local WireGuard interface: addresses, port, MTU")
  private InterfaceSpec interfaceSpec = new InterfaceSpec();
  /** Deprecated: see {@link #getRegistryPeer()}. */
  @JsonPropertyDescription("Deprecated: the single registry as written by operators before registryPeers; agents read it only when"
      + " registryPeers is empty. Current operators write registryPeers only")
  private RegistryPeer registryPeer;
  @JsonPropertyDescription("Every registry of the mesh as a peer of this node, in the mesh's order; absent in a registry's own configuration")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private List<RegistryPeer> registryPeers = new ArrayList<>();
  @JsonPropertyDescription("Peers of this node only (the registry's config lists every member here); the members every node has are in the mesh's WireGuardPeerSets")
  private List<Peer> peers = new ArrayList<>();
  @JsonPropertyDescription("How the agent discovers endpoints")
  private DiscoveryLoop discovery = new DiscoveryLoop();

  public String getMesh() { return mesh; }
  public void setMesh(String mesh) { this.mesh = mesh; }
  public String getNodeName() { return nodeName; }
  public void setNodeName(String nodeName) { this.nodeName = nodeName; }
  public Boolean getRegistry() { return registry; }
  public void setRegistry(Boolean registry) { this.registry = registry; }
  public InterfaceSpec getInterfaceSpec() { return interfaceSpec; }
  public void setInterfaceSpec(InterfaceSpec interfaceSpec) { this.interfaceSpec = interfaceSpec; }
  /**
   * @deprecated written only by operators from before several registries; read through
   *     {@link #effectiveRegistryPeers()}
   */
  @Deprecated
  public RegistryPeer getRegistryPeer() { return registryPeer; }
  /** @deprecated see {@link #getRegistryPeer()}; kept for tests of configurations older operators wrote */
  @Deprecated
  public void setRegistryPeer(RegistryPeer registryPeer) { this.registryPeer = registryPeer; }
  public List<RegistryPeer> getRegistryPeers() { return registryPeers; }
  public void setRegistryPeers(List<RegistryPeer> registryPeers) { this.registryPeers = registryPeers; }

  /**
   * The registries this node has as peers: {@code registryPeers} when not empty, else the single
   * {@code registryPeer} of a configuration an older operator wrote, else none.
   */
  @JsonIgnore
  public List<RegistryPeer> effectiveRegistryPeers() {
    if (registryPeers != null && !registryPeers.isEmpty()) {
      return List.copyOf(registryPeers);
    }
    return registryPeer == null ? List.of() : List.of(registryPeer);
  }
  public List<Peer> getPeers() { return peers; }
  public void setPeers(List<Peer> peers) { this.peers = peers; }
  public DiscoveryLoop getDiscovery() { return discovery; }
  public void setDiscovery(DiscoveryLoop discovery) { this.discovery = discovery; }

  @Override
  public boolean equals(Object o) {
    return o instanceof WireGuardNodeConfigSpec s && Objects.equals(mesh, s.mesh) && Objects.equals(nodeName, s.nodeName)
        && Objects.equals(registry, s.registry) && Objects.equals(interfaceSpec, s.interfaceSpec)
        && Objects.equals(registryPeer, s.registryPeer) && Objects.equals(registryPeers, s.registryPeers) && Objects.equals(peers, s.peers) && Objects.equals(discovery, s.discovery);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mesh, nodeName, peers);
  }

  /** The local interface: addresses, port, MTU. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class InterfaceSpec {
    @JsonPropertyDescription("Tunnel addresses with the mesh's prefix length, e.g. 10.88.0.1/16 and fd00:88::1/64")
    private List<@Pattern(Patterns.CIDR) String> addresses = new ArrayList<>();
    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("UDP port the interface listens on")
    private Integer listenPort;
    @Min(1280)
    @Max(9000)
    @JsonPropertyDescription("MTU of the interface")
    private Integer mtu;

    public List<String> getAddresses() { return addresses; }
    public void setAddresses(List<String> addresses) { this.addresses = addresses; }
    public Integer getListenPort() { return listenPort; }
    public void setListenPort(Integer listenPort) { this.listenPort = listenPort; }
    public Integer getMtu() { return mtu; }
    public void setMtu(Integer mtu) { this.mtu = mtu; }

    @Override
    public boolean equals(Object o) {
      return o instanceof InterfaceSpec i && Objects.equals(addresses, i.addresses) && Objects.equals(listenPort, i.listenPort)
          && Objects.equals(mtu, i.mtu);
    }

    @Override
    public int hashCode() {
      return Objects.hash(addresses, listenPort, mtu);
    }
  }

  /** The registry as a peer of this node: its public endpoint, DNS-SD and relay inside the tunnel. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistryPeer {
    @Pattern(Patterns.DNS_LABEL)
    @JsonPropertyDescription("The registry's name in the mesh's registries; absent for a mesh's single registry")
    private String name;
    @Pattern(Patterns.KEY)
    @JsonPropertyDescription("The registry's WireGuard public key")
    private String publicKey;
    @Pattern(Patterns.ENDPOINT)
    @JsonPropertyDescription("The registry's public endpoint host:port")
    private String endpoint;
    @Pattern(Patterns.IPV4_ADDRESS)
    @JsonPropertyDescription("The registry's tunnel address, where it serves DNS-SD and the relay")
    private String address;
    @Pattern(Patterns.DNS_ZONE)
    @JsonPropertyDescription("DNS zone of the registry's DNS-SD records")
    private String zone;
    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("The registry's DNS port inside the tunnel")
    private Integer dnsPort;
    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("The registry's relay port inside the tunnel")
    private Integer relayPort;
    @Min(0)
    @Max(3600)
    @JsonPropertyDescription("Persistent keepalive towards the registry in seconds; 0 turns it off")
    private Integer persistentKeepalive;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getPublicKey() { return publicKey; }
    public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
    public String getZone() { return zone; }
    public void setZone(String zone) { this.zone = zone; }
    public Integer getDnsPort() { return dnsPort; }
    public void setDnsPort(Integer dnsPort) { this.dnsPort = dnsPort; }
    public Integer getRelayPort() { return relayPort; }
    public void setRelayPort(Integer relayPort) { this.relayPort = relayPort; }
    public Integer getPersistentKeepalive() { return persistentKeepalive; }
    public void setPersistentKeepalive(Integer persistentKeepalive) { this.persistentKeepalive = persistentKeepalive; }

    @Override
    public boolean equals(Object o) {
      return o instanceof RegistryPeer r && Objects.equals(name, r.name) && Objects.equals(publicKey, r.publicKey) && Objects.equals(endpoint, r.endpoint)
          && Objects.equals(address, r.address) && Objects.equals(zone, r.zone) && Objects.equals(dnsPort, r.dnsPort)
          && Objects.equals(relayPort, r.relayPort) && Objects.equals(persistentKeepalive, r.persistentKeepalive);
    }

    @Override
    public int hashCode() {
      return Objects.hash(publicKey, endpoint, address);
    }
  }

  /** Another member of the mesh, as this node must configure it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Peer {
    @JsonPropertyDescription("The WireGuardPeer's name")
    private String name;
    @Pattern(Patterns.KEY)
    @JsonPropertyDescription("The peer's WireGuard public key")
    private String publicKey;
    @JsonPropertyDescription("What this node routes to the peer: its tunnel addresses, its node's pod CIDRs, extra networks")
    private List<@Pattern(Patterns.CIDR) String> allowedIPs = new ArrayList<>();
    /** Static endpoint only; discovered endpoints are the agent's business, never written here. */
    @Pattern(Patterns.ENDPOINT)
    @JsonPropertyDescription("The peer's static endpoint, if it has one; discovered endpoints are never written here")
    private String endpoint;
    @Min(0)
    @Max(3600)
    @JsonPropertyDescription("Persistent keepalive in seconds; 0 turns it off")
    private Integer persistentKeepalive;

    public Peer() {}

    public Peer(String name, String publicKey, List<String> allowedIPs, String endpoint, Integer persistentKeepalive) {
      this.name = name;
      this.publicKey = publicKey;
      this.allowedIPs = allowedIPs;
      this.endpoint = endpoint;
      this.persistentKeepalive = persistentKeepalive;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getPublicKey() { return publicKey; }
    public void setPublicKey(String publicKey) { this.publicKey = publicKey; }
    public List<String> getAllowedIPs() { return allowedIPs; }
    public void setAllowedIPs(List<String> allowedIPs) { this.allowedIPs = allowedIPs; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public Integer getPersistentKeepalive() { return persistentKeepalive; }
    public void setPersistentKeepalive(Integer persistentKeepalive) { this.persistentKeepalive = persistentKeepalive; }

    @Override
    public boolean equals(Object o) {
      return o instanceof Peer p && Objects.equals(name, p.name) && Objects.equals(publicKey, p.publicKey)
          && Objects.equals(allowedIPs, p.allowedIPs) && Objects.equals(endpoint, p.endpoint)
          && Objects.equals(persistentKeepalive, p.persistentKeepalive);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, publicKey, allowedIPs);
    }
  }

  /** How the agent discovers endpoints. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class DiscoveryLoop {
    @SchemaFrom(type = WireGuardMeshSpec.Relay.class)
    @JsonPropertyDescription("Relay through the registry when hole punching fails: Auto or Disabled")
    private String relay = "Auto";

    public String getRelay() { return relay; }
    public void setRelay(String relay) { this.relay = relay; }

    @Override
    public boolean equals(Object o) {
      return o instanceof DiscoveryLoop d && Objects.equals(relay, d.relay);
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(relay);
    }
  }
}
