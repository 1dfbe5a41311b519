package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardNodeConfigSpec {
  private String mesh;
  @PrinterColumn(name = "Node")
  private String nodeName;
  /** True for the registry's own configuration. */
  private Boolean registry;
  private InterfaceSpec interfaceSpec = new InterfaceSpec();
  private RegistryPeer registryPeer;
  private List<Peer> peers = new ArrayList<>();
  private Discovery discovery = new Discovery();

  public String getMesh() { return mesh; }
  public void setMesh(String mesh) { this.mesh = mesh; }
  public String getNodeName() { return nodeName; }
  public void setNodeName(String nodeName) { this.nodeName = nodeName; }
  public Boolean getRegistry() { return registry; }
  public void setRegistry(Boolean registry) { this.registry = registry; }
  public InterfaceSpec getInterfaceSpec() { return interfaceSpec; }
  public void setInterfaceSpec(InterfaceSpec interfaceSpec) { this.interfaceSpec = interfaceSpec; }
  public RegistryPeer getRegistryPeer() { return registryPeer; }
  public void setRegistryPeer(RegistryPeer registryPeer) { this.registryPeer = registryPeer; }
  public List<Peer> getPeers() { return peers; }
  public void setPeers(List<Peer> peers) { this.peers = peers; }
  public Discovery getDiscovery() { return discovery; }
  public void setDiscovery(Discovery discovery) { this.discovery = discovery; }

  @Override
  public boolean equals(Object o) {
    return o instanceof WireGuardNodeConfigSpec s && Objects.equals(mesh, s.mesh) && Objects.equals(nodeName, s.nodeName)
        && Objects.equals(registry, s.registry) && Objects.equals(interfaceSpec, s.interfaceSpec)
        && Objects.equals(registryPeer, s.registryPeer) && Objects.equals(peers, s.peers) && Objects.equals(discovery, s.discovery);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mesh, nodeName, peers);
  }

  /** The local interface: addresses, port, MTU. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class InterfaceSpec {
    private List<String> addresses = new ArrayList<>();
    private Integer listenPort;
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
    private String publicKey;
    private String endpoint;
    private String address;
    private String zone;
    private Integer dnsPort;
    private Integer relayPort;
    private Integer persistentKeepalive;

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
      return o instanceof RegistryPeer r && Objects.equals(publicKey, r.publicKey) && Objects.equals(endpoint, r.endpoint)
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
    private String name;
    private String publicKey;
    private List<String> allowedIPs = new ArrayList<>();
    /** Static endpoint only; discovered endpoints are the agent's business, never written here. */
    private String endpoint;
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
  public static class Discovery {
    private String relay = "Auto";

    public String getRelay() { return relay; }
    public void setRelay(String relay) { this.relay = relay; }

    @Override
    public boolean equals(Object o) {
      return o instanceof Discovery d && Objects.equals(relay, d.relay);
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(relay);
    }
  }
}
