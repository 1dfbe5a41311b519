package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.relay.RelayFrame;
import dev.wgmesh.core.util.Errors;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.DesiredConfig;
import dev.wgmesh.kube.NodeController;
import dev.wgmesh.kube.NodeRole;
import dev.wgmesh.kube.NodeSettings;
import dev.wgmesh.kube.NodeStatus;
import dev.wgmesh.registry.RegistryMetrics;
import dev.wgmesh.registry.ZoneRefresher;
import dev.wgmesh.registry.dns.AnswerBuilder;
import dev.wgmesh.registry.dns.DnsServer;
import dev.wgmesh.registry.dns.ZoneIndex;
import dev.wgmesh.registry.relay.RelayServer;
import io.fabric8.kubernetes.api.model.Secret;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.KubeApiException;
import dev.wgmesh.kube.client.ResourceKind;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code wgmesh registry --kubernetes}: the standalone registry ({@link ZoneRefresher},
 * {@link DnsServer}, {@link RelayServer}) on an interface configured from the operator's resources:
 * the private key from the Secret {@code <mesh>-registry-key}, the peers from the
 * {@code WireGuardNodeConfig} {@code <mesh>-registry}, the zone from the {@code WireGuardMesh}. The
 * loop, the interface and the status are the {@link NodeController}'s, which brings the interface
 * to the configuration with the agent's own reconciliation ({@link InterfaceReconciler}), so the
 * endpoints the registry learns from its peers' handshakes are never reset. This is the registry's
 * part: the key and the zone, read again every {@code reconcileInterval}; DNS-SD and the relay,
 * served on the tunnel addresses and moved when they change.
 *
 * <p>An API server outage changes nothing: the registry keeps serving what its device observes.
 */
