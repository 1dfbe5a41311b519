package dev.wgmesh.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent's side of re-creating peers: who leads on the relay, and the preshared-key guard. */
class PeerRestartTest {
  final WireGuardKey a = KeyPair.generate().publicKey();
  final WireGuardKey b = KeyPair.generate().publicKey();
  final WireGuardKey psk = KeyPair.generate().privateKey();

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
    assertFalse(PresharedKeys.uapiMayHave(reply, a));
    assertTrue(PresharedKeys.uapiMayHave(reply, b), "a peer with a preshared key must never be re-created");
    assertTrue(PresharedKeys.uapiMayHave(reply, KeyPair.generate().publicKey()), "an unlisted peer: in doubt");
  }

  @Test
  void wgShowOutputSaysNoneForPeersWithoutPresharedKey() {
    String output = a.toBase64() + "\t(none)\n" + b.toBase64() + "\t" + psk.toBase64() + "\n";
    assertFalse(PresharedKeys.wgShowMayHave(output, a));
    assertTrue(PresharedKeys.wgShowMayHave(output, b));
    assertTrue(PresharedKeys.wgShowMayHave("", a));
  }
}
