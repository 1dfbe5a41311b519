package dev.wgmesh.core.wg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WgDumpTest {
  private final KeyPair device = KeyPair.generate();
  private final WireGuardKey peerA = KeyPair.generate().publicKey();
  private final WireGuardKey peerB = KeyPair.generate().publicKey();
  private final WireGuardKey presharedKey = KeyPair.generate().privateKey();

  private static String line(String... fields) {
    return String.join("\t", fields) + "\n";
  }

  private String interfaceLine() {
    return line(device.privateKey().toBase64(), device.publicKey().toBase64(), "51820", "off");
  }

  @Test
  void parsesInterfaceAndPeers() throws IOException {
    String dump = interfaceLine()
        + line(peerA.toBase64(), "(none)", "192.0.2.10:51820", "10.99.0.2/32,fd99::2/128", "1700000000", "5678", "1234", "25")
        + line(peerB.toBase64(), presharedKey.toBase64(), "[2001:db8::5]:51820", "(none)", "0", "0", "0", "off");

    DeviceState state = WgDump.parse("wg0", dump);

    assertEquals("wg0", state.name());
    assertEquals(Optional.of(device.privateKey()), state.privateKey());
    assertEquals(Optional.of(device.publicKey()), state.publicKey());
    assertEquals(51820, state.listenPort());
    assertEquals(0, state.fwmark());
    assertEquals(2, state.peers().size());

    PeerState a = state.peer(peerA).orElseThrow();
    assertEquals(Optional.of(Endpoints.parse("192.0.2.10:51820")), a.endpoint());
    assertEquals(List.of(IpPrefix.parse("10.99.0.2/32"), IpPrefix.parse("fd99::2/128")), a.allowedIps());
    assertEquals(Optional.of(Instant.ofEpochSecond(1_700_000_000L)), a.lastHandshake());
    assertEquals(5678, a.rxBytes());
    assertEquals(1234, a.txBytes());
    assertEquals(25, a.persistentKeepalive());
    assertFalse(a.hasPresharedKey(), "(none) means no preshared key");

    PeerState b = state.peer(peerB).orElseThrow();
    assertEquals(Optional.of(Endpoints.parse("[2001:db8::5]:51820")), b.endpoint());
    assertEquals(List.of(), b.allowedIps());
    assertEquals(Optional.empty(), b.lastHandshake());
    assertEquals(0, b.persistentKeepalive());
    assertTrue(b.hasPresharedKey());
    assertFalse(state.toString().contains(presharedKey.toBase64()), "the key itself is not kept");
  }

  @Test
  void peersComeInKeyOrder() throws IOException {
    String lineA = line(peerA.toBase64(), "(none)", "(none)", "10.0.0.1/32", "0", "0", "0", "off");
    String lineB = line(peerB.toBase64(), "(none)", "(none)", "10.0.0.2/32", "0", "0", "0", "off");
    assertEquals(WgDump.parse("wg0", interfaceLine() + lineA + lineB), WgDump.parse("wg0", interfaceLine() + lineB + lineA));
  }

  @Test
  void peerWithoutEndpoint() throws IOException {
    String dump = interfaceLine() + line(peerA.toBase64(), "(none)", "(none)", "10.0.0.0/8", "0", "0", "0", "off");
    assertEquals(Optional.empty(), WgDump.parse("wg0", dump).peers().get(0).endpoint());
  }

  @Test
  void interfaceWithoutKeys() throws IOException {
    DeviceState state = WgDump.parse("wg0", line("(none)", "(none)", "0", "off"));
    assertEquals(Optional.empty(), state.privateKey());
    assertEquals(Optional.empty(), state.publicKey());
    assertEquals(0, state.listenPort());
    assertEquals(List.of(), state.peers());
  }

  @Test
  void fwmarkInHexAsWgPrintsIt() throws IOException {
    assertEquals(0x1234, WgDump.parse("wg0", line("(none)", "(none)", "1", "0x1234")).fwmark());
    assertEquals(0xffffffff, WgDump.parse("wg0", line("(none)", "(none)", "1", "0xffffffff")).fwmark());
    assertEquals(77, WgDump.parse("wg0", line("(none)", "(none)", "1", "77")).fwmark());
  }

  @Test
  void toleratesMissingFinalNewline() throws IOException {
    assertEquals(51820, WgDump.parse("wg0", interfaceLine().strip()).listenPort());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "\n",
      "(none)\t(none)\t51820\n",                     // 3 fields
      "(none)\t(none)\t51820\toff\textra\n",
      "(none) (none) 51820 off\n",                    // spaces, not tabs
      "(none)\t(none)\tport\toff\n",
      "(none)\t(none)\t65536\toff\n",
      "(none)\t(none)\t1\t0xZZ\n",
      "(none)\t(none)\t1\t0x100000000\n",
      "(none)\tnot-a-key\t1\toff\n",
      "(none)\t(none)\t1\toff\nPEER\t(none)\t(none)\t(none)\t0\t0\t0\n",          // 7 peer fields
      "(none)\t(none)\t1\toff\n(none)\t(none)\t(none)\t(none)\t0\t0\t0\toff\n",  // peer without key
      "(none)\t(none)\t1\toff\nPEER\t(none)\tsomehost:1\t(none)\t0\t0\t0\toff\n",
      "(none)\t(none)\t1\toff\nPEER\t(none)\t(none)\t10.0.0.0/99\t0\t0\t0\toff\n",
      "(none)\t(none)\t1\toff\nPEER\t(none)\t(none)\t(none)\tyesterday\t0\t0\toff\n",
      "(none)\t(none)\t1\toff\nPEER\t(none)\t(none)\t(none)\t0\t-1\t0\toff\n",
      "(none)\t(none)\t1\toff\nPEER\t(none)\t(none)\t(none)\t0\t0\t0\tsometimes\n",
  })
  void malformedDumpGivesAClearIoException(String template) {
    String dump = template.replace("PEER", peerA.toBase64());
    IOException e = assertThrows(IOException.class, () -> WgDump.parse("wg0", dump));
    assertTrue(e.getMessage().contains("wg0"), e.getMessage());
  }

  @Test
  void messagesNeverQuoteKeys() {
    String privateText = device.privateKey().toBase64();
    String broken = privateText.substring(0, 40) + "!!!=";
    IOException badKey = assertThrows(IOException.class,
        () -> WgDump.parse("wg0", line(broken, device.publicKey().toBase64(), "1", "off")));
    assertFalse(badKey.getMessage().contains(privateText.substring(0, 20)), badKey.getMessage());

    IOException badPort = assertThrows(IOException.class,
        () -> WgDump.parse("wg0", line(privateText, device.publicKey().toBase64(), "x", "off")));
    assertFalse(badPort.getMessage().contains(privateText.substring(0, 20)), badPort.getMessage());

    IOException wrongFields = assertThrows(IOException.class,
        () -> WgDump.parse("wg0", line(privateText, device.publicKey().toBase64(), "1")));
    assertFalse(wrongFields.getMessage().contains(privateText.substring(0, 20)), wrongFields.getMessage());
  }
}
