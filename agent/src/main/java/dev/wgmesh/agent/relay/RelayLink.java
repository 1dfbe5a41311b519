package dev.wgmesh.agent.relay;

import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.agent.AgentObserver;
import dev.wgmesh.core.relay.RelayFrame;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of the registries' relay. For each relayed peer it owns a UDP socket on 127.0.0.1
 * that WireGuard uses as the peer's endpoint: what WireGuard sends there (ciphertext) goes to a
 * registry in a DATA frame through the tunnel; what arrives for the peer, from any registry, is
 * handed to WireGuard from that same socket, so WireGuard's roaming keeps pointing at it. Which
 * registry carries a peer's frames is {@link RelayRoutes}' choice: when it changes (a registry
 * stopped answering), WireGuard's endpoint stays the same. One selector thread does all.
 */
public final class RelayLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RelayLink.class);
  static final long HELLO_INTERVAL_MS = 10_000;

  private final AgentObserver observer;
  private final List<InetSocketAddress> registryRelays;
  private final RelayRoutes routes;
  /** Per peer, the registries whose UNREACHABLE for it was logged (once each, until its frames come again). */
  private final Map<InetAddress, Set<Integer>> reportedUnreachableVia = new ConcurrentHashMap<>();
  private final InetAddress ownAddress;
  private final Predicate<InetAddress> isKnownPeer;
  private final Consumer<InetAddress> onPunch;
  private final Selector selector;
  private final DatagramChannel uplink;
  private final Map<InetAddress, DatagramChannel> peerSockets = new ConcurrentHashMap<>();
  private final Set<Integer> peerPorts = ConcurrentHashMap.newKeySet();
  private final Queue<Map.Entry<DatagramChannel, InetAddress>> pendingRegistration = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile int wireGuardPort;
  private volatile boolean closed;
  private long lastHello;

  /**
   * @param registryRelays every registry's relay address inside the tunnel, in the mesh's order
   * @param ownAddress this node's tunnel address: the source of its frames
   * @param uplinkPort the local port frames are sent from (the registry learns it from them)
   * @param isKnownPeer whether a tunnel address belongs to a peer on this device
   * @param onPunch called (on the relay thread) when a peer asks us to punch towards it
   */
  public RelayLink(List<InetSocketAddress> registryRelays, InetAddress ownAddress, int uplinkPort, int wireGuardPort,
      Predicate<InetAddress> isKnownPeer, Consumer<InetAddress> onPunch) throws IOException {
    this(registryRelays, ownAddress, uplinkPort, wireGuardPort, isKnownPeer, onPunch, AgentObserver.NONE);
  }

  /** The same, counting the ciphertext relayed each way into {@code observer}. */
  public RelayLink(List<InetSocketAddress> registryRelays, InetAddress ownAddress, int uplinkPort, int wireGuardPort,
      Predicate<InetAddress> isKnownPeer, Consumer<InetAddress> onPunch, AgentObserver observer) throws IOException {
    if (registryRelays.isEmpty()) {
      throw new IllegalArgumentException("no registry to relay through");
    }
    this.observer = observer;
    this.registryRelays = List.copyOf(registryRelays);
    this.routes = new RelayRoutes(registryRelays.size());
    this.ownAddress = ownAddress;
    this.wireGuardPort = wireGuardPort;
    this.isKnownPeer = isKnownPeer;
    this.onPunch = onPunch;
    this.selector = Selector.open();
    this.uplink = DatagramChannel.open(ownAddress instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    try {
      uplink.bind(new InetSocketAddress(ownAddress, uplinkPort));
    } catch (IOException e) {
      selector.close();
      uplink.close();
      throw new IOException("cannot open the relay uplink on " + Endpoints.format(new InetSocketAddress(ownAddress, uplinkPort)) + ": " + e.getMessage(), e);
    }
    uplink.configureBlocking(false);
    uplink.register(selector, SelectionKey.OP_READ, Uplink.INSTANCE);
    this.thread = new Thread(this::run, "relay-link");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private enum Uplink {
    INSTANCE
  }

  public void wireGuardPort(int port) {
    this.wireGuardPort = port;
  }

  /** The local endpoint WireGuard should use to reach this peer through the relay. */
  public InetSocketAddress endpointFor(InetAddress peer) throws IOException {
    return (InetSocketAddress) socketFor(peer).getLocalAddress();
  }

  /** True when the endpoint is one of our relay sockets (WireGuard may have roamed there). */
  public boolean isRelayEndpoint(InetSocketAddress endpoint) {
    return endpoint != null && endpoint.getAddress().isLoopbackAddress() && peerPorts.contains(endpoint.getPort());
  }

  public void signalPunch(InetAddress peer) {
    sendFor(peer, new RelayFrame(RelayFrame.Type.PUNCH, ownAddress, peer, new byte[0]).encode());
  }

  /**
   * The registries to relay through, best first (those that answer, from the agent's registry
   * health). Relayed peers move at once; their WireGuard endpoints stay the same.
   */
  public void prefer(List<Integer> order) {
    routes.prefer(order);
  }

  /** Says HELLO to registry {@code index} now (it answers again: it may have restarted without routes). */
  public void helloTo(int index) {
    InetSocketAddress registry = registryRelays.get(index);
    send(new RelayFrame(RelayFrame.Type.HELLO, ownAddress, registry.getAddress(), new byte[0]).encode(), registry);
  }

  private DatagramChannel socketFor(InetAddress peer) throws IOException {
    DatagramChannel existing = peerSockets.get(peer);
    if (existing != null) {
      return existing;
    }
    synchronized (peerSockets) {
      existing = peerSockets.get(peer);
      if (existing != null) {
        return existing;
      }
      DatagramChannel socket = DatagramChannel.open(StandardProtocolFamily.INET);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      socket.configureBlocking(false);
      peerPorts.add(((InetSocketAddress) socket.getLocalAddress()).getPort());
      peerSockets.put(peer, socket);
      // Channels register on the selector's own thread; wake it to do so.
      pendingRegistration.add(Map.entry(socket, peer));
      selector.wakeup();
      return socket;
    }
  }

  private void run() {
    ByteBuffer buffer = ByteBuffer.allocate(65535);
    while (!closed) {
      try {
        Map.Entry<DatagramChannel, InetAddress> pending;
        while ((pending = pendingRegistration.poll()) != null) {
          pending.getKey().register(selector, SelectionKey.OP_READ, pending.getValue());
        }
        long now = System.currentTimeMillis();
        if (now - lastHello >= HELLO_INTERVAL_MS) {
          lastHello = now;
          for (int i = 0; i < registryRelays.size(); i++) {
            helloTo(i);
          }
        }
        selector.select(1000);
        for (SelectionKey key : selector.selectedKeys()) {
          if (key.attachment() == Uplink.INSTANCE) {
            fromRegistry(buffer);
          } else {
            fromWireGuard((DatagramChannel) key.channel(), (InetAddress) key.attachment(), buffer);
          }
        }
        selector.selectedKeys().clear();
      } catch (ClosedSelectorException e) {
        return;
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.debug("relay link error: {}", e.toString());
        }
      }
    }
  }

  private void fromWireGuard(DatagramChannel socket, InetAddress peer, ByteBuffer buffer) throws IOException {
    buffer.clear();
    InetSocketAddress from = (InetSocketAddress) socket.receive(buffer);
    if (from == null || !from.getAddress().isLoopbackAddress() || from.getPort() != wireGuardPort) {
      return; // only our WireGuard may send through the relay
    }
    byte[] payload = new byte[buffer.position()];
    buffer.flip();
    buffer.get(payload);
    sendFor(peer, new RelayFrame(RelayFrame.Type.DATA, ownAddress, peer, payload).encode());
    observer.relayed(true, payload.length);
  }

  private void fromRegistry(ByteBuffer buffer) throws IOException {
    buffer.clear();
    InetSocketAddress from = (InetSocketAddress) uplink.receive(buffer);
    int registry = from == null ? -1 : registryIndex(from.getAddress());
    if (registry < 0) {
      return; // frames come only from the registries
    }
    RelayFrame frame;
    try {
      frame = RelayFrame.decode(buffer.array(), buffer.position());
    } catch (RelayFrame.MalformedFrameException e) {
      log.debug("dropped a malformed relay frame: {}", e.getMessage());
      return;
    }
    switch (frame.type()) {
      case DATA -> {
        if (!isKnownPeer.test(frame.source())) {
          return;
        }
        reportedUnreachableVia.remove(frame.source());
        routes.heardVia(frame.source(), registry);
        socketFor(frame.source()).send(ByteBuffer.wrap(frame.payload()), new InetSocketAddress(InetAddress.getLoopbackAddress(), wireGuardPort));
        observer.relayed(false, frame.payload().length);
      }
      case PUNCH -> {
        if (isKnownPeer.test(frame.source())) {
          onPunch.accept(frame.source());
        }
      }
      case UNREACHABLE -> {
        routes.unreachableVia(frame.source(), registry, Instant.now());
        if (reportedUnreachableVia.computeIfAbsent(frame.source(), p -> ConcurrentHashMap.newKeySet()).add(registry)) {
          log.info("relay: peer {} is not connected to registry {}", frame.source().getHostAddress(),
              registryRelays.get(registry).getAddress().getHostAddress());
        }
      }
      default -> {
        // HELLO is for the registry
      }
    }
  }

  private int registryIndex(InetAddress address) {
    for (int i = 0; i < registryRelays.size(); i++) {
      if (registryRelays.get(i).getAddress().equals(address)) {
        return i;
      }
    }
    return -1;
  }

  private void sendFor(InetAddress peer, byte[] frame) {
    send(frame, registryRelays.get(routes.registryFor(peer, Instant.now())));
  }

  private void send(byte[] frame, InetSocketAddress registry) {
    try {
      uplink.send(ByteBuffer.wrap(frame), registry);
    } catch (IOException e) {
      log.debug("relay send failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      selector.close();
    } catch (IOException ignored) {
      // shutting down
    }
    for (DatagramChannel c : peerSockets.values()) {
      try {
        c.close();
      } catch (IOException ignored) {
        // shutting down
      }
    }
    try {
      uplink.close();
    } catch (IOException ignored) {
      // shutting down
    }
  }
}
