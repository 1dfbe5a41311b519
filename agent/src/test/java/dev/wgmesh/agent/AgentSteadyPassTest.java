package dev.wgmesh.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.wgmesh.agent.discovery.Lookup;
import dev.wgmesh.agent.discovery.PeerPathSettings;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A pass over peers of which nothing changed rebuilds none of what the agent reports (counts,
 * paths, the details served at /peers); a pass that sees a change does.
 */
class AgentSteadyPassTest {
  final KeyPair self = KeyPair.generate();
  final WireGuardKey registry = KeyPair.generate().publicKey();

  /** A registry that knows none of the peers. */
  static final class EmptyRegistry implements RegistryQueries {
    @Override
    public Lookup lookup(WireGuardKey key) {
      return new Lookup.NotFound();
    }

    @Override
    public Optional<String> report(WireGuardKey key, List<InetSocketAddress> candidates) {
      return Optional.empty();
    }
  }

  @Test
  void aPassThatChangesNothingReportsNothingAgain() throws Exception {
    List<PeerChange> peers = new ArrayList<>(List.of(AgentRegistriesTest.registryPeer(registry, "203.0.113.1", "10.88.255.254")));
    List<WireGuardKey> mesh = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      WireGuardKey key = KeyPair.generate().publicKey();
      mesh.add(key);
      peers.add(PeerChange.upsert(key, Optional.empty(), List.of(IpPrefix.parse("10.88.0." + i + "/32")), 25));
    }
    InMemoryDevice device = new InMemoryDevice("wg0");
    device.apply(new DeviceChange(Optional.of(self.privateKey()), OptionalInt.of(51820), false, peers));
    List<RegistryTarget> targets = List.of(new RegistryTarget(null, InetAddress.getByName("10.88.255.254"), 53, 51821, "wgmesh.internal"));
    List<List<PeerDetail>> details = new CopyOnWriteArrayList<>();
    AgentObserver observer = new AgentObserver() {
      @Override
      public void peers(List<PeerDetail> p) {
        details.add(p);
      }
    };
    AgentRegistriesTest.TestClock clock = new AgentRegistriesTest.TestClock();
    try (Agent agent = new Agent(device, targets, List.of(new EmptyRegistry()), PeerPathSettings.defaults().withRelay(false),
        Optional.empty(), clock, observer, List::of)) {
      agent.tick();
      assertEquals(1, details.size());
      assertEquals(3, details.get(0).size(), "the mesh peers, not the registry's");
      Map<WireGuardKey, Agent.PeerPath> paths = agent.peerPaths();

      clock.now = clock.now.plusSeconds(1);
      agent.tick();
      assertEquals(1, details.size(), "nothing changed: no new details");
      assertSame(paths, agent.peerPaths(), "nothing changed: the same paths");

      device.setEndpoint(mesh.get(1), new InetSocketAddress("192.0.2.7", 40000));
      clock.now = clock.now.plusSeconds(1);
      agent.tick();
      assertEquals(2, details.size(), "an endpoint changed");
      assertEquals(new InetSocketAddress("192.0.2.7", 40000), agent.peerPaths().get(mesh.get(1)).endpoint().orElseThrow());
      assertEquals(1, details.get(1).stream().filter(d -> "192.0.2.7:40000".equals(d.endpoint())).count());
    }
  }
}
