package dev.wgmesh.registry.relay;

import dev.wgmesh.core.net.Endpoints;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's relay for peers that cannot reach each other directly: receives frames on its
 * tunnel addresses and forwards them as {@link RelayRouter} decides. Only mesh members reach it,
 * through their WireGuard tunnel to the registry; it never listens outside the tunnel.
 */
public final class RelayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

  private final RelayRouter router = new RelayRouter();
  private final Clock clock;
  private final List<DatagramChannel> channels = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Counter forwardedFrames;
  private final Counter forwardedBytes;
  private final Counter dropped;
  private volatile boolean closed;

  private RelayServer(Clock clock, MeterRegistry metrics) {
    this.clock = clock;
    this.forwardedFrames = metrics.counter("wgmesh_registry_relay_frames_forwarded");
    this.forwardedBytes = metrics.counter("wgmesh_registry_relay_bytes_forwarded");
    this.dropped = metrics.counter("wgmesh_registry_relay_frames_dropped");
    metrics.gauge("wgmesh_registry_relay_agents", router, RelayRouter::routes);
  }

  public static RelayServer start(List<InetSocketAddress> addresses, Clock clock, MeterRegistry metrics) throws IOException {
    RelayServer server = new RelayServer(clock, metrics);
    try {
      for (InetSocketAddress address : addresses) {
        DatagramChannel channel = DatagramChannel.open(
            address.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        server.channels.add(channel);
        try {
          channel.bind(address);
        } catch (IOException e) {
          throw new IOException("cannot listen for relay frames on " + Endpoints.format(address) + ": " + e.getMessage(), e);
        }
        Thread t = new Thread(() -> server.serve(channel), "relay-" + Endpoints.format(address));
        t.setDaemon(true);
        server.threads.add(t);
        t.start();
        log.info("relaying for the mesh on {}", Endpoints.format((InetSocketAddress) channel.getLocalAddress()));
      }
    } catch (IOException e) {
      server.close();
      throw e;
    }
    return server;
  }

  public List<InetSocketAddress> addresses() throws IOException {
    List<InetSocketAddress> out = new ArrayList<>();
    for (DatagramChannel c : channels) {
      out.add((InetSocketAddress) c.getLocalAddress());
    }
    return out;
  }

  private void serve(DatagramChannel channel) {
    ByteBuffer in = ByteBuffer.allocate(65535);
    while (!closed) {
      try {
        in.clear();
        InetSocketAddress from = (InetSocketAddress) channel.receive(in);
        int length = in.position();
        RelayRouter.Decision decision = router.route(in.array(), length, from, clock.instant());
        if (decision instanceof RelayRouter.Decision.Forward forward) {
          in.flip();
          channelFor(forward.to().getAddress(), channel).send(in, forward.to());
          forwardedFrames.increment();
          forwardedBytes.increment(length);
        } else if (decision instanceof RelayRouter.Decision.Reply reply) {
          channel.send(ByteBuffer.wrap(reply.frame()), reply.to());
          dropped.increment();
        } else if (decision instanceof RelayRouter.Decision.Drop drop) {
          dropped.increment();
          log.debug("relay dropped a frame from {}: {}", from, drop.reason());
        }
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException | RuntimeException e) {
        log.debug("relay error: {}", e.toString());
      }
    }
  }

  /** A channel of the destination's address family (an IPv4 agent is reached over IPv4). */
  private DatagramChannel channelFor(InetAddress to, DatagramChannel fallback) throws IOException {
    for (DatagramChannel c : channels) {
      InetAddress local = ((InetSocketAddress) c.getLocalAddress()).getAddress();
      if ((local instanceof Inet6Address) == (to instanceof Inet6Address)) {
        return c;
      }
    }
    return fallback;
  }

  @Override
  public void close() {
    closed = true;
    for (DatagramChannel c : channels) {
      try {
        c.close();
      } catch (IOException ignored) {
        // shutting down
      }
    }
  }
}
