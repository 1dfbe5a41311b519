package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.Agent;
import dev.wgmesh.agent.AgentObserver;
import dev.wgmesh.agent.discovery.PeerPathSettings;
import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.agent.discovery.Registries;
import dev.wgmesh.agent.discovery.RegistryTarget;
import java.util.stream.Collectors;
import dev.wgmesh.agent.relay.RelayLink;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.agent.discovery.PathKind;
import java.util.function.Supplier;
import java.util.List;
import java.net.InetAddress;
import dev.wgmesh.agent.HostAddresses;

/** The standalone agent's discovery ({@link Agent}, {@link RegistryClient}, {@link RelayLink}) behind {@link DiscoveryLoop}. */
public final class AgentDiscoveryLoop implements DiscoveryLoop {
  private static final Logger log = LoggerFactory.getLogger(AgentDiscoveryLoop.class);

  /** How long one {@link #tick()} may keep going while peers try candidates. */
  static final Duration BUSY_BUDGET = Duration.ofMillis(900);
  private final Agent agent;
  private final Optional<RelayLink> relay;
  /** The agent's paths {@link #labels} were made from. */
  private Map<WireGuardKey, Agent.PeerPath> labelled;
  private Map<WireGuardKey, String> labels = Map.of();

  private AgentDiscoveryLoop(Agent agent, Optional<RelayLink> relay) {
    this.agent = agent;
    this.relay = relay;
  }

  /** Wires an {@link Agent} as {@code wgmesh agent} does, with the target's registry, zone and relay. */
  public static DiscoveryLoop start(RegistryAccess target, WireGuardDevice device) throws IOException {
    return start(target, device, AgentObserver.NONE);
  }

  /** The same, reporting paths and relayed bytes to {@code observer} (the agent's metrics). */
  public static DiscoveryLoop start(RegistryAccess target, WireGuardDevice device, AgentObserver observer) throws IOException {
    return start(target, device, observer, List::of);
  }

  /**
   * The same, with the Node's own addresses (InternalIP, ExternalIP) among the host candidates
   * besides the interfaces' addresses.
   */
  public static DiscoveryLoop start(RegistryAccess target, WireGuardDevice device, AgentObserver observer,
      Supplier<List<InetAddress>> nodeAddresses) throws IOException {
    List<RegistryTarget> registries = target.registries();
    AtomicReference<Agent> agentRef = new AtomicReference<>();
    Optional<RelayLink> relay = Optional.empty();
    boolean oneFamily = RegistryTarget.oneFamily(registries);
    boolean relayOn = target.relay() && target.ownAddress().isPresent() && oneFamily;
    if (target.relay() && target.ownAddress().isEmpty()) {
      log.warn("no tunnel address of the registry's family on {}: relay off", device.name());
    } else if (target.relay() && !oneFamily) {
      log.warn("the registries' tunnel addresses are of both families: relay off");
    }
    if (relayOn) {
      int port = NodeConfigs.listenPort(target, device.read().listenPort());
      relay = Optional.of(new RelayLink(registries.stream().map(RegistryTarget::relay).toList(), target.ownAddress().get(),
          registries.get(0).relayPort(), port, a -> agentRef.get() != null && agentRef.get().isKnownPeer(a),
          a -> {
            Agent a2 = agentRef.get();
            if (a2 != null) {
              a2.punchRequested(a);
            }
          }, observer));
    }
    PeerPathSettings settings = PeerPathSettings.defaults().withRelay(relayOn);
    Agent agent = new Agent(device, registries, Registries.dnsClients(registries, Registries.TIMEOUT), settings, relay,
        Clock.systemUTC(), observer,
        () -> HostAddresses.withNodeAddresses(nodeAddresses.get(), HostAddresses.ofThisHost(device.name())));
    agentRef.set(agent);
    log.info("discovery on {}: {}, relay {}", device.name(),
        registries.stream().map(r -> "registry " + Endpoints.format(r.dns()) + " zone " + r.zone()).collect(Collectors.joining(", ")),
        relayOn ? "on port " + registries.get(0).relayPort() : "off");
    return new AgentDiscoveryLoop(agent, relay);
  }

  /**
   * One pass, followed by more every {@link Agent#FAST_TICK} while some peer is trying candidates
   * (for at most {@link #BUSY_BUDGET}: the node loop calls again at its interval).
   */
  @Override
  public void tick() throws IOException {
    long deadline = System.nanoTime() + BUSY_BUDGET.toNanos();
    agent.tick();
    while (agent.busy() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(Agent.FAST_TICK.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      agent.tick();
    }
  }

  @Override
  public Map<PeerPathStateMachine.Mode, Integer> modeCounts() {
    return agent.modeCounts();
  }

  /** The agent's paths as labels, converted again only when the agent's paths changed (it keeps them while nothing changes). */
  @Override
  public synchronized Map<WireGuardKey, String> peerPaths() {
    Map<WireGuardKey, Agent.PeerPath> paths = agent.peerPaths();
    if (paths != labelled) {
      Map<WireGuardKey, PathKind> kinds = new java.util.HashMap<>();
      paths.forEach((k, p) -> kinds.put(k, p.kind()));
      labels = Map.copyOf(StatusBuilder.labels(kinds));
      labelled = paths;
    }
    return labels;
  }

  @Override
  public List<Agent.RegistryReach> registries() {
    return agent.registries();
  }

  @Override
  public boolean isRelayEndpoint(InetSocketAddress endpoint) {
    return relay.map(r -> r.isRelayEndpoint(endpoint)).orElse(false);
  }

  @Override
  public void close() {
    agent.close(); // closes the relay link too
  }
}
