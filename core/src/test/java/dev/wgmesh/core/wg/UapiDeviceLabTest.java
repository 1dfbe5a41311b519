package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.lab.LabTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link UapiDevice} and {@link WgCommandDevice} against a real wireguard-go, run in a network
 * namespace of its own. Keys are generated per run; nothing fixed is committed.
 */
@LabTest
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UapiDeviceLabTest {
  private static final int PORT = 51820;
  private static final InetSocketAddress ENDPOINT_A = Endpoints.parse("192.0.2.10:51820");
  private static final InetSocketAddress ENDPOINT_B = Endpoints.parse("[2001:db8::5]:51820");
  private static final List<IpPrefix> ALLOWED_A = List.of(IpPrefix.parse("10.99.0.2/32"), IpPrefix.parse("fd99::2/128"));
  private static final List<IpPrefix> ALLOWED_B = List.of(IpPrefix.parse("10.99.1.0/24"));

  private final KeyPair deviceKeys = KeyPair.generate();
  private final WireGuardKey peerA = KeyPair.generate().publicKey();
  private final WireGuardKey peerB = KeyPair.generate().publicKey();

  private String namespace;
  private String iface;
  private Process wireguardGo;
  private Path log;
  private UapiDevice device;

  @BeforeEach
  void startWireguardGo() throws Exception {
    String hex = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    namespace = "wgmT" + hex.substring(0, 4);
    iface = "wgt" + hex.substring(4, 12); // unique: the socket directory is shared by all namespaces
    run("ip", "netns", "add", namespace);
    log = Files.createTempFile("wireguard-go-" + iface + "-", ".log");
    // Foreground mode as a child we own: its daemonising mode dies when its output is discarded.
    wireguardGo = new ProcessBuilder("ip", "netns", "exec", namespace, "wireguard-go", "-f", iface)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    Path socket = UapiDevice.socketPathOf(iface);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(socket)) {
      if (!wireguardGo.isAlive() || System.nanoTime() > deadline) {
        fail("wireguard-go did not create " + socket + "; its output: " + Files.readString(log));
      }
      Thread.sleep(20);
    }
    device = new UapiDevice(iface, socket);
  }

  @AfterEach
  void cleanUp() throws Exception {
    // Every step runs even when an earlier one fails, so nothing is left behind.
    if (wireguardGo != null) {
      wireguardGo.destroy(); // SIGTERM: wireguard-go removes its socket and interface
      if (!wireguardGo.waitFor(5, TimeUnit.SECONDS)) {
        wireguardGo.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (namespace != null) {
      runQuietly("ip", "netns", "del", namespace);
    }
    if (iface != null) {
      Files.deleteIfExists(UapiDevice.socketPathOf(iface));
    }
    if (log != null) {
      String output = Files.readString(log);
      if (!output.isBlank()) {
        System.out.println("wireguard-go " + iface + " output:\n" + output);
      }
      Files.deleteIfExists(log);
    }
  }

  private void configureTwoPeers() throws IOException {
    device.apply(new DeviceChange(Optional.of(deviceKeys.privateKey()), OptionalInt.of(PORT), false, List.of(
        PeerChange.upsert(peerA, Optional.of(ENDPOINT_A), ALLOWED_A, 25),
        PeerChange.upsert(peerB, Optional.of(ENDPOINT_B), ALLOWED_B, 0))));
  }

  @Test
  void appliesChangesAndReadsEveryFieldBack() throws IOException {
    configureTwoPeers();
    DeviceState state = device.read();

    assertEquals(iface, state.name());
    assertEquals(Optional.of(deviceKeys.privateKey()), state.privateKey());
    assertEquals(Optional.of(deviceKeys.publicKey()), state.publicKey());
    assertEquals(PORT, state.listenPort());
    assertEquals(0, state.fwmark());
    assertEquals(Set.of(peerA, peerB), keysOf(state));

    PeerState a = state.peer(peerA).orElseThrow();
    assertEquals(Optional.of(ENDPOINT_A), a.endpoint());
    assertEquals(new HashSet<>(ALLOWED_A), new HashSet<>(a.allowedIps()));
    assertEquals(ALLOWED_A.size(), a.allowedIps().size());
    assertEquals(Optional.empty(), a.lastHandshake());
    assertEquals(25, a.persistentKeepalive());
    // The fresh namespace has no routes, so nothing can be sent (wireguard-go logs "network is
    // unreachable" for the keepalive handshake) and nothing is received.
    assertEquals(0, a.rxBytes());
    assertEquals(0, a.txBytes());

    PeerState b = state.peer(peerB).orElseThrow();
    assertEquals(Optional.of(ENDPOINT_B), b.endpoint());
    assertEquals(ALLOWED_B, b.allowedIps());
    assertEquals(Optional.empty(), b.lastHandshake());
    assertEquals(0, b.persistentKeepalive());

    // An endpoint-only change leaves AllowedIPs and keepalive alone.
    InetSocketAddress moved = Endpoints.parse("198.51.100.7:4500");
    device.apply(DeviceChange.peer(PeerChange.setEndpoint(peerA, moved)));
    PeerState movedA = device.read().peer(peerA).orElseThrow();
    assertEquals(Optional.of(moved), movedA.endpoint());
    assertEquals(new HashSet<>(ALLOWED_A), new HashSet<>(movedA.allowedIps()));
    assertEquals(25, movedA.persistentKeepalive());

    // update_only never creates a peer.
    WireGuardKey stranger = KeyPair.generate().publicKey();
    device.apply(DeviceChange.peer(PeerChange.setEndpoint(stranger, moved)));
    assertEquals(Set.of(peerA, peerB), keysOf(device.read()));

    device.apply(DeviceChange.peer(PeerChange.removePeer(peerB)));
    DeviceState afterRemoval = device.read();
    assertEquals(Set.of(peerA), keysOf(afterRemoval));
    assertEquals(Optional.of(deviceKeys.publicKey()), afterRemoval.publicKey(), "device settings untouched");
    assertEquals(PORT, afterRemoval.listenPort());
  }

  /** Typed changes cannot express an invalid request, so this one is written by hand. */
  @Test
  void theDaemonsErrnoIsUnderstood() throws IOException {
    String invalid = "set=1\npublic_key=" + peerA.toHex() + "\nallowed_ip=10.0.0.0/64\n\n";
    String reply = rawExchange(device.socketPath(), invalid);
    UapiErrorException e = assertThrows(UapiErrorException.class, () -> UapiProtocol.checkSetReply(iface, reply));
    assertEquals(-22, e.errno(), "wireguard-go reports -EINVAL");
  }

  @Test
  void wgCommandDeviceAgreesWithUapi() throws IOException {
    configureTwoPeers();
    WgCommandDevice wg = WgCommandDevice.inNamespace(iface, namespace);
    // A preshared key on peer B, set by hand (changes carry none): both ways of reading say so.
    UapiProtocol.checkSetReply(iface, rawExchange(device.socketPath(),
        "set=1\npublic_key=" + peerB.toHex() + "\npreshared_key=" + KeyPair.generate().privateKey().toHex() + "\n\n"));
    assertTrue(device.read().peer(peerB).orElseThrow().hasPresharedKey());
    assertFalse(device.read().peer(peerA).orElseThrow().hasPresharedKey());

    assertEquals(device.read(), wg.read());

    // Through wg set: a new private key (from a temporary file), a port, and a replacement peer set.
    KeyPair rotated = KeyPair.generate();
    WireGuardKey peerC = KeyPair.generate().publicKey();
    wg.apply(new DeviceChange(Optional.of(rotated.privateKey()), OptionalInt.of(PORT + 1), true, List.of(
        PeerChange.upsert(peerA, Optional.of(ENDPOINT_B), List.of(IpPrefix.parse("10.99.0.3/32")), 15),
        PeerChange.upsert(peerC, Optional.empty(), List.of(IpPrefix.parse("10.99.2.0/24")), 0))));
    DeviceState state = device.read();
    assertEquals(Optional.of(rotated.publicKey()), state.publicKey());
    assertEquals(PORT + 1, state.listenPort());
    assertEquals(Set.of(peerA, peerC), keysOf(state), "replace_peers removed peer B");
    PeerState a = state.peer(peerA).orElseThrow();
    assertEquals(Optional.of(ENDPOINT_B), a.endpoint());
    assertEquals(List.of(IpPrefix.parse("10.99.0.3/32")), a.allowedIps());
    assertEquals(15, a.persistentKeepalive());
    assertEquals(Optional.empty(), state.peer(peerC).orElseThrow().endpoint());

    // update_only through wg: an absent peer stays absent, a present one is updated.
    wg.apply(DeviceChange.peers(List.of(
        PeerChange.setEndpoint(peerB, ENDPOINT_A), PeerChange.setEndpoint(peerC, ENDPOINT_A))));
    DeviceState updated = wg.read();
    assertEquals(Set.of(peerA, peerC), keysOf(updated));
    assertEquals(Optional.of(ENDPOINT_A), updated.peer(peerC).orElseThrow().endpoint());
    assertEquals(device.read(), updated);
  }

  @Test
  void openChoosesUapiForUserspaceDevicesAndNamesMissingOnes() throws IOException {
    WireGuardDevice opened = WireGuardDevices.open(iface);
    assertInstanceOf(UapiDevice.class, opened);
    assertEquals(iface, opened.name());
    configureTwoPeers();
    assertEquals(device.read(), opened.read());

    String missing = "wgnx" + iface.substring(3);
    DeviceNotFoundException e = assertThrows(DeviceNotFoundException.class, () -> WireGuardDevices.open(missing));
    assertTrue(e.getMessage().contains("'" + missing + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("/var/run/wireguard/" + missing + ".sock"), e.getMessage());
    assertThrows(DeviceNotFoundException.class, () -> UapiDevice.forInterface(missing).read());
    assertThrows(DeviceNotFoundException.class, () -> WgCommandDevice.inNamespace(missing, namespace).read());
  }

  private static Set<WireGuardKey> keysOf(DeviceState state) {
    Set<WireGuardKey> keys = new HashSet<>();
    state.peers().forEach(p -> keys.add(p.publicKey()));
    return keys;
  }

  private static String rawExchange(Path socket, String request) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap(request.getBytes(UTF_8)));
      ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
      while (!UapiProtocol.isCompleteReply(buffer.array(), buffer.position()) && channel.read(buffer) >= 0) {
        // read on until the reply is complete or the daemon closes
      }
      return new String(buffer.array(), 0, buffer.position(), UTF_8);
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
  }

  private static void runQuietly(String... command) {
    try {
      run(command);
    } catch (IOException e) {
      System.out.println("cleanup: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
