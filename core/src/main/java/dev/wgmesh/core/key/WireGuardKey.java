package dev.wgmesh.core.key;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A 32-byte Curve25519 key as WireGuard uses it (public, private or preshared).
 *
 * <p>{@link #toString()} never prints the key material: a private key must not reach a log line
 * by accident. Use {@link #toBase64()} where the text form is really meant.
 */
public final class WireGuardKey implements Comparable<WireGuardKey> {
  public static final int LENGTH = 32;
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] bytes;

  private WireGuardKey(byte[] bytes) {
    this.bytes = bytes;
  }

  public static WireGuardKey of(byte[] bytes) {
    if (bytes == null || bytes.length != LENGTH) {
      throw new InvalidKeyException(
          "a WireGuard key is exactly " + LENGTH + " bytes, got " + (bytes == null ? "none" : bytes.length));
    }
    return new WireGuardKey(bytes.clone());
  }

  /** Parses the base64 form used by {@code wg} and wg-quick files (44 characters, one '=' pad). */
  public static WireGuardKey fromBase64(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidKeyException("empty WireGuard key");
    }
    String trimmed = text.strip();
    if (trimmed.length() != 44 || trimmed.charAt(43) != '=') {
      throw new InvalidKeyException(
          "a WireGuard key is 44 characters of base64 ending in '=', got " + trimmed.length() + " characters");
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(trimmed);
    } catch (IllegalArgumentException e) {
      // The decoder's message quotes the offending character: not repeated here.
      throw new InvalidKeyException("WireGuard key is not valid base64");
    }
    WireGuardKey key = of(decoded);
    // The JDK ignores non-zero bits in the last character, wg rejects them; so do we, so that
    // each key has exactly one text form.
    if (!key.toBase64().equals(trimmed)) {
      throw new InvalidKeyException("WireGuard key is not in canonical base64 (non-zero padding bits)");
    }
    return key;
  }

  /** Parses the lower-case hex form used by the UAPI protocol. */
  public static WireGuardKey fromHex(String hex) {
    if (hex == null || hex.length() != 2 * LENGTH) {
      throw new InvalidKeyException("a hex WireGuard key is 64 characters");
    }
    try {
      return new WireGuardKey(HEX.parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException("WireGuard key is not valid hex");
    }
  }

  /** True when the text parses as a WireGuard key; for validation messages. */
  public static boolean isValidBase64(String text) {
    try {
      fromBase64(text);
      return true;
    } catch (InvalidKeyException e) {
      return false;
    }
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  public String toBase64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public String toHex() {
    return HEX.formatHex(bytes);
  }

  /** True when all 32 bytes are zero: UAPI reports an unset key this way. */
  public boolean isZero() {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** The order of the keys' hex form (their bytes compared unsigned), without making the text. */
  @Override
  public int compareTo(WireGuardKey other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WireGuardKey other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Deliberately not the key: see the class comment. */
  @Override
  public String toString() {
    return "WireGuardKey[" + LENGTH + " bytes]";
  }
}
