package dev.wgmesh.core.dnssd;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.WireGuardKey;
import java.util.Locale;

/**
 * The DNS-SD naming wgsd uses for WireGuard peers (RFC 6763 over RFC 4648 base32).
 *
 * <p>DNS names are case-insensitive and base64 is not, so a public key appears in names as its
 * base32 form: 56 characters including the "====" padding. Output is lower case; input is
 * accepted in any case because resolvers may randomise it (0x20 encoding).
 */
public final class DnsSdNames {
  /** The DNS-SD service label pair under which peers are enumerated. */
  public static final String SERVICE = "_wireguard._udp";

  public static final int LABEL_LENGTH = 56;
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

  private DnsSdNames() {}

  /** The base32 label for a key: 56 lower-case characters ending in "====". */
  public static String label(WireGuardKey key) {
    byte[] data = key.bytes();
    StringBuilder out = new StringBuilder(LABEL_LENGTH);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
    }
    while (out.length() < LABEL_LENGTH) {
      out.append('=');
    }
    return out.toString();
  }

  /** Decodes a base32 label in any letter case back to the key. */
  public static WireGuardKey keyOf(String label) {
    if (label == null || label.length() != LABEL_LENGTH || !label.endsWith("====")) {
      throw new InvalidKeyException("a DNS-SD peer label is " + LABEL_LENGTH + " base32 characters ending in ====");
    }
    byte[] out = new byte[WireGuardKey.LENGTH];
    int buffer = 0;
    int bits = 0;
    int index = 0;
    for (int i = 0; i < LABEL_LENGTH - 4; i++) {
      int value = decodeChar(label.charAt(i));
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        if (index < out.length) {
          out[index++] = (byte) (buffer >> (bits - 8));
        }
        bits -= 8;
      }
    }
    // 52 characters carry 260 bits: the last 4 are padding bits that a canonical encoder leaves zero.
    if ((buffer & ((1 << bits) - 1)) != 0) {
      throw new InvalidKeyException("DNS-SD peer label has non-zero padding bits");
    }
    return WireGuardKey.of(out);
  }

  private static int decodeChar(char c) {
    if (c >= 'a' && c <= 'z') {
      return c - 'a';
    }
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= '2' && c <= '7') {
      return c - '2' + 26;
    }
    throw new InvalidKeyException("DNS-SD peer label has a character outside base32: '" + c + "'");
  }

  /** Normalises a zone to lower case with one trailing dot: "Example.COM" becomes "example.com.". */
  public static String zone(String zone) {
    String z = zone.strip().toLowerCase(Locale.ROOT);
    return z.endsWith(".") ? z : z + ".";
  }

  /** {@code _wireguard._udp.<zone>}: the PTR owner listing every served peer. */
  public static String serviceName(String zone) {
    return SERVICE + "." + zone(zone);
  }

  /** {@code <b32>._wireguard._udp.<zone>}: the instance name owning SRV and TXT. */
  public static String instanceName(WireGuardKey key, String zone) {
    return label(key) + "." + serviceName(zone);
  }

  /** {@code <b32>.<zone>}: the host name owning A/AAAA, the SRV target. */
  public static String hostName(WireGuardKey key, String zone) {
    return label(key) + "." + zone(zone);
  }
}
