package dev.wgmesh.core.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WireGuardKeyTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static byte[] randomBytes() {
    byte[] bytes = new byte[WireGuardKey.LENGTH];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  @Test
  void base64RoundTrip() {
    for (int i = 0; i < 50; i++) {
      byte[] bytes = randomBytes();
      String text = Base64.getEncoder().encodeToString(bytes);
      WireGuardKey key = WireGuardKey.fromBase64(text);
      assertEquals(text, key.toBase64());
      assertEquals(WireGuardKey.of(bytes), key);
    }
  }

  @Test
  void base64IgnoresSurroundingWhitespace() {
    String text = WireGuardKey.of(randomBytes()).toBase64();
    assertEquals(text, WireGuardKey.fromBase64("  " + text + "\n").toBase64());
  }

  @Test
  void hexRoundTrip() {
    byte[] bytes = randomBytes();
    WireGuardKey key = WireGuardKey.of(bytes);
    assertEquals(64, key.toHex().length());
    assertEquals(key.toHex().toLowerCase(), key.toHex(), "UAPI uses lower-case hex");
    assertEquals(key, WireGuardKey.fromHex(key.toHex()));
    assertEquals(key, WireGuardKey.fromBase64(key.toBase64()));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "   ", "abc",
      // 43 characters: one short
      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
      // 44 characters without the '=' pad
      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoA",
      // right length, characters outside base64
      "hSDwCYkwp1R0i33ctD73Wg2-Og0mOBr066SpjqqbTmo=",
      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Sp!qqbTmo=",
      // 48 characters: 33+ bytes
      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoAAAA=",
      // non-zero padding bits in the last character: wg rejects this, so must we
      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=",
  })
  void rejectsMalformedBase64WithoutQuotingIt(String text) {
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromBase64(text));
    assertFalse(e.getMessage().isBlank());
    if (text.strip().length() > 3) {
      assertFalse(e.getMessage().contains(text.strip()), "message must not contain the key text");
      assertFalse(e.getMessage().contains(text.strip().substring(0, 8)), "message must not quote part of the key");
    }
    assertFalse(WireGuardKey.isValidBase64(text));
  }

  @Test
  void rejectsNull() {
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromBase64(null));
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromHex(null));
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.of(null));
  }

  @Test
  void rejectsWrongByteLength() {
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.of(new byte[31]));
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.of(new byte[33]));
  }

  @Test
  void rejectsMalformedHexWithoutQuotingIt() {
    String hex = WireGuardKey.of(randomBytes()).toHex();
    String notHex = "zz" + hex.substring(2);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromHex(notHex));
    assertFalse(e.getMessage().contains(hex.substring(2, 20)));
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromHex(hex.substring(1)));
    assertThrows(InvalidKeyException.class, () -> WireGuardKey.fromHex(hex + "00"));
  }

  @Test
  void toStringHidesKeyMaterial() {
    WireGuardKey key = WireGuardKey.of(randomBytes());
    String shown = key.toString();
    assertFalse(shown.contains(key.toBase64()));
    assertFalse(shown.contains(key.toBase64().substring(0, 10)));
    assertFalse(shown.contains(key.toHex().substring(0, 10)));
  }

  @Test
  void bytesAreDefensivelyCopied() {
    byte[] bytes = randomBytes();
    WireGuardKey key = WireGuardKey.of(bytes);
    bytes[0] ^= 1;
    assertNotEquals(WireGuardKey.of(bytes), key);
    key.bytes()[0] ^= 1;
    assertNotEquals(WireGuardKey.of(bytes), key);
  }

  @Test
  void equalityIsByValue() {
    byte[] bytes = randomBytes();
    assertEquals(WireGuardKey.of(bytes), WireGuardKey.of(bytes.clone()));
    assertEquals(WireGuardKey.of(bytes).hashCode(), WireGuardKey.of(bytes.clone()).hashCode());
  }

  @Test
  void zeroKey() {
    assertTrue(WireGuardKey.of(new byte[32]).isZero());
    byte[] one = new byte[32];
    one[31] = 1;
    assertFalse(WireGuardKey.of(one).isZero());
  }
}
