package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link UapiDevice} against a scripted fake daemon; the lab test covers real wireguard-go. */
class UapiDeviceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final String REPLY = "listen_port=51820\nerrno=0\n\n";

  @TempDir Path dir;

  private Path socket() {
    return dir.resolve("wgfake.sock");
  }

  private UapiDevice device() {
    return new UapiDevice("wgfake", socket(), TIMEOUT);
  }

  @Test
  void anUnchangedDeviceReadsAsTheSameState() throws Exception {
    String peer = "public_key=" + KeyPair.generate().publicKey().toHex() + "\nallowed_ip=10.0.0.2/32\nrx_bytes=";
    AtomicReference<String> rx = new AtomicReference<>("1");
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, "listen_port=51820\n" + peer + rx.get()
        + "\nerrno=0\n\n"))) {
      UapiDevice device = device();
      DeviceState first = device.read();
      assertSame(first, device.read(), "nothing changed: nothing is built again");
      rx.set("2");
      DeviceState changed = device.read();
      assertNotSame(first, changed);
      assertEquals(2, changed.peers().get(0).rxBytes());
      daemon.assertNoFailure();
    }
  }

  @Test
  void theFirstReadOfALargeDeviceParsesTheWholeReply() throws Exception {
    // 2000 peers: some 330 KB, five times the first buffer, so the first read grows it.
    StringBuilder reply = new StringBuilder("listen_port=51820\n");
    for (int i = 0; i < 2000; i++) {
      reply.append("public_key=").append(KeyPair.generate().publicKey().toHex()).append("\nendpoint=198.51.100.").append(i % 250 + 1)
          .append(':').append(10000 + i).append("\nallowed_ip=10.8.").append(i / 250).append('.').append(i % 250 + 1)
          .append("/32\nrx_bytes=").append(i).append("\ntx_bytes=").append(i).append("\npersistent_keepalive_interval=25\n")
          .append("last_handshake_time_sec=0\nlast_handshake_time_nsec=0\nprotocol_version=1\n");
    }
    reply.append("errno=0\n\n");
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, reply.toString()))) {
      UapiDevice device = device();
      assertEquals(2000, device.read().peers().size(), "the first read of a device whose reply outgrows the buffer");
      assertEquals(2000, device.read().peers().size());
      daemon.assertNoFailure();
    }
  }

  @Test
  void readsAReplyWhileTheDaemonKeepsTheConnectionOpen() throws Exception {
    // wireguard-go's behaviour: reply, then wait for a further request on the same connection.
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> {
      send(client, REPLY);
      awaitClientClose(client);
    })) {
      assertEquals(51820, device().read().listenPort());
      assertEquals(51820, device().read().listenPort(), "the first connection was closed, so the daemon served again");
      assertEquals(List.of(UapiProtocol.GET_REQUEST, UapiProtocol.GET_REQUEST), daemon.requests);
      daemon.assertNoFailure();
    }
  }

  @Test
  void readsAReplyFromADaemonThatClosesAfterReplying() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, REPLY))) {
      assertEquals(51820, device().read().listenPort());
      daemon.assertNoFailure();
    }
  }

  @Test
  void assemblesAReplyArrivingInPieces() throws Exception {
    String reply = "listen_port=51820\npublic_key=" + KeyPair.generate().publicKey().toHex()
        + "\nendpoint=[2001:db8::5]:51820\nallowed_ip=10.0.0.0/24\nerrno=0\n\n";
    List<String> pieces = List.of(reply.substring(0, 7), reply.substring(7, reply.length() - 8),
        reply.substring(reply.length() - 8, reply.length() - 3), reply.substring(reply.length() - 3, reply.length() - 1),
        reply.substring(reply.length() - 1));
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> {
      for (String piece : pieces) {
        send(client, piece);
        Thread.sleep(50);
      }
      awaitClientClose(client);
    })) {
      DeviceState state = device().read();
      assertEquals(List.of(IpPrefix.parse("10.0.0.0/24")), state.peers().get(0).allowedIps());
      daemon.assertNoFailure();
    }
  }

  @Test
  void appliesAChangeAsOneSetRequest() throws Exception {
    DeviceChange change = DeviceChange.peer(PeerChange.upsert(KeyPair.generate().publicKey(),
        Optional.of(Endpoints.parse("192.0.2.1:51820")), List.of(IpPrefix.parse("10.0.0.2/32")), 25));
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, "errno=0\n\n"))) {
      device().apply(change);
      assertEquals(List.of(UapiProtocol.formatSet(change)), daemon.requests);
    }
  }

  @Test
  void reportsTheDaemonsErrno() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, "errno=-22\n\n"))) {
      UapiErrorException e = assertThrows(UapiErrorException.class,
          () -> device().apply(DeviceChange.peer(PeerChange.removePeer(KeyPair.generate().publicKey()))));
      assertEquals(-22, e.errno());
      assertTrue(e.getMessage().contains("wgfake"), e.getMessage());
    }
  }

  @Test
  void givesUpOnASilentDaemon() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> awaitClientClose(client))) {
      UapiDevice device = new UapiDevice("wgfake", socket(), Duration.ofMillis(300));
      long start = System.nanoTime();
      IOException e = assertThrows(IOException.class, device::read);
      assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
    }
  }

  @Test
  void reportsADaemonThatHangsUpWithoutAnswering() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> {})) {
      IOException e = assertThrows(IOException.class, () -> device().read());
      assertTrue(e.getMessage().contains("empty reply"), e.getMessage());
    }
  }

  @Test
  void reportsATruncatedReply() throws Exception {
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, "listen_port=51820\n"))) {
      IOException e = assertThrows(IOException.class, () -> device().read());
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
  }

  @Test
  void missingSocketMeansNoSuchDevice() {
    DeviceNotFoundException e = assertThrows(DeviceNotFoundException.class, () -> device().read());
    assertEquals("wgfake", e.deviceName());
    assertTrue(e.getMessage().contains("'wgfake'") && e.getMessage().contains(socket().toString()), e.getMessage());
    assertThrows(DeviceNotFoundException.class,
        () -> device().apply(DeviceChange.peer(PeerChange.removePeer(KeyPair.generate().publicKey()))));
  }

  @Test
  void staleSocketIsAnErrorButNotAMissingDevice() throws Exception {
    // A daemon that died without removing its socket file leaves a socket nobody listens on.
    ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    dead.bind(UnixDomainSocketAddress.of(socket()));
    dead.close();
    assertTrue(Files.exists(socket()));
    IOException e = assertThrows(IOException.class, () -> device().read());
    assertFalse(e instanceof DeviceNotFoundException);
    assertTrue(e.getMessage().contains("no longer running"), e.getMessage());
  }

  @Test
  void aKeyInTheRequestNeverReachesAnErrorMessage() throws Exception {
    KeyPair pair = KeyPair.generate();
    DeviceChange change = new DeviceChange(Optional.of(pair.privateKey()), OptionalInt.empty(), false, List.of());
    try (FakeDaemon daemon = new FakeDaemon(socket(), (client, request) -> send(client, "errno=-22\n\n"))) {
      IOException e = assertThrows(IOException.class, () -> device().apply(change));
      assertFalse(e.getMessage().contains(pair.privateKey().toHex().substring(0, 16)));
    }
  }

  // --- the fake daemon ---

  interface Behaviour {
    void serve(SocketChannel client, String request) throws Exception;
  }

  /** Accepts connections one after another, records each request, and answers as scripted. */
  private static final class FakeDaemon implements AutoCloseable {
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ServerSocketChannel server;
    private final Thread thread;

    FakeDaemon(Path socket, Behaviour behaviour) throws IOException {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      thread = new Thread(() -> serve(behaviour), "fake-uapi-daemon");
      thread.setDaemon(true);
      thread.start();
    }

    private void serve(Behaviour behaviour) {
      while (server.isOpen()) {
        try (SocketChannel client = server.accept()) {
          String request = readRequest(client);
          requests.add(request);
          behaviour.serve(client, request);
        } catch (ClosedChannelException e) {
          return; // closed by the test, possibly while blocked
        } catch (Exception e) {
          if (server.isOpen()) {
            failure.set(e);
          }
          return;
        }
      }
    }

    void assertNoFailure() {
      assertNull(failure.get(), () -> "fake daemon failed: " + failure.get());
    }

    @Override
    public void close() throws Exception {
      server.close();
      thread.interrupt(); // unblocks a behaviour waiting on its client
      thread.join(2000);
    }
  }

  private static String readRequest(SocketChannel client) throws IOException {
    StringBuilder request = new StringBuilder();
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    while (request.length() < 2 || !request.substring(request.length() - 2).equals("\n\n")) {
      if (client.read(buffer) < 0) {
        break;
      }
      buffer.flip();
      request.append(US_ASCII.decode(buffer));
      buffer.clear();
    }
    return request.toString();
  }

  private static void send(SocketChannel client, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(US_ASCII));
    while (buffer.hasRemaining()) {
      client.write(buffer);
    }
  }

  private static void awaitClientClose(SocketChannel client) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(256);
    while (client.read(buffer) >= 0) {
      buffer.clear();
    }
  }
}