public final class KubernetesRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesRegistry.class);

  /**
   * The loop's timings ({@link NodeSettings}: {@code tick} is how often the device is read,
   * handshake times alone never make a status write) and what the registry serves, where.
   */
  public static final class Settings extends NodeSettings<Settings> {
    private String namespace;
    private Optional<String> zone = Optional.empty();
    private List<InetSocketAddress> listen = List.of();
    private int dnsPort = 53;
    private List<InetSocketAddress> relayListen = List.of();
    private int relayPort = RelayFrame.DEFAULT_PORT;
    private Optional<Duration> maxHandshakeAge = Optional.of(Duration.ofSeconds(180));
    private int maxUdpPayload = AnswerBuilder.DEFAULT_MAX_UDP_PAYLOAD;
    private int udpWorkers = Runtime.getRuntime().availableProcessors();
    private DnsServer.UdpIo udpIo = DnsServer.UdpIo.AUTO;

    /** This registry's name in the mesh's registries; null for the mesh's single registry. */
    private final String registryName;

    private Settings(String mesh, String registryName) {
      super(RegistryObjectNames.object(mesh, registryName), mesh);
      this.registryName = registryName;
    }

    /** @param namespace the key Secret's; null: the client's */
    public static Settings defaults(String mesh, String namespace) {
      return defaults(mesh, null, namespace);
    }

    /**
     * @param registryName the registry's name in the mesh's registries (its config is
     *     {@code <mesh>-registry-<name>}, its Secret {@code <mesh>-registry-<name>-key}); null for
     *     the mesh's single registry ({@code <mesh>-registry}, {@code <mesh>-registry-key}); names
     *     that are no RFC 1035 label are hashed ({@link RegistryObjectNames})
     * @param namespace the key Secret's; null: the client's
     */
    public static Settings defaults(String mesh, String registryName, String namespace) {
      return new Settings(mesh, registryName).withNamespace(namespace).withStatusMinInterval(Duration.ofSeconds(5));
    }

    /** The name of this registry's key Secret. */
    public String secretName() {
      return RegistryObjectNames.secret(mesh(), registryName);
    }

    /** The key Secret's namespace. */
    public Settings withNamespace(String n) {
      namespace = n;
      return this;
    }

    /** Overrides the mesh's zone when present. */
    public Settings withZone(Optional<String> z) {
      zone = z;
      return this;
    }

    /** Where to serve DNS; empty: every tunnel address, port 53. */
    public Settings withListen(List<InetSocketAddress> l) {
      listen = List.copyOf(l);
      return this;
    }

    /** Where to relay: {@code listen}, or when empty every tunnel address at {@code port}. */
    public Settings withRelay(List<InetSocketAddress> listen, int port) {
      relayListen = List.copyOf(listen);
      relayPort = port;
      return this;
    }

    /** Peers with an older handshake are withheld; empty: served however old. */
    public Settings withMaxHandshakeAge(Optional<Duration> age) {
      maxHandshakeAge = age;
      return this;
    }

    /** The largest UDP answer with EDNS, and the UDP threads per address. */
    public Settings withUdp(int maxPayload, int workers) {
      return withUdp(maxPayload, workers, DnsServer.UdpIo.AUTO);
    }

    /** The largest UDP answer with EDNS, the UDP threads per address, and how UDP is served. */
    public Settings withUdp(int maxPayload, int workers, DnsServer.UdpIo io) {
      maxUdpPayload = maxPayload;
      udpWorkers = workers;
      udpIo = io;
      return this;
    }
  }

  private final Settings settings;
  private final KubeApi client;
  private final InterfaceReconciler reconciler;
  private final RegistryMetrics metrics;
  private final Clock clock;
  private final NodeController<RegistryConfigs.Translated> controller;
  private volatile KeyPair keys;
  private volatile Serving serving;

  // Owned by the loop thread.
  private String zone;
  private Instant nextRead = Instant.MIN;
  private final Map<String, String> loggedProblems = new HashMap<>();

  /** What is being served, and where (as asked for: port 0 stays 0 here). */
  private record Serving(String zone, List<InetAddress> tunnel, List<InetSocketAddress> dns, List<InetSocketAddress> relay,
      ZoneRefresher service, DnsServer dnsServer, RelayServer relayServer) {
    boolean sameAs(String z, List<InetAddress> t, List<InetSocketAddress> d, List<InetSocketAddress> r) {
      return zone.equals(z) && tunnel.equals(t) && dns.equals(d) && relay.equals(r);
    }

    void close() {
      dnsServer.close();
      if (relayServer != null) {
        relayServer.close();
      }
    }
  }

  public KubernetesRegistry(Settings settings, KubeApi client, InterfaceReconciler reconciler, RegistryMetrics metrics, Clock clock) {
    this.settings = settings;
    this.client = client;
    this.reconciler = reconciler;
    this.metrics = metrics;
    this.clock = clock;
    this.controller = new NodeController<>("registry", settings, client, reconciler, new Role(), clock);
  }

  /** Starts following the API server; returns at once. */
  public synchronized void start() {
    try {
      controller.start();
    } catch (IOException e) {
      throw new IllegalStateException("the registry starts without reading anything", e);
    }
  }

  /** The addresses DNS is served on (UDP and TCP), once serving. */
  public List<InetSocketAddress> dnsAddresses() {
    Serving s = serving;
    return s == null ? List.of() : s.dnsServer().addresses();
  }

  public List<InetSocketAddress> relayAddresses() throws IOException {
    Serving s = serving;
    return s == null || s.relayServer() == null ? List.of() : s.relayServer().addresses();
  }

  public Optional<KeyPair> keys() {
    return Optional.ofNullable(keys);
  }

  public int statusWrites() {
    return controller.statusWrites();
  }

  @Override
  public synchronized void close() {
    controller.close();
  }

  /** @return true when a new key was loaded */
  private boolean readKey() {
    try {
      Secret secret = client.get(ResourceKind.SECRETS, settings.namespace, settings.secretName()).map(RegistryKey::secret).orElse(null);
      if (secret == null) {
        problem("key", "Secret " + settings.namespace + "/" + settings.secretName() + " does not exist yet; waiting");
        return false;
      }
      KeyPair read = RegistryKey.parse(secret);
      solved("key");
      if (keys == null || !keys.privateKey().equals(read.privateKey())) {
        log.info("registry key {}: public key {}", keys == null ? "loaded" : "changed", read.publicKey().toBase64());
        keys = read;
        return true;
      }
    } catch (KubeApiException | IllegalArgumentException e) {
      problem("key", "cannot read the registry's key: " + Errors.shortMessage(e) + (keys == null ? "; waiting" : "; keeping the current key"));
    }
    return false;
  }

  /** @return true when the zone changed */
  private boolean readZone() {
    if (settings.zone.isPresent()) {
      zone = settings.zone.get();
      return false;
    }
    try {
      WireGuardMesh mesh = client.get(ResourceKind.MESHES, null, settings.mesh()).orElse(null);
      if (mesh == null) {
        problem("mesh", "WireGuardMesh " + settings.mesh() + " does not exist; waiting");
        return false;
      }
      solved("mesh");
      String z = mesh.getSpec() == null ? null : mesh.getSpec().effectiveRegistries().stream()
          .filter(r -> Objects.equals(r.getName(), settings.registryName)).map(WireGuardMeshSpec.RegistrySpec::getZone).findFirst().orElse(null);
      if (z != null && !z.equals(zone)) {
        log.info("zone {}", z);
        zone = z;
        return true;
      }
    } catch (KubeApiException e) {
      problem("mesh", "cannot read WireGuardMesh " + settings.mesh() + ": " + Errors.shortMessage(e)
          + (e.code() == 403 ? " (give the registry --zone, or the right to get wireguardmeshes)" : "")
          + (zone == null ? "; waiting" : ""));
    }
    return false;
  }

  /** Logs a problem of a source once, until it is solved or changes. */
  private void problem(String source, String message) {
    if (!message.equals(loggedProblems.put(source, message))) {
      log.warn("{}", message);
    }
  }

  private void solved(String source) {
    if (loggedProblems.remove(source) != null) {
      log.info("{}: readable again", source);
    }
  }

  /** Starts serving, or moves the servers when the zone or the tunnel addresses changed; null when all is well. */
  private String ensureServing(RegistryConfigs.Translated translated) {
    if (zone == null) {
      return "no DNS zone yet (WireGuardMesh " + settings.mesh() + " not readable): not serving";
    }
    List<InetAddress> tunnel = translated.config().addresses().stream().map(IpPrefix::address)
        .sorted(Comparator.comparing(a -> a instanceof Inet6Address)).toList();
    List<InetSocketAddress> dns = settings.listen.isEmpty()
        ? tunnel.stream().map(a -> new InetSocketAddress(a, settings.dnsPort)).toList() : settings.listen;
    List<InetSocketAddress> relay = !translated.relay() ? List.of() : settings.relayListen.isEmpty()
        ? tunnel.stream().map(a -> new InetSocketAddress(a, settings.relayPort)).toList() : settings.relayListen;
    if (serving != null && serving.sameAs(zone, tunnel, dns, relay)) {
      return null;
    }
    if (serving != null) {
      log.info("zone or tunnel addresses changed: moving DNS-SD and the relay");
      serving.close();
      serving = null;
    }
    ZoneRefresher service;
    try {
      ZoneIndex.parseZone(zone);
      service = new ZoneRefresher(reconciler.device(), new ZoneRefresher.Config(zone, settings.maxHandshakeAge,
          settings.tick(), Optional.empty(), tunnel, settings.maxUdpPayload), clock, metrics);
    } catch (IOException | IllegalArgumentException e) {
      return "cannot serve zone " + zone + ": " + e.getMessage();
    }
    DnsServer dnsServer;
    try {
      dnsServer = DnsServer.start(service.processor(), dns, settings.udpWorkers, settings.udpIo);
    } catch (DnsServer.ListenException e) {
      return e.getMessage();
    }
    RelayServer relayServer = null;
    if (!relay.isEmpty()) {
      try {
        relayServer = RelayServer.start(relay, clock, metrics.meterRegistry());
      } catch (IOException e) {
        dnsServer.close();
        return e.getMessage();
      }
    }
    serving = new Serving(zone, tunnel, dns, relay, service, dnsServer, relayServer);
    log.info("serving zone {} on {}{}", zone, dnsServer.addresses().stream().map(Endpoints::format).toList(),
        relayServer == null ? ", relay off" : ", relay on " + relayAddressesOf(relayServer));
    return null;
  }

  private static List<String> relayAddressesOf(RelayServer server) {
    try {
      return server.addresses().stream().map(Endpoints::format).toList();
    } catch (IOException e) {
      return List.of("?");
    }
  }

  /** The registry's part of the loop. */
  private final class Role implements NodeRole<RegistryConfigs.Translated> {
    @Override
    public Optional<KeyPair> keys() {
      return Optional.ofNullable(keys);
    }

    /** The key and the zone, read every reconcile interval; a new one is applied at once. */
    @Override
    public boolean refresh(Instant now) {
      if (now.isBefore(nextRead)) {
        return false;
      }
      nextRead = now.plus(settings.reconcileInterval());
      boolean keyChanged = readKey();
      boolean zoneChanged = readZone();
      return keyChanged || zoneChanged;
    }

    @Override
    public Optional<DesiredConfig> desired(DesiredConfig nodeConfig) {
      return Optional.ofNullable(nodeConfig);
    }

    @Override
    public String whenDeleted() {
      return "the registry keeps its interface and goes on serving";
    }

    @Override
    public RegistryConfigs.Translated translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey) {
      return RegistryConfigs.translate(spec, ownPublicKey);
    }

    @Override
    public Optional<String> applied(DesiredConfig desired, RegistryConfigs.Translated translation) {
      return Optional.ofNullable(ensureServing(translation));
    }

    @Override
    public void tick(Instant now) {
      Serving s = serving;
      if (s != null) {
        s.service().refresh();
      }
    }

    @Override
    public List<PeerConfig> reportedPeers(RegistryConfigs.Translated applied) {
      return applied.config().peers();
    }

    /**
     * Every member, with the endpoint the registry observes: the operator shows it in each
     * WireGuardPeer's status. O(members) per write, but written only when a member joins, leaves,
     * or its observed endpoint or mode changes (nothing else is in it), at most once per 5 s.
     */
    @Override
    public NodeStatus.Listing statusListing() {
      return NodeStatus.Listing.EVERY_PEER;
    }

    @Override
    public void close() {
      Serving s = serving;
      if (s != null) {
        s.close();
        serving = null;
      }
    }
  }
}
