package dev.wgmesh.registry.relay;

import dev.wgmesh.core.relay.RelayFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides what happens to one relay frame; no sockets. Agents register by sending any frame (a
 * HELLO every few seconds); a frame's source must be the tunnel address it arrived from, which
 * WireGuard's cryptokey routing has already authenticated, so one node cannot speak for another.
 * The router forwards frames unchanged: their payload is WireGuard ciphertext it cannot read.
 */
public final class RelayRouter {
  /** An agent that sent nothing for this long is forgotten (agents say HELLO every 10 s). */
  static final Duration ROUTE_TTL = Duration.ofSeconds(45);
  /** At most one UNREACHABLE reply per source and second. */
  static final Duration UNREACHABLE_INTERVAL = Duration.ofSeconds(1);

  public sealed interface Decision {
    record Forward(InetSocketAddress to) implements Decision {}

    record Reply(byte[] frame, InetSocketAddress to) implements Decision {}

    record Drop(String reason) implements Decision {}

    /** A HELLO: the sender is now reachable through the relay; nothing to send. */
    record Registered() implements Decision {}
  }

  private record Route(InetSocketAddress uplink, Instant seen) {}

  private final Map<InetAddress, Route> routes = new ConcurrentHashMap<>();
  private final Map<InetAddress, Instant> lastUnreachable = new ConcurrentHashMap<>();

  public Decision route(byte[] data, int length, InetSocketAddress from, Instant now) {
    RelayFrame header;
    try {
      header = RelayFrame.decodeHeader(data, length);
    } catch (RelayFrame.MalformedFrameException e) {
      return new Decision.Drop("malformed: " + e.getMessage());
    }
    if (!header.source().equals(from.getAddress())) {
      return new Decision.Drop("source " + header.source().getHostAddress() + " does not match sender " + from.getAddress().getHostAddress());
    }
    routes.put(header.source(), new Route(from, now));
    switch (header.type()) {
      case HELLO:
        return new Decision.Registered();
      case UNREACHABLE:
        return new Decision.Drop("unreachable frames are for agents");
      default:
        break;
    }
    Route route = routes.get(header.destination());
    if (route != null && route.seen.plus(ROUTE_TTL).isBefore(now)) {
      routes.remove(header.destination(), route);
      route = null;
    }
    if (route == null) {
      Instant last = lastUnreachable.get(header.source());
      if (last != null && now.isBefore(last.plus(UNREACHABLE_INTERVAL))) {
        return new Decision.Drop("unknown destination " + header.destination().getHostAddress());
      }
      lastUnreachable.put(header.source(), now);
      byte[] reply = new RelayFrame(RelayFrame.Type.UNREACHABLE, header.destination(), header.source(), new byte[0]).encode();
      return new Decision.Reply(reply, from);
    }
    return new Decision.Forward(route.uplink);
  }

  /** Agents currently registered. */
  public int routes() {
    return routes.size();
  }
}
