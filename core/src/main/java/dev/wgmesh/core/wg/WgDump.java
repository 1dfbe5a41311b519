package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses {@code wg show <iface> dump}: tab-separated, one line for the interface
 * (private-key public-key listen-port fwmark), then one per peer (public-key preshared-key
 * endpoint allowed-ips latest-handshake rx tx persistent-keepalive). "(none)" marks an absent
 * key, endpoint or AllowedIPs, "off" an absent fwmark or keepalive, 0 a handshake that never
 * happened. The dump holds the private and preshared keys, so no message here quotes a field.
 * Peers come in public-key order, as from {@link UapiProtocol}.
 */
public final class WgDump {
  private static final String NONE = "(none)";
  private static final String OFF = "off";

  private WgDump() {}

  public static DeviceState parse(String deviceName, String dump) throws IOException {
    List<String> lines = new ArrayList<>(List.of(dump.split("\n")));
    lines.removeIf(String::isBlank);
    if (lines.isEmpty()) {
      throw new IOException("`wg show " + deviceName + " dump` printed nothing");
    }
    Fields device = new Fields(deviceName, 1, lines.get(0), 4, "private-key public-key listen-port fwmark");
    List<PeerState> peers = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      peers.add(parsePeer(new Fields(deviceName, i + 1, lines.get(i), 8,
          "public-key preshared-key endpoint allowed-ips latest-handshake rx tx persistent-keepalive")));
    }
    return new DeviceState(deviceName, device.optionalKey(0, "private key"), device.optionalKey(1, "public key"),
        (int) device.number(2, "listen port", 0, 65535), device.fwmark(3), UapiProtocol.inKeyOrder(peers));
  }

  private static PeerState parsePeer(Fields f) throws IOException {
    WireGuardKey publicKey = f.optionalKey(0, "public key")
        .orElseThrow(() -> f.malformed("a peer without a public key"));
    // Field 1, the preshared key, is a secret: only whether it is set is kept, and it is not validated.
    boolean presharedKey = !f.get(1).equals(NONE);
    Optional<InetSocketAddress> endpoint = f.endpoint(2);
    List<IpPrefix> allowedIps = f.allowedIps(3);
    long handshake = f.number(4, "latest handshake", 0, Instant.MAX.getEpochSecond());
    long rx = f.number(5, "rx bytes", 0, Long.MAX_VALUE);
    long tx = f.number(6, "tx bytes", 0, Long.MAX_VALUE);
    int keepalive = f.get(7).equals(OFF) ? 0 : (int) f.number(7, "persistent keepalive", 0, 65535);
    return new PeerState(publicKey, endpoint, allowedIps,
        handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(handshake)), rx, tx, keepalive,
        presharedKey);
  }

  /** The tab-separated fields of one line, with typed accessors that report the line number. */
  private static final class Fields {
    private final String deviceName;
    private final int lineNumber;
    private final String[] values;

    Fields(String deviceName, int lineNumber, String line, int expected, String layout) throws IOException {
      this.deviceName = deviceName;
      this.lineNumber = lineNumber;
      this.values = line.split("\t", -1);
      if (values.length != expected) {
        throw malformed("expected " + expected + " tab-separated fields (" + layout + "), got " + values.length);
      }
    }

    String get(int index) {
      return values[index].strip();
    }

    Optional<WireGuardKey> optionalKey(int index, String what) throws IOException {
      if (get(index).equals(NONE)) {
        return Optional.empty();
      }
      try {
        return Optional.of(WireGuardKey.fromBase64(get(index)));
      } catch (InvalidKeyException e) {
        throw malformed(what + " is not a base64 WireGuard key");
      }
    }

    long number(int index, String what, long min, long max) throws IOException {
      long n;
      try {
        n = Long.parseLong(get(index));
      } catch (NumberFormatException e) {
        throw malformed(what + " '" + get(index) + "' is not a number");
      }
      if (n < min || n > max) {
        throw malformed(what + " " + n + " is outside " + min + ".." + max);
      }
      return n;
    }

    /** wg prints a set fwmark in hex ("0x1234") and an unset one as "off". */
    int fwmark(int index) throws IOException {
      String text = get(index);
      if (text.equals(OFF)) {
        return 0;
      }
      try {
        long mark = text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
        if (mark < 0 || mark > 0xffffffffL) {
          throw malformed("fwmark " + text + " is outside 32 bits");
        }
        return (int) mark;
      } catch (NumberFormatException e) {
        throw malformed("fwmark '" + text + "' is not a number");
      }
    }

    Optional<InetSocketAddress> endpoint(int index) throws IOException {
      if (get(index).equals(NONE)) {
        return Optional.empty();
      }
      try {
        return Optional.of(Endpoints.parse(get(index)));
      } catch (IllegalArgumentException e) {
        throw malformed("endpoint: " + e.getMessage());
      }
    }

    List<IpPrefix> allowedIps(int index) throws IOException {
      List<IpPrefix> prefixes = new ArrayList<>();
      if (get(index).equals(NONE)) {
        return prefixes;
      }
      for (String cidr : get(index).split(",")) {
        try {
          prefixes.add(IpPrefix.parse(cidr));
        } catch (IllegalArgumentException e) {
          throw malformed("allowed ips: " + e.getMessage());
        }
      }
      return prefixes;
    }

    IOException malformed(String what) {
      return new IOException("malformed `wg show " + deviceName + " dump` output, line " + lineNumber + ": " + what);
    }
  }
}
