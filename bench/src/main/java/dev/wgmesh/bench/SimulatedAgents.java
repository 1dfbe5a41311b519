package dev.wgmesh.bench;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.NodeSettings;
import dev.wgmesh.kube.NodeStatus;
import dev.wgmesh.kube.StatusWriter;
import dev.wgmesh.kube.client.HttpKubeApi;
import dev.wgmesh.kube.client.KubeApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node agents (and the registry) of the controller benchmark, as far as the API server sees
 * them: every status check (5 s) each builds its node config's status with the agents' own code
 * ({@link NodeStatus}) from what its device would show, and offers it to its own {@link StatusWriter}
 * (the real one, 5 s minimum interval), which decides whether to write. Every node reaches every
 * other; one node in a hundred (index 7, 107, ...) is behind a NAT that makes it relayed for all the
 * others. Handshake times move on every check (WireGuard re-handshakes every two minutes), as on
 * real devices. Not simulated: the agents' watches (reads).
 *
 * <p>All agents run in this one process, so a check round would cost O(nodes²) here (each agent's
 * status reads the whole device), a core's worth at 5000 nodes taken from the operator and the
 * server being measured. The agents whose own peer is on its best path (direct, handshaken, no
 * longer settling) see the same others, so their statuses differ only in the node's public key:
 * one of them is built, the others take it with their own key. Every round one more of them is
 * built in full and compared, and a difference fails the benchmark.
 */
final class SimulatedAgents implements AutoCloseable {
  static final Duration STATUS_CHECK = Duration.ofSeconds(5);
  static final InetSocketAddress RELAY_SOCKET = new InetSocketAddress("127.0.0.1", 45000);

  /** The simulated agents' client: the node daemons' own ({@link HttpKubeApi}), at the same API server as {@code client}. */
  private final KubeApi client;
  private final String registryConfig;
  private final Map<String, StatusWriter> writers = new ConcurrentHashMap<>();
  private final Map<String, WireGuardKey> keys = new ConcurrentHashMap<>();
  /** The nodes behind the NAT that makes them relayed. */
  private final java.util.Set<String> relayedNodes = ConcurrentHashMap.newKeySet();
  private final java.util.Random random = new java.util.Random(14);
  private final io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization =
      new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
  private final List<PeerConfig> peers = new ArrayList<>();
  private final List<PeerState> device = new ArrayList<>();
  /** When each node joined: its peers find it {@link #FIRST_HANDSHAKE} later. */
  private final Map<WireGuardKey, Instant> joined = new ConcurrentHashMap<>();
  static final Duration FIRST_HANDSHAKE = Duration.ofSeconds(2);
  /** Requests of all simulated agents under way at once (see {@link BoundedKubeApi}). */
  static final int CONCURRENT_REQUESTS = 256;

  SimulatedAgents(KubernetesClient client, String registryConfig) {
    this.client = new BoundedKubeApi(HttpKubeApi.of(client.getConfiguration().getMasterUrl(), client.getConfiguration().getOauthToken()),
        CONCURRENT_REQUESTS);
    this.registryConfig = registryConfig;
    writers.put(registryConfig, writer(registryConfig));
    keys.put(registryConfig, KeyPair.generate().publicKey());
  }

  private StatusWriter writer(String config) {
    return new StatusWriter(client, config, STATUS_CHECK, Clock.systemUTC());
  }

  /** A node whose agent runs from now on: its peer is on every device, and it reports its own config's status. */
  synchronized void add(int index, String name, WireGuardKey key) {
    keys.put(name, key);
    joined.put(key, Instant.now());
    peers.add(new PeerConfig(name, key, List.of(IpPrefix.parse("10.88." + index / 250 + "." + (index % 250 + 1) + "/32")), Optional.empty(), 25));
    boolean relayed = index % 100 == 7;
    if (relayed) {
      relayedNodes.add(name);
    }
    device.add(new PeerState(key, Optional.of(relayed ? RELAY_SOCKET
        : new InetSocketAddress("198.51." + (index / 250) + "." + (index % 250 + 1), 51820)), List.of(), Optional.of(Instant.now()), 0, 0, 25, false));
    writers.put(name, writer(name));
  }

