package dev.wgmesh.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.UapiProtocol;
import dev.wgmesh.core.wg.WgDump;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.config.InMemoryDevice;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent's side of re-creating peers: who leads on the relay, and the preshared-key guard. */
class PeerRestartTest {
  final WireGuardKey a = KeyPair.generate().publicKey();
  final WireGuardKey b = KeyPair.generate().publicKey();
  final WireGuardKey psk = KeyPair.generate().privateKey();

  /** A device whose every read parses the same text, as a real device's read would. */
  private interface Parser {
    DeviceState parse(String text) throws IOException;
  }

  private static PresharedKeys reading(String text, Parser parser) {
    return PresharedKeys.of(new WireGuardDevice() {
      @Override
      public String name() {
        return "wg0";
      }

      @Override
      public DeviceState read() throws IOException {
        return parser.parse(text);
      }

      @Override
      public void apply(DeviceChange change) {
        throw new UnsupportedOperationException();
      }
    });
  }

  @Test
  void exactlyOneOfTwoPeersLeadsOnTheRelay() {
    assertNotEquals(Agent.leadsOnRelay(Optional.of(a), b), Agent.leadsOnRelay(Optional.of(b), a));
    assertTrue(Agent.leadsOnRelay(Optional.empty(), b), "without its own key a side leads (at worst both do)");
  }

  @Test
  void uapiReplyWithAZeroPresharedKeyAllowsARestart() {
    String reply = "private_key=" + "11".repeat(32) + "\nlisten_port=51820\n"
        + "public_key=" + b.toHex() + "\npreshared_key=" + psk.toHex() + "\nprotocol_version=1\n"
        + "public_key=" + a.toHex() + "\npreshared_key=" + "0".repeat(64) + "\nprotocol_version=1\nallowed_ip=10.0.0.2/32\n"
        + "errno=0\n\n";
    PresharedKeys keys = reading(reply, text -> UapiProtocol.parseGet("wg0", text));
    assertFalse(keys.mayHave(a));
    assertTrue(keys.mayHave(b), "a peer with a preshared key must never be re-created");
    assertTrue(keys.mayHave(KeyPair.generate().publicKey()), "an unlisted peer: in doubt");
  }

  @Test
  void wgShowOutputSaysNoneForPeersWithoutPresharedKey() {
    KeyPair self = KeyPair.generate();
    String dump = String.join("\t", self.privateKey().toBase64(), self.publicKey().toBase64(), "51820", "off") + "\n"
        + String.join("\t", a.toBase64(), "(none)", "(none)", "10.0.0.2/32", "0", "0", "0", "off") + "\n"
        + String.join("\t", b.toBase64(), psk.toBase64(), "(none)", "10.0.0.3/32", "0", "0", "0", "off") + "\n";
    PresharedKeys keys = reading(dump, text -> WgDump.parse("wg0", text));
    assertFalse(keys.mayHave(a));
    assertTrue(keys.mayHave(b));
    assertTrue(reading("", text -> WgDump.parse("wg0", text)).mayHave(a), "an unreadable device: in doubt");
  }

  @Test
  void onTheInMemoryDeviceOnlyAPeerReportedWithoutPresharedKeyMayBeReCreated() throws IOException {
    InMemoryDevice device = new InMemoryDevice("wg0");
    PresharedKeys keys = PresharedKeys.of(device);
    device.apply(DeviceChange.peers(List.of(
        PeerChange.upsert(a, Optional.empty(), List.of(IpPrefix.parse("10.0.0.2/32")), 0),
        PeerChange.upsert(b, Optional.empty(), List.of(IpPrefix.parse("10.0.0.3/32")), 0))));
    device.setPresharedKey(b, true);

    assertFalse(keys.mayHave(a));
    assertTrue(keys.mayHave(b), "a peer with a preshared key must never be re-created");
    assertTrue(keys.mayHave(KeyPair.generate().publicKey()), "an unlisted peer: in doubt");

    device.setPresharedKey(b, false);
    assertFalse(keys.mayHave(b), "asked afresh each time, not remembered");

    device.setPresharedKey(a, true);
    device.failing(true);
    assertTrue(keys.mayHave(a), "a device that cannot be read: in doubt");
    assertTrue(keys.mayHave(b), "a device that cannot be read: in doubt, even for a peer last seen without one");
  }
}
