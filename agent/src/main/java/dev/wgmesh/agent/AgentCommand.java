package dev.wgmesh.agent;

import dev.wgmesh.agent.discovery.PeerPathSettings;
import dev.wgmesh.agent.kubernetes.KubernetesAgentMain;
import dev.wgmesh.agent.discovery.Registries;
import dev.wgmesh.agent.discovery.RegistryTarget;
import dev.wgmesh.agent.relay.RelayLink;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.relay.RelayFrame;
import dev.wgmesh.core.cli.Cli;
import dev.wgmesh.core.cli.DurationConverter;
import dev.wgmesh.core.cli.EndpointConverter;
import dev.wgmesh.core.wg.DeviceNotFoundException;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.WireGuardDevices;
import dev.wgmesh.kube.KubernetesOptions;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** {@code wgmesh agent}: keep every peer of a WireGuard device connected, directly or relayed. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Keep a WireGuard device's peers connected, directly or relayed.",
      "",
      "Discovers the peers' NAT endpoints from the registry, punches holes through the NATs, and falls back to the "
          + "registry's relay where a NAT defeats punching. Runs as a daemon; --once does one pass.",
      "",
      "Kubernetes mode (--kubernetes): publish this node's WireGuardPeer, create and configure the interface from its "
          + "WireGuardNodeConfig (registry, zone, relay and ports come from there), run discovery on it."
    })