  /** One status check of every agent; returns how many writes it started. */
  int check() {
    List<PeerConfig> ps;
    DeviceState d;
    synchronized (this) {
      Instant now = Instant.now();
      // handshake times and counters move, as they do; a node that just joined is pending for a moment
      device.replaceAll(p -> new PeerState(p.publicKey(), p.endpoint(), p.allowedIps(),
          now.isBefore(joined.get(p.publicKey()).plus(FIRST_HANDSHAKE)) ? Optional.empty()
              : Optional.of(now.minusSeconds(now.getEpochSecond() % 120)),
          p.rxBytes() + 148, p.txBytes() + 148, 25, false));
      ps = List.copyOf(peers);
      d = new DeviceState("wgmesh0", Optional.empty(), Optional.empty(), 51820, 0, List.copyOf(device));
    }
    int started = 0;
    Instant now = Instant.now();
    WireGuardNodeConfigStatus onBestPath = null; // the status of the agents on their best path, built once
    List<String> sharing = new ArrayList<>();
    for (Map.Entry<String, StatusWriter> w : writers.entrySet()) {
      String self = w.getKey();
      WireGuardNodeConfigStatus status;
      if (!onBestPath(self, now)) {
        status = build(self, ps, d, now);
      } else if (onBestPath == null) {
        status = onBestPath = build(self, ps, d, now);
      } else {
        status = withKey(onBestPath, keys.get(self));
        sharing.add(self);
      }
      if (w.getValue().offer(status)) {
        started++;
      }
    }
    if (!sharing.isEmpty()) {
      String self = sharing.get(random.nextInt(sharing.size()));
      Object built = serialization.convertValue(build(self, ps, d, now), Object.class);
      Object shared = serialization.convertValue(withKey(onBestPath, keys.get(self)), Object.class);
      if (!built.equals(shared)) {
        throw new IllegalStateException("the simulated agents' shared status is not node " + self + "'s own: " + shared + " against " + built);
      }
    }
    return started;
  }

  private WireGuardNodeConfigStatus build(String self, List<PeerConfig> peers, DeviceState device, Instant now) {
    boolean registry = self.equals(registryConfig);
    List<PeerConfig> others = registry ? peers : peers.stream().filter(p -> !p.name().equals(self)).toList();
    return NodeStatus.build(1L, null, keys.get(self), others, Optional.of(device), Optional.empty(), Map.of(),
        k -> now.isBefore(joined.get(k).plus(NodeSettings.PENDING_GRACE)), RELAY_SOCKET::equals, now,
        registry ? NodeStatus.Listing.EVERY_PEER : NodeStatus.Listing.NOT_ON_BEST_PATH);
  }

  /** A node agent (not the registry) whose own peer the others reach directly, past its first handshake and its settling. */
  private boolean onBestPath(String self, Instant now) {
    Instant since = self.equals(registryConfig) || relayedNodes.contains(self) ? null : joined.get(keys.get(self));
    return since != null && !now.isBefore(since.plus(FIRST_HANDSHAKE)) && !now.isBefore(since.plus(NodeSettings.PENDING_GRACE));
  }

  private WireGuardNodeConfigStatus withKey(WireGuardNodeConfigStatus status, WireGuardKey key) {
    WireGuardNodeConfigStatus copy = serialization.clone(status);
    copy.setPublicKey(key.toBase64());
    return copy;
  }

  /** Whether some agent holds a status it has not written yet (counts that wait, see {@link StatusWriter}). */
  boolean unwritten() {
    return writers.values().stream().anyMatch(StatusWriter::unwritten);
  }

  /** Status writes that succeeded, all agents. */
  int writes() {
    return writers.values().stream().mapToInt(StatusWriter::writes).sum();
  }

  @Override
  public void close() {
    writers.values().forEach(StatusWriter::close);
  }
}
