package dev.wgmesh.registry.dns;

import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which peers of the device are published. wgsd publishes every endpoint forever; we publish only
 * endpoints observed by a recent handshake, since an old NAT mapping is most likely gone.
 *
 * @param maxHandshakeAge empty switches the freshness filter off (benchmarks with static peers)
 */
public record PeerSelection(Optional<Duration> maxHandshakeAge) {

  /** The outcome: the peers served, and how many were withheld for each reason. */
  public record Result(List<ServedPeer> served, int withheldStale, int withheldNoEndpoint) {}

  public Result select(DeviceState device, Instant now, Optional<ServedPeer> self) {
    List<ServedPeer> served = new ArrayList<>(device.peers().size() + 1);
    int stale = 0;
    int noEndpoint = 0;
    self.ifPresent(served::add);
    for (PeerState peer : device.peers()) {
      if (peer.endpoint().isEmpty()) {
        noEndpoint++;
      } else if (!isFresh(peer, now)) {
        stale++;
      } else {
        served.add(new ServedPeer(peer.publicKey(), peer.endpoint().get(), peer.allowedIps()));
      }
    }
    return new Result(served, stale, noEndpoint);
  }

  public boolean isFresh(PeerState peer, Instant now) {
    if (maxHandshakeAge.isEmpty()) {
      return true;
    }
    return peer.lastHandshake()
        .map(at -> !at.plus(maxHandshakeAge.get()).isBefore(now))
        .orElse(false);
  }
}
