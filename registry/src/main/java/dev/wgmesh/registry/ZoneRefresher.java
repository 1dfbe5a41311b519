package dev.wgmesh.registry;

import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.util.Durations;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.registry.dns.PeerSelection;
import dev.wgmesh.registry.dns.QueryProcessor;
import dev.wgmesh.registry.dns.ServedPeer;
import dev.wgmesh.registry.dns.ZoneIndex;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.slf4j.LoggerFactory;

/**
 * Keeps the served zone in step with the WireGuard device and the nodes' reports: reads the
 * device at most once per refresh interval (never per query), selects the fresh peers, adds the
 * host candidates each node reported, and swaps in a new index only when the served set changed.
 * Logs one line per change of a peer, none per query.
 *
 * <p>A node reports its candidates with a DNS UPDATE ({@link HostCandidates}) sent through its
 * tunnel: the report is taken only when its source address is the tunnel address (a host route
 * in the AllowedIPs) of the very peer whose key it names, which WireGuard's cryptokey routing has
 * authenticated. Candidates live
 * as long as the peer is on the device; the agent reports again when it sees them missing.
 */
public final class ZoneRefresher {
  private static final Logger log = LoggerFactory.getLogger(ZoneRefresher.class);

  /** The registry's own entry (wgsd's "self"): the endpoint peers should use to reach it. */
  public record SelfPeer(InetSocketAddress endpoint, List<IpPrefix> allowedIps) {}

  public record Config(
      String zone,
      Optional<Duration> maxHandshakeAge,
      Duration refreshInterval,
      Optional<SelfPeer> self,
      List<InetAddress> nameServerAddresses,
      int maxUdpPayload) {}

  private final WireGuardDevice device;
  private final Config config;
  private final Clock clock;
  private final RegistryMetrics metrics;
  private final PeerSelection selection;
  private final QueryProcessor processor;
  private DeviceState lastState;
  /** Each peer by its tunnel address (a host route in its AllowedIPs): who may report candidates. */
  private Map<InetAddress, PeerState> byTunnelAddress = Map.of();
  private Map<WireGuardKey, ServedPeer> served = new LinkedHashMap<>();
  private final Map<WireGuardKey, List<InetSocketAddress>> candidates = new HashMap<>();
  private long serial;
  private boolean readFailing;

  /** Reads the device once; fails when it cannot, so a wrong device name stops startup. */
  public ZoneRefresher(WireGuardDevice device, Config config, Clock clock, RegistryMetrics metrics) throws IOException {
    this.device = device;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    this.selection = new PeerSelection(config.maxHandshakeAge());
    ZoneIndex.parseZone(config.zone()); // validate before anything else
    this.serial = clock.instant().getEpochSecond() & 0xFFFFFFFFL;
    setState(readDevice());
    this.processor =
        new QueryProcessor(ZoneIndex.build(config.zone(), List.of(), serial, config.nameServerAddresses()), config.maxUdpPayload(), metrics);
    this.processor.onUpdate(this::report);
    reselect();
  }

  public QueryProcessor processor() {
    return processor;
  }

  /** One refresh: read the device (keeping the last state if that fails) and reselect. */
  public synchronized void refresh() {
    try {
      setState(readDevice());
      if (readFailing) {
        readFailing = false;
        log.info("device {} readable again", device.name());
      }
    } catch (IOException | RuntimeException e) {
      metrics.deviceReadError();
      if (!readFailing) {
        readFailing = true;
        log.warn("cannot read device {}: {}; serving the last known state while it ages out", device.name(), e.getMessage());
      }
    }
    reselect();
  }

  private void setState(DeviceState state) {
    Map<InetAddress, PeerState> tunnel = new HashMap<>();
    for (PeerState peer : state.peers()) {
      for (IpPrefix prefix : peer.allowedIps()) {
        if (prefix.length() == (prefix.isIpv4() ? 32 : 128)) {
          tunnel.putIfAbsent(prefix.address(), peer); // the first peer with that route, as WireGuard routes
        }
      }
    }
    lastState = state;
    byTunnelAddress = tunnel;
  }

