package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.agent.discovery.PeerDiscovery;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A discovery loop that only counts: it records its targets and reports the counts it is given. */
final class FakeDiscovery implements Discovery.Factory {
  final List<DiscoveryTarget> started = new CopyOnWriteArrayList<>();
  final AtomicInteger ticks = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  volatile Map<PeerDiscovery.Mode, Integer> counts = Map.of(PeerDiscovery.Mode.DIRECT, 0, PeerDiscovery.Mode.RELAYED, 0,
      PeerDiscovery.Mode.DISCOVERING, 0);
  volatile WireGuardDevice device;

  @Override
  public Discovery start(DiscoveryTarget target, WireGuardDevice device) {
    started.add(target);
    this.device = device;
    return new Discovery() {
      @Override
      public void tick() throws IOException {
        ticks.incrementAndGet();
        device.read(); // as the real loop does: the device must be readable
      }

      @Override
      public Map<PeerDiscovery.Mode, Integer> modeCounts() {
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
