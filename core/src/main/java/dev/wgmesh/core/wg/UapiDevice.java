package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A userspace WireGuard device (wireguard-go, boringtun) driven over its UAPI control socket.
 *
 * <p>Each operation uses its own connection. wireguard-go keeps a connection open after a reply
 * and would read further requests from it, so the end of a reply is found by its terminating
 * {@code errno=N} line and empty line, not by EOF; a daemon that closes after replying works too.
 * A failed "set" leaves wireguard-go with the rest of the request unread, which is one more
 * reason never to reuse a connection. Safe for concurrent use; exchanges take turns, since they
 * share one reply buffer and a read reuses what the last read parsed (a peer that did not change
 * is the same {@link PeerState} object, an unchanged device the same {@link DeviceState}: see
 * {@link UapiProtocol#parseGet(String, byte[], int, Optional)}).
 */
public final class UapiDevice implements WireGuardDevice {
  /** Where wireguard-go puts its sockets; the path is shared by all network namespaces. */
  public static final Path SOCKET_DIRECTORY = Path.of("/var/run/wireguard");

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  /** Far above a 10,000-peer reply; stops a misbehaving daemon from filling the heap. */
  private static final int MAX_REPLY_CHARS = 64 << 20;
  private static final int READ_CHUNK = 64 * 1024;

  private final String name;
  private final Path socketPath;
  private final Duration timeout;
  /** Holds each reply as it is read, grown as needed and kept: a device of 1000 peers answers ~330 KB. */
  private byte[] buffer = new byte[READ_CHUNK];
  private Optional<UapiProtocol.ParsedGet> lastRead = Optional.empty();

  public UapiDevice(String name, Path socketPath) {
    this(name, socketPath, DEFAULT_TIMEOUT);
  }

  /** @param timeout bound on one whole exchange (connect excluded: local sockets connect at once) */
  public UapiDevice(String name, Path socketPath, Duration timeout) {
    this.name = name;
    this.socketPath = socketPath;
    this.timeout = timeout;
  }

  /** The device at the standard socket path, {@code /var/run/wireguard/<iface>.sock}. */
  public static UapiDevice forInterface(String iface) {
    return new UapiDevice(iface, socketPathOf(iface));
  }

  public static Path socketPathOf(String iface) {
    return SOCKET_DIRECTORY.resolve(WireGuardDevices.requireValidName(iface) + ".sock");
  }

  @Override
  public String name() {
    return name;
  }

  Path socketPath() {
    return socketPath;
  }

  @Override
  public synchronized DeviceState read() throws IOException {
    Reply reply = exchange(UapiProtocol.GET_REQUEST);
    UapiProtocol.ParsedGet parsed = UapiProtocol.parseGet(name, reply.bytes(), reply.length(), lastRead);
    lastRead = Optional.of(parsed);
    return parsed.state();
  }

  /**
   * Sends the change as one "set" request. Not atomic: when wireguard-go rejects a line
   * ({@link UapiErrorException}), the lines before it stay applied, so re-read the device.
   */
  @Override
  public synchronized void apply(DeviceChange change) throws IOException {
    Reply reply = exchange(UapiProtocol.formatSet(change));
    UapiProtocol.checkSetReply(name, reply.bytes(), reply.length());
  }

  /** A reply: {@code bytes[0, length)}, in the device's kept buffer as the exchange left it (it may have grown it). */
  private record Reply(byte[] bytes, int length) {}

  /** Sends the request and reads the reply into {@link #buffer}. */
  private Reply exchange(String request) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel channel = connect(); Selector selector = Selector.open()) {
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, 0);
      writeAll(channel, key, ByteBuffer.wrap(request.getBytes(ISO_8859_1)), deadline);
      return readReply(channel, key, deadline);
    }
  }

  private SocketChannel connect() throws IOException {
    if (!Files.exists(socketPath)) {
      throw notFound();
    }
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socketPath));
      return channel;
    } catch (IOException e) {
      channel.close();
      if (!Files.exists(socketPath)) {
        throw notFound(); // the daemon went away between the check and the connect
      }
      throw new IOException("cannot connect to " + socketPath + " for WireGuard device '" + name + "': "
          + e.getMessage() + " (a socket left behind by a wireguard-go that is no longer running?)", e);
    }
  }

  private void writeAll(SocketChannel channel, SelectionKey key, ByteBuffer request, long deadline)
      throws IOException {
    key.interestOps(SelectionKey.OP_WRITE);
    while (request.hasRemaining()) {
      awaitReady(key, deadline);
      channel.write(request);
    }
  }

  /**
   * Reads the reply into the device's buffer, which doubles as needed and is kept for the next
   * exchange (a device of 1000 peers answers ~330 KB, read every second by the agent and the
   * registry). It is parsed from there, never copied whole into a string.
   */
  private Reply readReply(SocketChannel channel, SelectionKey key, long deadline) throws IOException {
    key.interestOps(SelectionKey.OP_READ);
    byte[] reply = buffer;
    int length = 0;
    while (!UapiProtocol.isCompleteReply(reply, length)) {
      if (length == reply.length) {
        reply = Arrays.copyOf(reply, reply.length * 2);
        buffer = reply;
      }
      awaitReady(key, deadline);
      // At most one chunk per read: the JDK copies through a temporary direct buffer of that size.
      int n = channel.read(ByteBuffer.wrap(reply, length, Math.min(READ_CHUNK, reply.length - length)));
      if (n < 0) {
        break; // closed by the daemon; the parser reports a truncated reply
      }
      length += n;
      if (length > MAX_REPLY_CHARS) {
        throw new IOException("UAPI reply from '" + name + "' exceeds " + MAX_REPLY_CHARS + " characters");
      }
    }
    return new Reply(reply, length);
  }

  private void awaitReady(SelectionKey key, long deadline) throws IOException {
    Selector selector = key.selector();
    while (true) {
      long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMillis <= 0) {
        throw new IOException("WireGuard device '" + name + "' did not answer on " + socketPath
            + " within " + timeout.toMillis() + " ms");
      }
      if (selector.select(leftMillis) > 0) {
        selector.selectedKeys().clear();
        return;
      }
    }
  }

  private DeviceNotFoundException notFound() {
    return new DeviceNotFoundException(name, "no WireGuard device named '" + name + "': no UAPI socket at "
        + socketPath + " (is wireguard-go running for it?)");
  }
}
