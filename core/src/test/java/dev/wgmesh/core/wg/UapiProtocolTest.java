package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UapiProtocolTest {
  private final KeyPair device = KeyPair.generate();
  private final WireGuardKey peerA = KeyPair.generate().publicKey();
  private final WireGuardKey peerB = KeyPair.generate().publicKey();
  private final WireGuardKey peerC = KeyPair.generate().publicKey();

  /** Shaped like wireguard-go's answer, field order included. */
  private String realisticReply() {
    return String.join("\n",
        "private_key=" + device.privateKey().toHex(),
        "listen_port=51820",
        "fwmark=4660",
        "public_key=" + peerA.toHex(),
        "preshared_key=0000000000000000000000000000000000000000000000000000000000000000",
        "protocol_version=1",
        "endpoint=192.0.2.10:51820",
        "last_handshake_time_sec=1700000000",
        "last_handshake_time_nsec=123456789",
        "tx_bytes=1234",
        "rx_bytes=5678",
        "persistent_keepalive_interval=25",
        "allowed_ip=10.99.0.2/32",
        "allowed_ip=fd99::2/128",
        "public_key=" + peerB.toHex(),
        "preshared_key=0000000000000000000000000000000000000000000000000000000000000000",
        "protocol_version=1",
        "endpoint=[2001:db8::5]:51820",
        "last_handshake_time_sec=0",
        "last_handshake_time_nsec=0",
        "tx_bytes=0",
        "rx_bytes=0",
        "persistent_keepalive_interval=0",
        "allowed_ip=10.99.1.0/24",
        "public_key=" + peerC.toHex(),
        "protocol_version=1",
        "some_future_field=whatever",
        "last_handshake_time_sec=0",
        "last_handshake_time_nsec=0",
        "errno=0",
        "",
        "");
  }

  @Test
  void parsesAMultiPeerReply() throws IOException {
    DeviceState state = UapiProtocol.parseGet("wg0", realisticReply());

    assertEquals("wg0", state.name());
    assertEquals(Optional.of(device.privateKey()), state.privateKey());
    assertEquals(Optional.of(device.publicKey()), state.publicKey(), "derived from the private key");
    assertEquals(51820, state.listenPort());
    assertEquals(4660, state.fwmark());
    assertEquals(sortedByHex(peerA, peerB, peerC), state.peers().stream().map(PeerState::publicKey).toList(),
        "peers in key order, whatever order the daemon used");

    PeerState a = state.peer(peerA).orElseThrow();
    assertEquals(Optional.of(Endpoints.parse("192.0.2.10:51820")), a.endpoint());
    assertEquals(List.of(IpPrefix.parse("10.99.0.2/32"), IpPrefix.parse("fd99::2/128")), a.allowedIps());
    assertEquals(Optional.of(Instant.ofEpochSecond(1_700_000_000L, 123_456_789L)), a.lastHandshake());
    assertEquals(5678, a.rxBytes());
    assertEquals(1234, a.txBytes());
    assertEquals(25, a.persistentKeepalive());

    PeerState b = state.peer(peerB).orElseThrow();
    assertEquals(Optional.of(new InetSocketAddress(IpPrefix.parseAddress("2001:db8::5"), 51820)), b.endpoint());
    assertEquals(List.of(IpPrefix.parse("10.99.1.0/24")), b.allowedIps());
    assertEquals(Optional.empty(), b.lastHandshake(), "0/0 means never");
    assertEquals(0, b.persistentKeepalive());

    PeerState c = state.peer(peerC).orElseThrow();
    assertEquals(Optional.empty(), c.endpoint());
    assertEquals(List.of(), c.allowedIps());
  }

  private static List<WireGuardKey> sortedByHex(WireGuardKey... keys) {
    return Stream.of(keys).sorted(Comparator.comparing(WireGuardKey::toHex)).toList();
  }

  @Test
  void peerOrderDoesNotDependOnTheDaemon() throws IOException {
    String first = "public_key=" + peerA.toHex() + "\nallowed_ip=10.0.0.1/32\n";
    String second = "public_key=" + peerB.toHex() + "\nallowed_ip=10.0.0.2/32\n";
    assertEquals(UapiProtocol.parseGet("wg0", first + second + "errno=0\n\n"),
        UapiProtocol.parseGet("wg0", second + first + "errno=0\n\n"));
  }

  @Test
  void deviceWithoutKeyOrPeers() throws IOException {
    DeviceState state = UapiProtocol.parseGet("wg1", "listen_port=40000\nerrno=0\n\n");
    assertEquals(Optional.empty(), state.privateKey());
    assertEquals(Optional.empty(), state.publicKey());
    assertEquals(40000, state.listenPort());
    assertEquals(0, state.fwmark());
    assertEquals(List.of(), state.peers());
  }

  @Test
  void allZeroPrivateKeyMeansUnset() throws IOException {
    DeviceState state = UapiProtocol.parseGet("wg1", "private_key=" + "00".repeat(32) + "\nerrno=0\n\n");
    assertEquals(Optional.empty(), state.privateKey());
    assertEquals(Optional.empty(), state.publicKey());
  }

  @Test
  void presharedKeyIsSetUnlessAllZeros() throws IOException {
    WireGuardKey psk = KeyPair.generate().privateKey();
    String reply = "public_key=" + peerA.toHex() + "\npreshared_key=" + psk.toHex() + "\n"
        + "public_key=" + peerB.toHex() + "\npreshared_key=" + "00".repeat(32) + "\n"
        + "public_key=" + peerC.toHex() + "\nprotocol_version=1\n"
        + "errno=0\n\n";
    DeviceState state = UapiProtocol.parseGet("wg0", reply);
    assertTrue(state.peer(peerA).orElseThrow().hasPresharedKey());
    assertFalse(state.peer(peerB).orElseThrow().hasPresharedKey(), "all zeros means none");
    assertFalse(state.peer(peerC).orElseThrow().hasPresharedKey(), "no preshared_key line: none");
    assertFalse(state.toString().contains(psk.toHex()), "the key itself is not kept");
  }

  @Test
  void presharedKeyBeforeAnyPeerIsMalformedAndNotEchoed() {
    String secret = "ab".repeat(32);
    IOException e = assertThrows(IOException.class,
        () -> UapiProtocol.parseGet("wg0", "preshared_key=" + secret + "\nerrno=0\n\n"));
    assertTrue(e.getMessage().contains("preshared_key before any public_key"), e.getMessage());
    assertFalse(e.getMessage().contains(secret), e.getMessage());
  }

  @Test
  void handshakeWithOnlyNanoseconds() throws IOException {
    String reply = "public_key=" + peerA.toHex() + "\nlast_handshake_time_sec=0\nlast_handshake_time_nsec=5\nerrno=0\n\n";
    assertEquals(Optional.of(Instant.ofEpochSecond(0, 5)),
        UapiProtocol.parseGet("wg0", reply).peers().get(0).lastHandshake());
  }

  @Test
  void nonZeroErrnoIsAnError() {
    UapiErrorException e = assertThrows(UapiErrorException.class, () -> UapiProtocol.parseGet("wg0", "errno=-22\n\n"));
    assertEquals(-22, e.errno());
    assertTrue(e.getMessage().contains("errno=-22"), e.getMessage());
    assertTrue(e.getMessage().contains("wg0"), e.getMessage());
    // Positive values (other implementations) are errors too.
    assertEquals(5, assertThrows(UapiErrorException.class, () -> UapiProtocol.parseGet("wg0", "errno=5\n\n")).errno());
  }

  @Test
  void errnoWinsOverPartialContent() {
    String reply = "listen_port=51820\npublic_key=" + peerA.toHex() + "\nerrno=-5\n\n";
    assertEquals(-5, assertThrows(UapiErrorException.class, () -> UapiProtocol.parseGet("wg0", reply)).errno());
  }

  @Test
  void checksSetReplies() throws IOException {
    UapiProtocol.checkSetReply("wg0", "errno=0\n\n");
    assertEquals(-22,
        assertThrows(UapiErrorException.class, () -> UapiProtocol.checkSetReply("wg0", "errno=-22\n\n")).errno());
    assertThrows(IOException.class, () -> UapiProtocol.checkSetReply("wg0", ""));
    assertThrows(IOException.class, () -> UapiProtocol.checkSetReply("wg0", "errno=x\n\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "\n\n",
      "listen_port=51820\n\n",                       // no errno: truncated
      "listen_port=51820",                           // cut mid-reply
      "errno=\n\n",
      "errno=zero\n\n",
      "listen_port\nerrno=0\n\n",                    // no '='
      "=5\nerrno=0\n\n",                             // no key
      "listen_port=abc\nerrno=0\n\n",
      "listen_port=70000\nerrno=0\n\n",
      "listen_port=-1\nerrno=0\n\n",
      "fwmark=4294967296\nerrno=0\n\n",
      "private_key=1234\nerrno=0\n\n",               // short key
      "endpoint=192.0.2.1:1\nerrno=0\n\n",           // peer field before any public_key
      "allowed_ip=10.0.0.0/8\nerrno=0\n\n",
      "rx_bytes=1\nerrno=0\n\n",
      "public_key=zz\nerrno=0\n\n",
      "public_key=PEER\nendpoint=2001:db8::1:51820\nerrno=0\n\n",
      "public_key=PEER\nendpoint=somehost:51820\nerrno=0\n\n",
      "public_key=PEER\nallowed_ip=10.0.0.0/40\nerrno=0\n\n",
      "public_key=PEER\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
      "public_key=PEER\nlast_handshake_time_sec=99999999999999999\nerrno=0\n\n",
      "public_key=PEER\nrx_bytes=-1\nerrno=0\n\n",
      "public_key=PEER\nrx_bytes=99999999999999999999\nerrno=0\n\n",
      "public_key=PEER\npersistent_keepalive_interval=65536\nerrno=0\n\n",
      "public_key=PEER\nprotocol_version=2\nerrno=0\n\n",
  })
  void malformedRepliesGiveAClearIoException(String template) {
    String reply = template.replace("PEER", peerA.toHex());
    IOException e = assertThrows(IOException.class, () -> UapiProtocol.parseGet("wg0", reply));
    assertFalse(e instanceof UapiErrorException, "a malformed reply is not a daemon error");
    assertTrue(e.getMessage().contains("wg0"), e.getMessage());
  }

  @Test
  void malformedKeyLinesAreNotQuoted() {
    String hex = device.privateKey().toHex();
    for (String line : List.of("private_key=" + hex.substring(2) + "zz", "private_key=" + hex + "00", hex)) {
      IOException e = assertThrows(IOException.class, () -> UapiProtocol.parseGet("wg0", line + "\nerrno=0\n\n"));
      assertFalse(e.getMessage().contains(hex.substring(4, 24)), e.getMessage());
    }
  }

  @Test
  void formatsAFullDeviceChange() {
    DeviceChange change = new DeviceChange(Optional.of(device.privateKey()), OptionalInt.of(51820), true, List.of(
        PeerChange.upsert(peerA, Optional.of(Endpoints.parse("[2001:db8::5]:51820")),
            List.of(IpPrefix.parse("10.99.0.2/32"), IpPrefix.parse("fd99::2/128")), 25),
        PeerChange.upsert(peerB, Optional.empty(), List.of(IpPrefix.parse("10.99.1.0/24")), 0)));
    assertEquals(String.join("\n",
        "set=1",
        "private_key=" + device.privateKey().toHex(),
        "listen_port=51820",
        "replace_peers=true",
        "public_key=" + peerA.toHex(),
        "endpoint=[2001:db8::5]:51820",
        "persistent_keepalive_interval=25",
        "replace_allowed_ips=true",
        "allowed_ip=10.99.0.2/32",
        "allowed_ip=fd99::2/128",
        "public_key=" + peerB.toHex(),
        "persistent_keepalive_interval=0",
        "replace_allowed_ips=true",
        "allowed_ip=10.99.1.0/24",
        "",
        ""), UapiProtocol.formatSet(change));
  }

  @Test
  void formatsAnEndpointOnlyUpdate() {
    assertEquals("set=1\npublic_key=" + peerA.toHex() + "\nupdate_only=true\nendpoint=198.51.100.7:4500\n\n",
        UapiProtocol.formatSet(DeviceChange.peer(PeerChange.setEndpoint(peerA, Endpoints.parse("198.51.100.7:4500")))));
  }

  @Test
  void formatsARemoval() {
    assertEquals("set=1\npublic_key=" + peerA.toHex() + "\nremove=true\n\n",
        UapiProtocol.formatSet(DeviceChange.peer(PeerChange.removePeer(peerA))));
  }

  @Test
  void removalIgnoresOtherFields() {
    PeerChange removeWithExtras = new PeerChange(peerA, true, true, Optional.of(Endpoints.parse("192.0.2.1:1")),
        Optional.of(List.of(IpPrefix.parse("10.0.0.0/8"))), OptionalInt.of(25));
    assertEquals("set=1\npublic_key=" + peerA.toHex() + "\nremove=true\n\n",
        UapiProtocol.formatSet(DeviceChange.peer(removeWithExtras)));
  }

  @Test
  void emptyAllowedIpsClearThem() {
    PeerChange clear = new PeerChange(peerA, false, false, Optional.empty(), Optional.of(List.of()), OptionalInt.empty());
    assertEquals("set=1\npublic_key=" + peerA.toHex() + "\nreplace_allowed_ips=true\n\n",
        UapiProtocol.formatSet(DeviceChange.peer(clear)));
  }

  @Test
  void formatsDeviceOnlyChanges() {
    assertEquals("set=1\n\n", UapiProtocol.formatSet(DeviceChange.peers(List.of())));
    assertEquals("set=1\nlisten_port=0\n\n",
        UapiProtocol.formatSet(new DeviceChange(Optional.empty(), OptionalInt.of(0), false, List.of())));
    assertEquals("set=1\nreplace_peers=true\n\n",
        UapiProtocol.formatSet(new DeviceChange(Optional.empty(), OptionalInt.empty(), true, List.of())));
  }

  @Test
  void rejectsInvalidChanges() {
    assertThrows(IllegalArgumentException.class, () ->
        UapiProtocol.formatSet(new DeviceChange(Optional.empty(), OptionalInt.of(65536), false, List.of())));
    assertThrows(IllegalArgumentException.class, () ->
        UapiProtocol.formatSet(DeviceChange.peer(PeerChange.upsert(peerA, Optional.empty(), List.of(), -1))));
    assertThrows(IllegalArgumentException.class, () -> UapiProtocol.formatSet(
        DeviceChange.peer(PeerChange.setEndpoint(peerA, InetSocketAddress.createUnresolved("peer.example", 51820)))));
    assertThrows(IllegalArgumentException.class, () -> UapiProtocol.formatSet(DeviceChange.peer(PeerChange.removePeer(null))));
  }

  @Test
  void formattedRequestsParseBackThroughARealisticEcho() throws IOException {
    // What a daemon would report after applying the request: the same fields in get form.
    PeerChange upsert = PeerChange.upsert(peerA, Optional.of(Endpoints.parse("[2001:db8::5]:51820")),
        List.of(IpPrefix.parse("10.99.0.2/32")), 25);
    String request = UapiProtocol.formatSet(DeviceChange.peer(upsert));
    String echoed = request.replace("set=1\n", "").replace("replace_allowed_ips=true\n", "").strip() + "\nerrno=0\n\n";
    PeerState peer = UapiProtocol.parseGet("wg0", echoed).peer(peerA).orElseThrow();
    assertEquals(upsert.endpoint(), peer.endpoint());
    assertEquals(upsert.allowedIps().orElseThrow(), peer.allowedIps());
    assertEquals(25, peer.persistentKeepalive());
  }

  @Test
  void recognisesCompleteReplies() {
    assertTrue(complete("errno=0\n\n"));
    assertTrue(complete("listen_port=1\nerrno=-22\n\n"));
    assertFalse(complete(""));
    assertFalse(complete("\n\n"));
    assertFalse(complete("errno=0\n"));
    assertFalse(complete("errno=0"));
    assertFalse(complete("listen_port=1\n\n"));
    assertFalse(complete("listen_port=1\nerr"));
    assertFalse(complete("listen_port=1\nerrno\n\n"));
  }

  @Test
  void aCompleteReplyIsJudgedByTheBytesReadSoFar() {
    byte[] buffer = "listen_port=1\nerrno=0\n\n\0\0\0".getBytes(ISO_8859_1);
    assertTrue(UapiProtocol.isCompleteReply(buffer, buffer.length - 3), "the rest of the buffer is not read yet");
    assertFalse(UapiProtocol.isCompleteReply(buffer, buffer.length - 4));
  }

  @Test
  void readsALargeReplyPeerByPeer() throws IOException {
    StringBuilder reply = new StringBuilder("listen_port=51820\n");
    List<WireGuardKey> keys = Stream.generate(() -> KeyPair.generate().publicKey()).limit(300).toList();
    for (int i = 0; i < keys.size(); i++) {
      reply.append("public_key=").append(keys.get(i).toHex()).append("\nendpoint=198.51.100.").append(i % 250 + 1)
          .append(':').append(10000 + i).append("\nlast_handshake_time_sec=").append(1700000000 + i)
          .append("\nlast_handshake_time_nsec=0\nrx_bytes=").append(i).append("\nallowed_ip=10.0.").append(i / 256).append('.')
          .append(i % 256).append("/32\n");
    }
    DeviceState state = UapiProtocol.parseGet("wg0", reply.append("errno=0\n\n").toString());
    assertEquals(keys.stream().sorted(Comparator.comparing(WireGuardKey::toHex)).toList(),
        state.peers().stream().map(PeerState::publicKey).toList(), "in the order of the keys' hex");
    for (int i = 0; i < keys.size(); i++) {
      PeerState peer = state.peer(keys.get(i)).orElseThrow();
      assertEquals(Optional.of(Endpoints.parse("198.51.100." + (i % 250 + 1) + ":" + (10000 + i))), peer.endpoint());
      assertEquals(List.of(IpPrefix.parse("10.0." + i / 256 + "." + i % 256 + "/32")), peer.allowedIps());
      assertEquals(Optional.of(Instant.ofEpochSecond(1700000000 + i)), peer.lastHandshake());
      assertEquals(i, peer.rxBytes());
    }
  }

  private String peerLines(WireGuardKey key, long rxBytes) {
    return "public_key=" + key.toHex() + "\nprotocol_version=1\nendpoint=192.0.2.10:51820\nlast_handshake_time_sec=1700000000\n"
        + "last_handshake_time_nsec=0\nrx_bytes=" + rxBytes + "\ntx_bytes=7\npersistent_keepalive_interval=25\nallowed_ip=10.99.0."
        + (rxBytes % 200 + 1) + "/32\n";
  }

  /** Parses {@code reply} as it lies in a reused read buffer: followed by what an earlier, longer reply left there. */
  private static UapiProtocol.ParsedGet parsed(String reply, Optional<UapiProtocol.ParsedGet> previous) throws IOException {
    byte[] buffer = (reply + "public_key=" + "ab".repeat(32) + "\nrx_bytes=1\nerrno=0\n\n").getBytes(ISO_8859_1);
    return UapiProtocol.parseGet("wg0", buffer, reply.length(), previous);
  }

  @Test
  void anUnchangedDeviceInAnotherPeerOrderIsTheSameState() throws IOException {
    String header = "private_key=" + device.privateKey().toHex() + "\nlisten_port=51820\n";
    UapiProtocol.ParsedGet first = parsed(
        header + peerLines(peerA, 1) + peerLines(peerB, 2) + peerLines(peerC, 3) + "errno=0\n\n", Optional.empty());
    UapiProtocol.ParsedGet again = parsed(
        header + peerLines(peerC, 3) + peerLines(peerA, 1) + peerLines(peerB, 2) + "errno=0\n\n", Optional.of(first));

    assertSame(first.state(), again.state(), "wireguard-go's map order changes between reads; nothing else did");
    assertEquals(first.state(), UapiProtocol.parseGet("wg0",
        header + peerLines(peerC, 3) + peerLines(peerA, 1) + peerLines(peerB, 2) + "errno=0\n\n"), "what a fresh parse gives");
  }

  @Test
  void aChangedPeerIsParsedAgainAndTheOthersAreKept() throws IOException {
    String header = "listen_port=51820\n";
    UapiProtocol.ParsedGet first = parsed(
        header + peerLines(peerA, 1) + peerLines(peerB, 2) + peerLines(peerC, 3) + "errno=0\n\n", Optional.empty());
    String changed = header + peerLines(peerB, 2) + peerLines(peerA, 100) + peerLines(peerC, 3) + "errno=0\n\n";
    UapiProtocol.ParsedGet second = parsed(changed, Optional.of(first));

    assertNotSame(first.state(), second.state());
    assertEquals(UapiProtocol.parseGet("wg0", changed), second.state(), "the same as a parse from scratch");
    assertEquals(100, second.state().peer(peerA).orElseThrow().rxBytes());
    assertSame(first.state().peer(peerB).orElseThrow(), second.state().peer(peerB).orElseThrow());
    assertSame(first.state().peer(peerC).orElseThrow(), second.state().peer(peerC).orElseThrow());

    String fewer = header + peerLines(peerB, 2) + peerLines(peerA, 100) + "errno=0\n\n";
    UapiProtocol.ParsedGet third = parsed(fewer, Optional.of(second));
    assertEquals(UapiProtocol.parseGet("wg0", fewer), third.state(), "a peer gone is gone, though every other was kept");
    String otherPort = "listen_port=51821\n" + peerLines(peerB, 2) + peerLines(peerA, 100) + "errno=0\n\n";
    assertEquals(51821, parsed(otherPort, Optional.of(third)).state().listenPort());
  }

  @Test
  void peersWhoseKeysBeginAlikeAreToldApart() throws IOException {
    WireGuardKey x = WireGuardKey.fromHex("ab".repeat(8) + "01".repeat(24));
    WireGuardKey y = WireGuardKey.fromHex("ab".repeat(8) + "02".repeat(24));
    UapiProtocol.ParsedGet first = parsed(peerLines(x, 1) + peerLines(y, 2) + "errno=0\n\n", Optional.empty());
    String changed = peerLines(y, 5) + peerLines(x, 1) + "errno=0\n\n";
    UapiProtocol.ParsedGet second = parsed(changed, Optional.of(first));
    assertEquals(UapiProtocol.parseGet("wg0", changed), second.state());
    assertSame(first.state().peer(x).orElseThrow(), second.state().peer(x).orElseThrow());
    assertEquals(5, second.state().peer(y).orElseThrow().rxBytes());
    assertSame(second.state(), parsed(peerLines(x, 1) + peerLines(y, 5) + "errno=0\n\n", Optional.of(second)).state());
  }

  @Test
  void aMalformedPeerIsReportedThoughItsNeighboursAreKept() throws IOException {
    UapiProtocol.ParsedGet first = parsed(peerLines(peerA, 1) + peerLines(peerB, 2) + "errno=0\n\n", Optional.empty());
    String broken = peerLines(peerA, 1) + peerLines(peerB, 2).replace("rx_bytes=2", "rx_bytes=two") + "errno=0\n\n";
    IOException e = assertThrows(IOException.class, () -> parsed(broken, Optional.of(first)));
    assertTrue(e.getMessage().contains("line 15"), e.getMessage());
  }

  private static boolean complete(String received) {
    byte[] bytes = received.getBytes(ISO_8859_1);
    return UapiProtocol.isCompleteReply(bytes, bytes.length);
  }
}