public final class AgentCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);

  @Option(names = "--device", description = "WireGuard interface to manage, e.g. wg0 (standalone mode: required)")
  String deviceName;

  @Option(names = "--registry", paramLabel = "<ip:port>", converter = EndpointConverter.class, split = ",",
      description = "A registry's DNS address inside the tunnel, e.g. 10.99.0.254:53 (standalone mode: required). "
          + "Give it once per registry (or comma-separated): lookups go to the first that answers, relayed peers "
          + "move to another when theirs stops answering")
  List<InetSocketAddress> registryAddresses;

  @Option(names = "--zone", description = "The registry's DNS zone (standalone mode: required)")
  String zone;

  @Mixin
  KubernetesOptions.Node kubernetes;

  @Option(names = "--state-dir", defaultValue = "/var/lib/wgmesh",
      description = "Kubernetes mode: where the private key and the last applied configuration live (default: ${DEFAULT-VALUE})")
  java.nio.file.Path stateDir;

  @Option(names = "--interval", defaultValue = "1s", paramLabel = "<duration>", converter = DurationConverter.class,
      description = "How often to look at the device (default: ${DEFAULT-VALUE})")
  Duration interval;

  @Option(names = "--relay", defaultValue = "auto", paramLabel = "auto|off",
      description = "Relay through the registry when punching fails (default: ${DEFAULT-VALUE})")
  String relayMode;

  @Option(names = "--relay-port", defaultValue = "" + RelayFrame.DEFAULT_PORT,
      description = "The relay's UDP port at the registry, and this agent's (default: ${DEFAULT-VALUE})")
  int relayPort;

  @Option(names = "--host-candidates", defaultValue = "auto", paramLabel = "auto|off|<ip>[,<ip>...]",
      description = "This node's own addresses that peers may try before its NAT mapping (a LAN or global IPv6 address), "
          + "reported to the registry: auto (the interfaces' addresses), off, or a list (default: ${DEFAULT-VALUE}); "
          + "standalone mode: with --kubernetes they are the interfaces' and the Node's addresses")
  String hostCandidates;

  @Option(names = "--once", description = "One discovery pass, then exit (for cron; no relay)")
  boolean once;

  @Option(names = "--metrics", defaultValue = "127.0.0.1:9588", paramLabel = "<ip:port|off>",
      description = "Serve Prometheus metrics at http://<ip:port>/metrics: peers per path, path switches, time to a path, "
          + "relayed bytes (default: ${DEFAULT-VALUE})")
  String metricsListen;

  /** Runs this command alone (the {@code wgmesh} launcher is the usual way in). */
  public static void main(String[] args) {
    Cli.main(new AgentCommand(), args);
  }

  @Override
  public Integer call() throws Exception {
    try (AgentMetrics metrics = new AgentMetrics()) {
      if (!once && !metricsListen.equals("off")) {
        try {
          InetSocketAddress at = metrics.serve(Endpoints.parse(metricsListen));
          log.info("metrics at http://{}/metrics", Endpoints.format(at));
        } catch (IOException | IllegalArgumentException e) {
          return fail(1, "--metrics: " + e.getMessage());
        }
      }
      return call(metrics);
    }
  }

  private int call(AgentMetrics metrics) throws Exception {
    if (kubernetes.enabled()) {
      return KubernetesAgentMain.run(kubernetes, stateDir, interval, metrics);
    }
    if (deviceName == null || registryAddresses == null || registryAddresses.isEmpty() || zone == null) {
      return fail(2, "--device, --registry and --zone are required (or --kubernetes --mesh <name>)");
    }
    Duration tick = interval;
    if (registryAddresses.stream().map(InetSocketAddress::getAddress).distinct().count() < registryAddresses.size()) {
      return fail(2, "--registry: each registry has its own tunnel address; one is given twice");
    }
    List<RegistryTarget> targets = registryAddresses.stream()
        .map(r -> new RegistryTarget(null, r.getAddress(), r.getPort(), relayPort, zone)).toList();
    try {
      if (!relayMode.equals("auto") && !relayMode.equals("off")) {
        throw new IllegalArgumentException("--relay is auto or off, not '" + relayMode + "'");
      }
    } catch (IllegalArgumentException e) {
      return fail(2, e.getMessage());
    }
    WireGuardDevice device;
    DeviceState state;
    try {
      device = WireGuardDevices.open(deviceName);
      state = device.read();
    } catch (DeviceNotFoundException e) {
      return fail(1, e.getMessage());
    }
    for (RegistryTarget registry : targets) {
      if (state.peers().stream().noneMatch(p -> p.allowedIps().stream().anyMatch(a -> a.contains(registry.address())))) {
        return fail(1, "no peer of " + deviceName + " has the registry address " + registry.label()
            + " in its AllowedIPs: add the registry as a peer first");
      }
    }
    Supplier<List<InetAddress>> hostAddresses;
    try {
      hostAddresses = hostCandidates(hostCandidates, deviceName);
    } catch (IllegalArgumentException e) {
      return fail(2, "--host-candidates: " + e.getMessage());
    }
    boolean relayOn = relayMode.equals("auto") && !once;
    PeerPathSettings settings = PeerPathSettings.defaults().withRelay(relayOn);
    AtomicReference<Agent> agentRef = new AtomicReference<>();
    Optional<RelayLink> relay = Optional.empty();
    if (relayOn) {
      InetAddress first = targets.get(0).address();
      if (!RegistryTarget.oneFamily(targets)) {
        return fail(2, "--registry: the relay needs every registry's tunnel address of one family (IPv4 or IPv6)");
      }
      Optional<InetAddress> own = ownTunnelAddress(deviceName, first);
      if (own.isEmpty()) {
        return fail(1, "device " + deviceName + " has no tunnel address of the registry's family; give it one, or use --relay off");
      }
      try {
        relay = Optional.of(new RelayLink(targets.stream().map(RegistryTarget::relay).toList(), own.get(), relayPort,
            state.listenPort(), a -> agentRef.get() != null && agentRef.get().isKnownPeer(a),
            a -> agentRef.get().punchRequested(a), metrics));
      } catch (IOException e) {
        return fail(1, e.getMessage());
      }
    }
    try (Agent agent = new Agent(device, targets, Registries.dnsClients(targets, Registries.TIMEOUT), settings, relay,
        Clock.systemUTC(), metrics, hostAddresses)) {
      agentRef.set(agent);
      if (once) {
        return agent.once();
      }
      log.info("agent on {}: {} {}, zone {}, relay {}", deviceName, targets.size() == 1 ? "registry" : "registries",
          registryAddresses.stream().map(Endpoints::format).collect(java.util.stream.Collectors.joining(", ")), zone, relayMode);
      return runUntilSignalled(agent, tick);
    }
  }

  private static int runUntilSignalled(Agent agent, Duration tick) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      agent.wakeUp();
      try {
        stopped.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "agent-shutdown"));
    boolean failing = false;
    do { // the first pass at once: a starting node should not wait a tick to be connected
      try {
        agent.tick();
        if (failing) {
          log.info("device readable again");
          failing = false;
        }
      } catch (IOException | RuntimeException e) {
        if (!failing) {
          log.warn("cannot read the device: {}; tunnels stay as they are, retrying", e.getMessage());
          failing = true;
        }
      }
      agent.awaitWork(agent.busy() ? Agent.FAST_TICK : tick);
    } while (stop.getCount() > 0);
    log.info("stopping; WireGuard keeps its current endpoints");
    stopped.countDown();
    return 0;
  }

  /** What {@code --host-candidates} asks for: the interfaces' addresses, none, or a fixed list. */
  static Supplier<List<InetAddress>> hostCandidates(String value, String device) {
    if (value.equals("auto")) {
      return () -> HostAddresses.ofThisHost(device);
    }
    if (value.equals("off")) {
      return List::of;
    }
    List<InetAddress> fixed = new ArrayList<>();
    for (String part : value.split(",")) {
      InetAddress a = IpPrefix.parseAddress(part);
      Optional<String> unusable = HostCandidates.unusable(a);
      if (unusable.isPresent()) {
        throw new IllegalArgumentException(unusable.get());
      }
      fixed.add(a);
    }
    if (fixed.size() > HostCandidates.MAX) {
      throw new IllegalArgumentException("at most " + HostCandidates.MAX + " addresses");
    }
    List<InetAddress> result = List.copyOf(fixed);
    return () -> result;
  }

  /** This node's address inside the tunnel, of the same family as the registry's. */
  static Optional<InetAddress> ownTunnelAddress(String device, InetAddress registry) {
    try {
      NetworkInterface nif = NetworkInterface.getByName(device);
      if (nif == null) {
        return Optional.empty();
      }
      return Collections.list(nif.getInetAddresses()).stream()
          .filter(a -> (a instanceof Inet6Address) == (registry instanceof Inet6Address) && !a.isLinkLocalAddress())
          .findFirst();
    } catch (SocketException e) {
      return Optional.empty();
    }
  }

  private static int fail(int code, String message) {
    System.err.println("wgmesh agent: " + message);
    return code;
  }
}
