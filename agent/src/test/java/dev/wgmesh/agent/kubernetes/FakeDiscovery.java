package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.discovery.PeerPathStateMachine;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A discovery loop that only counts: it records its targets and reports the counts it is given. */
final class FakeDiscovery implements DiscoveryLoop.Factory {
  final List<RegistryAccess> started = new CopyOnWriteArrayList<>();
  final AtomicInteger ticks = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  volatile Map<PeerPathStateMachine.Mode, Integer> counts = Map.of(PeerPathStateMachine.Mode.DIRECT, 0, PeerPathStateMachine.Mode.RELAYED, 0,
      PeerPathStateMachine.Mode.DISCOVERING, 0);
  volatile WireGuardDevice device;

  @Override
  public DiscoveryLoop start(RegistryAccess target, WireGuardDevice device) {
    started.add(target);
    this.device = device;
    return new DiscoveryLoop() {
      @Override
      public void tick() throws IOException {
        ticks.incrementAndGet();
        device.read(); // as the real loop does: the device must be readable
      }

      @Override
      public Map<PeerPathStateMachine.Mode, Integer> modeCounts() {
        return counts;
      }

      @Override
      public boolean isRelayEndpoint(InetSocketAddress endpoint) {
        return endpoint.getAddress().isLoopbackAddress();
      }

      @Override
      public void close() {
        closed.incrementAndGet();
      }
    };
  }
}
