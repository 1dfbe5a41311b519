package dev.wgmesh.registry;

import dev.wgmesh.core.util.Shutdown;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.cli.Cli;
import dev.wgmesh.core.cli.DurationConverter;
import dev.wgmesh.core.cli.EndpointConverter;
import dev.wgmesh.core.util.Durations;
import dev.wgmesh.core.wg.DeviceNotFoundException;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.WireGuardDevices;
import dev.wgmesh.kube.KubernetesOptions;
import dev.wgmesh.registry.kubernetes.KubernetesRegistry;
import dev.wgmesh.registry.kubernetes.KubernetesRegistryMain;
import dev.wgmesh.registry.dns.AnswerBuilder;
import dev.wgmesh.registry.dns.DnsServer;
import dev.wgmesh.registry.dns.ZoneIndex;
import dev.wgmesh.registry.relay.RelayServer;
import dev.wgmesh.core.relay.RelayFrame;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code wgmesh registry}: serve the fresh endpoints of a WireGuard device's peers over DNS-SD. */
@Command(
    name = "registry",
    mixinStandardHelpOptions = true,
    description = {
      "Serve peers' NAT endpoints over DNS-SD (wgsd-compatible).",
      "",
      "Publishes the endpoints that a WireGuard device observes for its peers as DNS-SD records; only peers with a "
          + "recent handshake are published. By default DNS is served only on the device's own tunnel addresses, port 53: "
          + "inside the tunnel, not on the internet.",
      "",
      "Kubernetes mode (--kubernetes): the key comes from the Secret <mesh>-registry-key, the interface and the peers from the "
          + "WireGuardNodeConfig <mesh>-registry (with --registry-name <name>: <mesh>-registry-<name>-key and <mesh>-registry-<name>)."
    })
