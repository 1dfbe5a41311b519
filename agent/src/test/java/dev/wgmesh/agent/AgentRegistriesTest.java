package dev.wgmesh.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.Lookup;
import dev.wgmesh.agent.discovery.PeerPathSettings;
import dev.wgmesh.agent.discovery.RegistryHealth;
import dev.wgmesh.agent.discovery.RegistryQueries;
import dev.wgmesh.agent.discovery.RegistryTarget;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.config.InMemoryDevice;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The agent with two registries, on an in-memory device: the self-check finds out which answers,
 * candidates go to each registry that answers, and the peer of one that stays silent is re-created
 * every few seconds so that WireGuard handshakes with it at once when it is back.
 */
class AgentRegistriesTest {
  final KeyPair self = KeyPair.generate();
  final WireGuardKey registryA = KeyPair.generate().publicKey();
  final WireGuardKey registryB = KeyPair.generate().publicKey();
  final InetSocketAddress mapping = new InetSocketAddress("198.51.100.7", 40001);

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    volatile Instant now = Instant.parse("2026-11-29T12:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** A registry that answers the self-lookup with the mapping, or not at all. */
  static final class Registry implements RegistryQueries {
    volatile boolean up = true;
    final Map<WireGuardKey, List<InetSocketAddress>> reports = new ConcurrentHashMap<>();
    final InetSocketAddress mapping;

    Registry(InetSocketAddress mapping) {
      this.mapping = mapping;
    }

    @Override
    public Lookup lookup(WireGuardKey key) {
      return up ? new Lookup.Found(mapping, reports.getOrDefault(key, List.of())) : Lookup.Failed.unreachable("timeout");
    }

    @Override
    public Optional<String> report(WireGuardKey key, List<InetSocketAddress> candidates) {
      if (!up) {
        return Optional.of("registry unreachable");
      }
      reports.put(key, candidates);
      return Optional.empty();
    }
  }

  /** A registry's WireGuard peer as the operator configures it: public endpoint, tunnel address, keepalive 25 s. */
  static PeerChange registryPeer(WireGuardKey key, String publicAddress, String tunnelAddress) {
    return PeerChange.upsert(key, Optional.of(new InetSocketAddress(publicAddress, 51820)), List.of(IpPrefix.parse(tunnelAddress + "/32")),
        25);
  }

  @Test
  void aSilentRegistryIsNoticedAndItsPeerReCreatedWhileTheOtherGetsTheCandidates() throws Exception {
    InMemoryDevice device = new InMemoryDevice("wg0");
    List<PeerChange> peers = new ArrayList<>();
    peers.add(registryPeer(registryA, "203.0.113.1", "10.88.255.254"));
    peers.add(registryPeer(registryB, "203.0.113.2", "10.88.255.253"));
    device.apply(new DeviceChange(Optional.of(self.privateKey()), OptionalInt.of(51820), false, peers));
    List<RegistryTarget> targets = List.of(
        new RegistryTarget(null, InetAddress.getByName("10.88.255.254"), 53, 51821, "wgmesh.internal"),
        new RegistryTarget(null, InetAddress.getByName("10.88.255.253"), 53, 51821, "wgmesh.internal"));
    Registry a = new Registry(mapping);
    Registry b = new Registry(mapping);
    a.up = false;
    TestClock clock = new TestClock();
    List<String> up = new ArrayList<>();
    AgentObserver observer = new AgentObserver() {
      @Override
      public void registry(String label, boolean reachable) {
        synchronized (up) {
          up.add(label + "=" + reachable);
        }
      }
    };
    List<InetAddress> lan = List.of(InetAddress.getByName("192.168.1.10"));
    try (Agent agent = new Agent(device, targets, List.of(a, b), PeerPathSettings.defaults().withRelay(false), Optional.empty(),
        clock, observer, () -> lan)) {
      agent.tick();
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.registries().get(0).state() == RegistryHealth.State.UNREACHABLE
          && agent.registries().get(1).state() == RegistryHealth.State.REACHABLE);
      assertEquals(List.of(new InetSocketAddress("192.168.1.10", 51820)), b.reports.get(self.publicKey()),
          "the registry that answers has this node's candidates");
      assertTrue(a.reports.isEmpty());
      synchronized (up) {
        assertTrue(up.contains("10.88.255.254=false") && up.contains("10.88.255.253=true"), up.toString());
      }

      int before = device.appliedChanges().size();
      clock.now = clock.now.plusSeconds(1);
      agent.tick();
      assertEquals(before, device.appliedChanges().size(), "not at once: a registry may be silent for a moment");
      clock.now = clock.now.plus(Agent.REGISTRY_REHANDSHAKE_INTERVAL);
      agent.tick();
      List<DeviceChange> changes = device.appliedChanges().subList(before, device.appliedChanges().size());
      assertEquals(1, changes.size(), changes.toString());
      assertEquals(List.of(PeerChange.removePeer(registryA), PeerChange.upsert(registryA,
          Optional.of(new InetSocketAddress("203.0.113.1", 51820)), List.of(IpPrefix.parse("10.88.255.254/32")), 25)),
          changes.get(0).peers(), "the silent registry's peer, re-created as it was");

      // Back: it answers the next self-check, gets the candidates, and is left alone again.
      a.up = true;
      clock.now = clock.now.plus(Agent.SELF_CHECK_INTERVAL);
      agent.tick();
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.registries().get(0).state() == RegistryHealth.State.REACHABLE);
      await().atMost(Duration.ofSeconds(5)).until(() -> a.reports.containsKey(self.publicKey()));
      int after = device.appliedChanges().size();
      clock.now = clock.now.plus(Agent.REGISTRY_REHANDSHAKE_INTERVAL.multipliedBy(2));
      agent.tick();
      assertEquals(after, device.appliedChanges().size(), "a registry that answers is never touched");
    }
  }
}
