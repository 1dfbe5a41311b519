package dev.wgmesh.registry.dns;

import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link QueryProcessor} over UDP and TCP on a set of addresses. Each address gets
 * {@code udpWorkers} UDP sockets bound with SO_REUSEPORT, so the kernel spreads clients over
 * threads without a lock, and one TCP acceptor feeding a bounded pool of connection handlers.
 *
 * <p>UDP goes through Linux's epoll with batched system calls ({@link EpollUdp}: {@code recvmmsg}
 * and {@code sendmmsg}, one event loop thread per socket) where Netty's native library loads, else
 * through java.nio (one thread per socket, one {@code recvfrom} and one {@code sendto} per query);
 * {@link UdpIo} chooses. Both answer with the same processor, byte for byte.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int MAX_TCP_CONNECTIONS = 64;
  static final int TCP_IDLE_TIMEOUT_MS = 10_000;

  private final QueryProcessor processor;
  private final List<AutoCloseable> channels = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<InetSocketAddress> boundUdp = new ArrayList<>();
  private final ExecutorService tcpHandlers;
  private final EpollUdp epoll; // null: UDP through java.nio
  private volatile boolean closed;

  /** How the UDP sockets are served. */
  public enum UdpIo {
    /** epoll where Netty's native library loads (Linux x86_64), else java.nio, with a warning. */
    AUTO,
    /** epoll, or fail to start. */
    EPOLL,
    /** java.nio's DatagramChannel. */
    NIO
  }

  private DnsServer(QueryProcessor processor, EpollUdp epoll) {
    this.processor = processor;
    this.epoll = epoll;
    AtomicInteger n = new AtomicInteger();
    this.tcpHandlers =
        new ThreadPoolExecutor(0, MAX_TCP_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "dns-tcp-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Binds every address (UDP and TCP) and starts serving.
   *
   * @throws ListenException with a message naming the address and the reason (port in use,
   *     address not on this host, permission)
   */
  public static DnsServer start(QueryProcessor processor, List<InetSocketAddress> addresses, int udpWorkers)
      throws ListenException {
    return start(processor, addresses, udpWorkers, UdpIo.AUTO);
  }

  /**
   * Binds every address (UDP and TCP) and starts serving, with UDP served as {@code udpIo} says.
   *
   * @throws ListenException with a message naming the address and the reason (port in use,
   *     address not on this host, permission), or why epoll cannot be used when it was required
   */
  public static DnsServer start(QueryProcessor processor, List<InetSocketAddress> addresses, int udpWorkers, UdpIo udpIo)
      throws ListenException {
    int workers = Math.max(1, udpWorkers);
    EpollUdp epoll = null;
    if (udpIo != UdpIo.NIO) {
      String unavailable = EpollUdp.unavailableBecause();
      if (unavailable == null) {
        epoll = EpollUdp.create(workers);
      } else if (udpIo == UdpIo.EPOLL) {
        throw new ListenException("cannot serve UDP with epoll: Netty's native transport does not load here ("
            + unavailable + "); use java.nio instead");
      } else {
        log.warn("serving UDP through java.nio: Netty's native epoll transport does not load here ({})", unavailable);
      }
    }
    DnsServer server = new DnsServer(processor, epoll);
    try {
      for (InetSocketAddress address : addresses) {
        server.listen(address, workers);
      }
    } catch (ListenException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** The addresses actually bound (a requested port 0 becomes the port the kernel chose). */
  public List<InetSocketAddress> addresses() {
    return List.copyOf(boundUdp);
  }

  /** How UDP is served: {@link UdpIo#EPOLL} or {@link UdpIo#NIO}, never AUTO. */
  public UdpIo udpIo() {
    return epoll != null ? UdpIo.EPOLL : UdpIo.NIO;
  }

  private void listen(InetSocketAddress requested, int udpWorkers) throws ListenException {
    StandardProtocolFamily family =
        requested.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    // TCP first and without SO_REUSEPORT: a second registry on the same address fails here
    // instead of silently sharing the UDP port with the first one.
    ServerSocketChannel tcp;
    InetSocketAddress address;
    try {
      tcp = ServerSocketChannel.open(family);
      channels.add(tcp);
      tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      tcp.bind(requested, 128);
      address = (InetSocketAddress) tcp.getLocalAddress(); // a requested port 0 becomes a real one
    } catch (IOException e) {
      throw new ListenException(requested, "tcp", e);
    }
    if (epoll != null) {
      try {
        epoll.bind(processor, address, udpWorkers);
      } catch (IOException e) {
        throw new ListenException(address, "udp", e);
      }
    }
    for (int i = 0; epoll == null && i < udpWorkers; i++) {
      DatagramChannel channel;
      try {
        channel = DatagramChannel.open(family);
        channels.add(channel);
        channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        channel.bind(address);
      } catch (IOException e) {
        throw new ListenException(address, "udp", e);
      }
      startThread("dns-udp-" + Endpoints.format(address) + "-" + i, () -> serveUdp(channel));
    }
    boundUdp.add(address);
    startThread("dns-tcp-accept-" + Endpoints.format(address), () -> acceptTcp(tcp));
    log.info("serving DNS on {} (udp with {}, tcp)", Endpoints.format(address), epoll != null ? "epoll" : "java.nio");
  }

  private void startThread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** One UDP worker: receive, answer into a reused buffer, send; no allocation per query. */
  private void serveUdp(DatagramChannel channel) {
    ByteBuffer in = ByteBuffer.allocate(QueryProcessor.MAX_RESPONSE);
    byte[] packet = in.array();
    ByteBuffer out = ByteBuffer.allocate(QueryProcessor.MAX_RESPONSE);
    byte[] response = out.array();
    while (!closed) {
      try {
        in.clear();
        SocketAddress from = channel.receive(in);
        if (from == null) {
          continue;
        }
        int n = processor.process(packet, in.position(), Transport.UDP, ((InetSocketAddress) from).getAddress(), response);
        if (n >= 0) {
          out.clear().limit(n);
          channel.send(out, from);
        }
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        // e.g. ICMP port unreachable surfaced on send: one lost answer, keep serving.
        log.debug("udp error: {}", e.toString());
      }
    }
  }

  private void acceptTcp(ServerSocketChannel server) {
    while (!closed) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log.debug("tcp accept error: {}", e.toString());
        continue;
      }
      try {
        tcpHandlers.execute(() -> serveTcp(client));
      } catch (RejectedExecutionException e) {
        closeQuietly(client); // too many connections: shed load instead of queueing forever
      }
    }
  }

  private void serveTcp(SocketChannel client) {
    try (Socket socket = client.socket()) {
      socket.setSoTimeout(TCP_IDLE_TIMEOUT_MS);
      socket.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      while (!closed) {
        int length;
        try {
          length = in.readUnsignedShort();
        } catch (EOFException | SocketTimeoutException e) {
          return;
        }
        byte[] query = new byte[length];
        in.readFully(query);
        byte[] response = processor.process(query, length, Transport.TCP, socket.getInetAddress());
        if (response == null) {
          return;
        }
        byte[] framed = new byte[response.length + 2];
        framed[0] = (byte) (response.length >> 8);
        framed[1] = (byte) response.length;
        System.arraycopy(response, 0, framed, 2, response.length);
        out.write(framed);
        out.flush();
      }
    } catch (IOException e) {
      log.debug("tcp connection error: {}", e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    for (AutoCloseable c : channels) {
      closeQuietly(c);
    }
    tcpHandlers.shutdownNow();
    if (epoll != null) {
      epoll.close();
    }
    for (Thread t : threads) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing on shutdown; nothing useful to do
    }
  }

  /** A listen address that cannot be bound, with a message a user can act on. */
  public static final class ListenException extends Exception {
    ListenException(String message) {
      super(message);
    }

    ListenException(InetSocketAddress address, String protocol, IOException cause) {
      super("cannot listen on " + Endpoints.format(address) + "/" + protocol + ": " + reason(cause), cause);
    }

    private static String reason(IOException e) {
      String m = String.valueOf(e.getMessage());
      if (e instanceof BindException && m.contains("in use")) {
        return "the port is already in use by another program";
      }
      if (m.contains("assign requested address")) {
        return "that address is not configured on this host (is the tunnel interface up with its address?)";
      }
      if (m.contains("Permission denied")) {
        return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
      }
      return m;
    }
  }
}