public final class RegistryCommand implements java.util.concurrent.Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RegistryCommand.class);

  @Option(names = "--device", description = "WireGuard interface to read, e.g. wg0 (standalone mode: required)")
  String deviceName;

  @Option(names = "--zone", converter = ZoneConverter.class,
      description = "DNS zone to serve, e.g. wg.example.com (standalone mode: required; Kubernetes mode: default the mesh's)")
  String zone;

  @Mixin
  KubernetesOptions.Namespaced kubernetes;

  @Option(names = "--registry-name", paramLabel = "<name>",
      description = "Kubernetes mode: this registry's name in the mesh's registries (its config <mesh>-registry-<name>, its key"
          + " Secret <mesh>-registry-<name>-key); absent: the mesh's single registry (<mesh>-registry, <mesh>-registry-key)")
  String registryName;

  @Option(names = "--listen", split = ",", paramLabel = "<ip:port>", converter = EndpointConverter.class,
      description = "Addresses to serve DNS on (default: the device's tunnel addresses, port 53)")
  List<InetSocketAddress> listen = new ArrayList<>();

  @Option(names = "--max-handshake-age", defaultValue = "180s", paramLabel = "<duration>", converter = DurationConverter.class,
      description = "Withhold peers whose last handshake is older than this (default: ${DEFAULT-VALUE})")
  Duration maxHandshakeAge;

  @Option(names = "--serve-stale", description = "Serve every peer with an endpoint, however old (benchmarks and static setups only)")
  boolean serveStale;

  @Option(names = "--refresh", defaultValue = "1s", paramLabel = "<duration>", converter = DurationConverter.class,
      description = "Read the device at most this often (default: ${DEFAULT-VALUE})")
  Duration refresh;

  @Option(names = "--self", arity = "0..1", fallbackValue = "auto", paramLabel = "<ip:port>",
      description = "Also serve the registry's own record, at this endpoint ('auto': this host's first global address and the device's port)")
  String self;

  @Option(names = "--max-udp-payload", defaultValue = "" + AnswerBuilder.DEFAULT_MAX_UDP_PAYLOAD,
      description = "Largest UDP answer with EDNS (default: ${DEFAULT-VALUE})")
  int maxUdpPayload;

  @Option(names = "--udp-workers", defaultValue = "0", description = "UDP threads per address (default: one per CPU)")
  int udpWorkers;

  @Option(names = "--udp-io", defaultValue = "auto", paramLabel = "<auto|epoll|nio>",
      description = "How UDP is served: epoll with batched system calls (Linux x86_64), java.nio, or auto: epoll where it loads (default: ${DEFAULT-VALUE})")
  String udpIo;

  @Option(names = "--relay", description = "Relay WireGuard ciphertext between peers that cannot connect directly (inside the tunnel only)")
  boolean relay;

  @Option(names = "--relay-port", defaultValue = "" + RelayFrame.DEFAULT_PORT,
      description = "UDP port of the relay on the tunnel addresses (default: ${DEFAULT-VALUE})")
  int relayPort;

  @Option(names = "--metrics", defaultValue = "127.0.0.1:9586", paramLabel = "<ip:port|off>",
      description = "Serve Prometheus metrics at http://<ip:port>/metrics (default: ${DEFAULT-VALUE})")
  String metricsListen;

  /** Runs this command alone (the {@code wgmesh} launcher is the usual way in). */
  public static void main(String[] args) {
    Cli.main(new RegistryCommand(), args);
  }

  @Override
  public Integer call() throws Exception {
    return kubernetes.enabled() ? callKubernetes() : callStandalone();
  }

  private int callStandalone() throws Exception {
    if (deviceName == null || zone == null) {
      return fail(2, "--device and --zone are required (or --kubernetes --mesh <name>)");
    }
    Duration maxAge = maxHandshakeAge;
    Duration refreshInterval = refresh;
    try {
      ZoneIndex.parseZone(zone);
      if (maxUdpPayload < 512 || maxUdpPayload > 65535) {
        throw new IllegalArgumentException("--max-udp-payload must be between 512 and 65535");
      }
      udpIo();
    } catch (IllegalArgumentException e) {
      return fail(2, e.getMessage());
    }
    WireGuardDevice device;
    try {
      device = WireGuardDevices.open(deviceName);
    } catch (DeviceNotFoundException e) {
      return fail(1, e.getMessage());
    }
    List<InetAddress> tunnelAddresses = interfaceAddresses(deviceName);
    List<InetSocketAddress> listenAddresses = new ArrayList<>(listen);
    if (listenAddresses.isEmpty()) {
      if (tunnelAddresses.isEmpty()) {
        return fail(1, "device " + deviceName + " has no tunnel address on this host to serve DNS on; "
            + "give it one (ip address add ... dev " + deviceName + ") or pass --listen");
      }
      tunnelAddresses.forEach(a -> listenAddresses.add(new InetSocketAddress(a, 53)));
    }
    Optional<ZoneRefresher.SelfPeer> selfPeer = Optional.empty();
    if (self != null) {
      try {
        selfPeer = selfPeer(device.read().listenPort(), tunnelAddresses);
      } catch (IOException | IllegalArgumentException e) {
        return fail(2, "--self: " + e.getMessage());
      }
      if (selfPeer.isEmpty()) {
        return fail(2, "--self: no global address found on this host; give the endpoint as --self=<ip:port>");
      }
    }
    try (RegistryMetrics metrics = new RegistryMetrics()) {
      ZoneRefresher service;
      try {
        service = new ZoneRefresher(device, new ZoneRefresher.Config(
            zone, serveStale ? Optional.empty() : Optional.of(maxAge), refreshInterval,
            selfPeer, tunnelAddresses, maxUdpPayload), Clock.systemUTC(), metrics);
      } catch (IOException e) {
        return fail(1, "cannot read device " + deviceName + ": " + e.getMessage());
      }
      DnsServer server;
      try {
        server = DnsServer.start(service.processor(), listenAddresses,
            udpWorkers > 0 ? udpWorkers : Runtime.getRuntime().availableProcessors(), udpIo());
      } catch (DnsServer.ListenException e) {
        return fail(1, e.getMessage());
      }
      RelayServer relayServer = null;
      if (relay) {
        if (tunnelAddresses.isEmpty()) {
          server.close();
          return fail(1, "--relay: device " + deviceName + " has no tunnel address to relay on");
        }
        try {
          relayServer = RelayServer.start(
              tunnelAddresses.stream().map(a -> new InetSocketAddress(a, relayPort)).toList(),
              Clock.systemUTC(), metrics.meterRegistry());
        } catch (IOException e) {
          server.close();
          return fail(1, e.getMessage());
        }
      }
      if (!metricsListen.equals("off")) {
        try {
          InetSocketAddress at = metrics.serve(Endpoints.parse(metricsListen));
          log.info("metrics at http://{}/metrics", Endpoints.format(at));
        } catch (IOException | IllegalArgumentException e) {
          server.close();
          return fail(1, "--metrics: " + e.getMessage());
        }
      }
      log.info("registry for zone {} on device {}: serving peers with a handshake younger than {}",
          ZoneIndex.parseZone(zone), deviceName, serveStale ? "any age" : Durations.format(maxAge));
      try {
        return runUntilSignalled(service, server, refreshInterval);
      } finally {
        if (relayServer != null) {
          relayServer.close();
        }
      }
    }
  }

  /** {@code --kubernetes}: the same servers on an interface configured from the operator's resources. */
  private int callKubernetes() throws InterruptedException {
    try {
      if (zone != null) {
        ZoneIndex.parseZone(zone);
      }
      if (registryName != null && !registryName.matches(dev.wgmesh.api.v1alpha1.Patterns.DNS_LABEL)) {
        throw new IllegalArgumentException("--registry-name must be a DNS label (lower case letters, digits, inner dashes), got "
            + registryName);
      }
      if (maxUdpPayload < 512 || maxUdpPayload > 65535) {
        throw new IllegalArgumentException("--max-udp-payload must be between 512 and 65535");
      }
      udpIo();
    } catch (IllegalArgumentException e) {
      return fail(2, e.getMessage());
    }
    try (RegistryMetrics metrics = new RegistryMetrics()) {
      if (!metricsListen.equals("off")) {
        try {
          InetSocketAddress at = metrics.serve(Endpoints.parse(metricsListen));
          log.info("metrics at http://{}/metrics", Endpoints.format(at));
        } catch (IOException | IllegalArgumentException e) {
          return fail(1, "--metrics: " + e.getMessage());
        }
      }
      KubernetesRegistry.Settings settings = KubernetesRegistry.Settings.defaults(kubernetes.mesh(), registryName, null)
          .withZone(Optional.ofNullable(zone))
          .withListen(listen)
          .withRelay(List.of(), relayPort)
          .withMaxHandshakeAge(serveStale ? Optional.empty() : Optional.of(maxHandshakeAge))
          .withTick(refresh)
          .withUdp(maxUdpPayload, udpWorkers > 0 ? udpWorkers : Runtime.getRuntime().availableProcessors(), udpIo());
      return KubernetesRegistryMain.run(kubernetes, settings, metrics);
    }
  }

  private DnsServer.UdpIo udpIo() {
    return switch (udpIo) {
      case "auto" -> DnsServer.UdpIo.AUTO;
      case "epoll" -> DnsServer.UdpIo.EPOLL;
      case "nio" -> DnsServer.UdpIo.NIO;
      default -> throw new IllegalArgumentException("--udp-io must be auto, epoll or nio, got '" + udpIo + "'");
    };
  }

  private static int runUntilSignalled(ZoneRefresher service, DnsServer server, Duration refreshInterval) throws InterruptedException {
    ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "registry-refresh");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(service::refresh, refreshInterval.toMillis(), refreshInterval.toMillis(), TimeUnit.MILLISECONDS);
    Shutdown.awaitSignal("registry", Duration.ofSeconds(5), () -> {
      log.info("stopping");
      refresher.shutdownNow();
      server.close();
    });
    return 0;
  }

  private Optional<ZoneRefresher.SelfPeer> selfPeer(int port, List<InetAddress> tunnelAddresses) {
    List<IpPrefix> allowed = tunnelAddresses.stream()
        .map(a -> new IpPrefix(a, a instanceof Inet6Address ? 128 : 32)).toList();
    if (!self.equals("auto")) {
      return Optional.of(new ZoneRefresher.SelfPeer(Endpoints.parse(self), allowed));
    }
    return firstGlobalAddressExcept(deviceName)
        .map(a -> new ZoneRefresher.SelfPeer(new InetSocketAddress(a, port), allowed));
  }

  static List<InetAddress> interfaceAddresses(String name) {
    try {
      NetworkInterface nif = NetworkInterface.getByName(name);
      if (nif == null) {
        return new ArrayList<>();
      }
      List<InetAddress> out = new ArrayList<>();
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (!a.isLinkLocalAddress()) {
          out.add(a);
        }
      }
      out.sort((x, y) -> Boolean.compare(x instanceof Inet6Address, y instanceof Inet6Address)); // IPv4 first
      return out;
    } catch (SocketException e) {
      return new ArrayList<>();
    }
  }

  static Optional<InetAddress> firstGlobalAddressExcept(String device) {
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (nif.getName().equals(device) || nif.isLoopback() || !nif.isUp()) {
          continue;
        }
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          if (!a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
            return Optional.of(a);
          }
        }
      }
    } catch (SocketException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static int fail(int code, String message) {
    System.err.println("wgmesh registry: " + message);
    return code;
  }
}
