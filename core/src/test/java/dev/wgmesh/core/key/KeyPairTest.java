package dev.wgmesh.core.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyPairTest {

  /** RFC 7748 section 6.1 (X25519 Diffie-Hellman): Alice's and Bob's key pairs. */
  @Test
  void derivesPublicKeysOfRfc7748Vectors() {
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        KeyPair.publicKeyOf(WireGuardKey.fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
            .toHex());
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        KeyPair.publicKeyOf(WireGuardKey.fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
            .toHex());
  }

  /** The same derivation as the wg tool, for a key wg generates now (skipped where wg is absent). */
  @Test
  void derivesTheSamePublicKeyAsWgPubkey() throws Exception {
    assumeTrue(onPath("wg"), "wg is not installed; the RFC 7748 vectors still cover the derivation");
    String privateText = run(null, "wg", "genkey");
    String publicText = run(privateText + "\n", "wg", "pubkey");
    assertEquals(publicText, KeyPair.publicKeyOf(WireGuardKey.fromBase64(privateText)).toBase64());
    assertEquals(publicText, KeyPair.fromPrivate(WireGuardKey.fromBase64(privateText)).publicKey().toBase64());
  }

  @Test
  void generatedKeysAreClampedLikeWgGenkeyAndConsistent() {
    KeyPair pair = KeyPair.generate();
    byte[] priv = pair.privateKey().bytes();
    assertEquals(0, priv[0] & 7);
    assertEquals(0, priv[31] & 128);
    assertEquals(64, priv[31] & 64);
    assertEquals(KeyPair.publicKeyOf(pair.privateKey()), pair.publicKey());
    assertNotEquals(pair.privateKey(), KeyPair.generate().privateKey());
  }

  @Test
  void toStringShowsOnlyThePublicKey() {
    KeyPair pair = KeyPair.generate();
    assertFalse(pair.toString().contains(pair.privateKey().toBase64()));
    assertFalse(pair.toString().contains(pair.privateKey().toBase64().substring(0, 10)));
  }

  private static String run(String stdin, String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (var in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.US_ASCII));
      }
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
    return out;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
