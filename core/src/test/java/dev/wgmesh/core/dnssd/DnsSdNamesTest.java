package dev.wgmesh.core.dnssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DnsSdNamesTest {
  /**
   * Computed independently with Python's RFC 4648 encoder:
   * {@code python3 -c 'import base64; print(base64.b32encode(bytes.fromhex(HEX)).decode().lower())'}.
   */
  @ParameterizedTest
  @CsvSource({
      "0000000000000000000000000000000000000000000000000000000000000000,"
          + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa====",
      // the RFC 7748 section 6.1 public key of Alice (a public key, not a secret)
      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a,"
          + "quqpacmjgctvi5elpxolipxxlig36oqney4bv5hlusuy5ku3jzva====",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,"
          + "777777777777777777777777777777777777777777777777777q====",
  })
  void labelMatchesRfc4648Base32(String hex, String expected) {
    WireGuardKey key = WireGuardKey.fromHex(hex);
    String label = DnsSdNames.label(key);
    assertEquals(expected, label);
    assertEquals(DnsSdNames.LABEL_LENGTH, label.length());
    assertEquals(label.toLowerCase(Locale.ROOT), label);
    assertTrue(label.endsWith("===="));
    assertEquals(key, DnsSdNames.keyOf(expected));
  }

  @Test
  void roundTripsRandomKeys() {
    for (int i = 0; i < 200; i++) {
      WireGuardKey key = KeyPair.generate().publicKey();
      String label = DnsSdNames.label(key);
      assertEquals(56, label.length());
      assertTrue(label.matches("[a-z2-7]{52}===="), label);
      assertEquals(key, DnsSdNames.keyOf(label));
    }
  }

  @Test
  void decodesAnyLetterCase() {
    WireGuardKey key = KeyPair.generate().publicKey();
    String label = DnsSdNames.label(key);
    assertEquals(key, DnsSdNames.keyOf(label.toUpperCase(Locale.ROOT)));
    Random random = new Random(42);
    StringBuilder mixed = new StringBuilder();
    for (char c : label.toCharArray()) {
      mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : c); // as a 0x20-randomising resolver does
    }
    assertEquals(key, DnsSdNames.keyOf(mixed.toString()));
  }

  @Test
  void rejectsWrongLength() {
    String label = DnsSdNames.label(KeyPair.generate().publicKey());
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(label.substring(1)));
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf("a" + label));
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(label.substring(0, 52)));
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(""));
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(null));
  }

  @Test
  void rejectsCharactersOutsideBase32() {
    String label = DnsSdNames.label(KeyPair.generate().publicKey());
    for (char bad : new char[] {'0', '1', '8', '9', '=', '-', '_', '.'}) {
      String broken = bad + label.substring(1);
      assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(broken), "accepted '" + bad + "'");
    }
    // 56 characters but the padding is not "===="
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(label.substring(0, 52) + "aaaa"));
  }

  @Test
  void rejectsNonZeroPaddingBits() {
    // 52 characters carry 260 bits; the 52nd character holds 1 data bit and 4 padding bits.
    String zero = DnsSdNames.label(WireGuardKey.of(new byte[32]));
    String oneInPadding = zero.substring(0, 51) + "b" + "====";
    assertThrows(InvalidKeyException.class, () -> DnsSdNames.keyOf(oneInPadding));
    // 'q' = 16 sets only the data bit: valid, the key's last bit
    byte[] lastBit = new byte[32];
    lastBit[31] = 1;
    assertEquals(WireGuardKey.of(lastBit), DnsSdNames.keyOf(zero.substring(0, 51) + "q===="));
  }

  @Test
  void namesUnderAZone() {
    WireGuardKey key = KeyPair.generate().publicKey();
    String label = DnsSdNames.label(key);
    assertEquals("example.com.", DnsSdNames.zone("Example.COM"));
    assertEquals("example.com.", DnsSdNames.zone("example.com."));
    assertEquals("_wireguard._udp.example.com.", DnsSdNames.serviceName("example.com"));
    assertEquals(label + "._wireguard._udp.example.com.", DnsSdNames.instanceName(key, "example.com"));
    assertEquals(label + ".example.com.", DnsSdNames.hostName(key, "Example.com."));
  }
}