  private DeviceState readDevice() throws IOException {
    long start = System.nanoTime();
    try {
      return device.read();
    } finally {
      metrics.deviceReadLatency().record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  /**
   * Takes a node's candidate report (a DNS UPDATE) from tunnel address {@code source}; returns
   * the DNS rcode for the answer. Serves the candidates at once: the next query sees them. A
   * report costs the reporting peer's records only, not a pass over the zone, so the reports of
   * a whole mesh starting cost O(N), not O(N²).
   */
  public synchronized int report(Message update, InetAddress source) {
    HostCandidates.Report report = HostCandidates.read(update, config.zone());
    if (report instanceof HostCandidates.Report.Rejected rejected) {
      log.debug("candidate report from {} rejected: {}", source.getHostAddress(), rejected.reason());
      return rejected.rcode();
    }
    HostCandidates.Report.Candidates reported = (HostCandidates.Report.Candidates) report;
    // Only a peer's own tunnel address (a host route in its AllowedIPs) may report: not a pod or
    // a LAN routed behind the node, whose packets the tunnel carries with their own source.
    PeerState sender = byTunnelAddress.get(source);
    if (sender == null || !sender.publicKey().equals(reported.key())) {
      log.warn("refused a candidate report for {} from {}: {}", reported.key().toBase64(), source.getHostAddress(),
          sender == null ? "no peer has that address" : "the address belongs to another peer");
      return Rcode.REFUSED;
    }
    List<InetSocketAddress> before = candidates.put(reported.key(), reported.endpoints());
    if (!reported.endpoints().equals(before)) {
      log.info("peer {} reports host candidates {}", reported.key().toBase64(),
          reported.endpoints().stream().map(Endpoints::format).toList());
      ServedPeer peer = served.get(reported.key());
      if (peer != null) { // otherwise served with them once fresh, by the next refresh
        ServedPeer updated = peer.withCandidates(reported.endpoints());
        served.put(updated.key(), updated);
        processor.apply(List.of(updated), List.of(), nextSerial(clock.instant()));
      }
    }
    return Rcode.NOERROR;
  }

  private long nextSerial(Instant now) {
    serial = Math.max(serial + 1, now.getEpochSecond()) & 0xFFFFFFFFL;
    return serial;
  }

  private void reselect() {
    Instant now = clock.instant();
    Optional<ServedPeer> self = config.self().flatMap(s ->
        lastState.publicKey().map(key -> new ServedPeer(key, s.endpoint(), s.allowedIps())));
    PeerSelection.Result result = selection.select(lastState, now, self);
    Map<WireGuardKey, ServedPeer> next = new LinkedHashMap<>();
    Set<WireGuardKey> onDevice = new HashSet<>();
    lastState.peers().forEach(p -> onDevice.add(p.publicKey()));
    candidates.keySet().retainAll(onDevice);
    for (ServedPeer peer : result.served()) {
      next.put(peer.key(), peer.withCandidates(candidates.getOrDefault(peer.key(), List.of())));
    }
    metrics.peers(next.size(), result.withheldStale(), result.withheldNoEndpoint());
    if (next.equals(served)) {
      return;
    }
    logChanges(served, next, now);
    List<ServedPeer> changed = new ArrayList<>();
    for (ServedPeer peer : next.values()) {
      if (!peer.equals(served.get(peer.key()))) {
        changed.add(peer);
      }
    }
    List<WireGuardKey> removed = served.keySet().stream().filter(key -> !next.containsKey(key)).toList();
    served = next;
    processor.apply(changed, removed, nextSerial(now));
  }

  private void logChanges(Map<WireGuardKey, ServedPeer> before, Map<WireGuardKey, ServedPeer> after, Instant now) {
    Map<WireGuardKey, PeerState> onDevice = new HashMap<>();
    lastState.peers().forEach(p -> onDevice.put(p.publicKey(), p));
    for (ServedPeer peer : after.values()) {
      ServedPeer old = before.get(peer.key());
      if (old == null) {
        log.info("serving peer {} at {}", peer.key().toBase64(), Endpoints.format(peer.endpoint()));
      } else if (!Objects.equals(old.endpoint(), peer.endpoint())) {
        log.info("peer {} moved from {} to {}", peer.key().toBase64(), Endpoints.format(old.endpoint()), Endpoints.format(peer.endpoint()));
      } else if (!old.allowedIps().equals(peer.allowedIps())) {
        log.info("peer {} allowed IPs now {}", peer.key().toBase64(), peer.allowedIps());
      }
    }
    for (WireGuardKey key : before.keySet()) {
      if (!after.containsKey(key)) {
        log.info("withholding peer {}: {}", key.toBase64(), withheldReason(onDevice.get(key), now));
      }
    }
  }

  private String withheldReason(PeerState peer, Instant now) {
    if (peer == null) {
      return "removed from the device";
    }
    if (peer.endpoint().isEmpty()) {
      return "no endpoint";
    }
    return peer.lastHandshake()
        .map(at -> "last handshake " + Durations.format(Duration.between(at, now).withNanos(0)) + " ago, older than "
            + config.maxHandshakeAge().map(Durations::format).orElse("the limit"))
        .orElse("no handshake yet");
  }
}
