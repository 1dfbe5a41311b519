package dev.wgmesh.core.wg;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * The cross-platform WireGuard UAPI text protocol (https://www.wireguard.com/xplatform/), as pure
 * functions: no I/O here, so every case is unit-testable.
 *
 * <p>A request is {@code get=1} or {@code set=1} followed by key=value lines and an empty line; a
 * reply is key=value lines ending with {@code errno=N} and an empty line. Keys are lower-case
 * hex. Error messages name the line and the field, never the value of a key field. Parsed peers
 * come in public-key order (see {@link #inKeyOrder}).
 */
public final class UapiProtocol {
  public static final String GET_REQUEST = "get=1\n\n";

  private UapiProtocol() {}

  /** Parses the reply to {@link #GET_REQUEST}; throws {@link UapiErrorException} when errno is not 0. */
  public static DeviceState parseGet(String deviceName, String reply) throws IOException {
    String operation = "UAPI get on " + deviceName;
    String[] lines = replyLines(operation, reply);
    checkErrno(operation, lines);
    return new GetReplyParser(deviceName).parse(lines);
  }

  /** Checks the reply to a {@code set=1} request; throws {@link UapiErrorException} when errno is not 0. */
  public static void checkSetReply(String deviceName, String reply) throws IOException {
    String operation = "UAPI set on " + deviceName;
    checkErrno(operation, replyLines(operation, reply));
  }

  /** The {@code set=1} request for a change, terminated by the empty line. */
  public static String formatSet(DeviceChange change) {
    StringBuilder out = new StringBuilder("set=1\n");
    change.privateKey().ifPresent(key -> line(out, "private_key", key.toHex()));
    change.listenPort().ifPresent(port -> line(out, "listen_port", inRange("listen port", port, 0, 65535)));
    if (change.replacePeers()) {
      line(out, "replace_peers", "true");
    }
    for (PeerChange peer : change.peers()) {
      appendPeer(out, peer);
    }
    return out.append('\n').toString();
  }

  /**
   * True once {@code received} holds a whole reply: an {@code errno=} line followed by the empty
   * line. wireguard-go keeps the connection open after replying, so EOF cannot mark the end.
   */
  public static boolean isCompleteReply(CharSequence received) {
    int n = received.length();
    if (n < 2 || received.charAt(n - 1) != '\n' || received.charAt(n - 2) != '\n') {
      return false;
    }
    int lastLineEnd = n - 2;
    int lastLineStart = lastLineEnd;
    while (lastLineStart > 0 && received.charAt(lastLineStart - 1) != '\n') {
      lastLineStart--;
    }
    return received.subSequence(lastLineStart, lastLineEnd).toString().startsWith("errno=");
  }

  /**
   * Peers sorted by public key. wireguard-go lists them in Go map order, which changes from one
   * read to the next; sorting makes two reads of an unchanged device equal.
   */
  static List<PeerState> inKeyOrder(List<PeerState> peers) {
    // Each key's hex once, not once per comparison: the registry reads a device of thousands of
    // peers every second.
    return peers.stream().map(peer -> Map.entry(peer.publicKey().toHex(), peer))
        .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).toList();
  }

  private static void appendPeer(StringBuilder out, PeerChange peer) {
    if (peer.publicKey() == null) {
      throw new IllegalArgumentException("a peer change needs the peer's public key");
    }
    line(out, "public_key", peer.publicKey().toHex());
    if (peer.remove()) {
      line(out, "remove", "true");
      return;
    }
    // update_only must directly follow public_key: wireguard-go creates the peer on public_key
    // and undoes that creation when update_only comes next.
    if (peer.updateOnly()) {
      line(out, "update_only", "true");
    }
    peer.endpoint().ifPresent(endpoint -> line(out, "endpoint", endpointText(endpoint)));
    peer.persistentKeepalive()
        .ifPresent(seconds -> line(out, "persistent_keepalive_interval", inRange("keepalive", seconds, 0, 65535)));
    peer.allowedIps().ifPresent(prefixes -> {
      line(out, "replace_allowed_ips", "true");
      prefixes.forEach(prefix -> line(out, "allowed_ip", prefix.toString()));
    });
  }

  /** Also used for {@code wg set}: both need a literal address. */
  static String endpointText(InetSocketAddress endpoint) {
    if (endpoint.isUnresolved()) {
      throw new IllegalArgumentException(
          "endpoint " + endpoint.getHostString() + " is a name, not an address: resolve it before setting it");
    }
    return Endpoints.format(endpoint);
  }

  static String inRange(String what, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(what + " " + value + " is outside " + min + ".." + max);
    }
    return Integer.toString(value);
  }

  private static void line(StringBuilder out, String key, String value) {
    out.append(key).append('=').append(value).append('\n');
  }

  /** The reply's lines up to the terminating empty line. */
  private static String[] replyLines(String operation, String reply) throws IOException {
    if (reply == null || reply.isEmpty()) {
      throw new IOException(operation + ": empty reply, the daemon closed the connection without answering");
    }
    List<String> lines = new ArrayList<>();
    for (String line : reply.split("\n", -1)) {
      if (line.isEmpty()) {
        break;
      }
      lines.add(line);
    }
    return lines.toArray(String[]::new);
  }

  private static void checkErrno(String operation, String[] lines) throws IOException {
    String last = lines.length == 0 ? "" : lines[lines.length - 1];
    if (!last.startsWith("errno=")) {
      throw new IOException(operation + ": malformed reply, it does not end with an errno line (truncated?)");
    }
    int errno;
    try {
      errno = Integer.parseInt(last.substring("errno=".length()));
    } catch (NumberFormatException e) {
      throw new IOException(operation + ": malformed reply, errno is not a number: '" + last + "'");
    }
    if (errno != 0) {
      throw new UapiErrorException(operation, errno);
    }
  }

  /** One pass over the key=value lines of a get reply; peers begin at each public_key line. */
  private static final class GetReplyParser {
    private final String deviceName;
    private Optional<WireGuardKey> privateKey = Optional.empty();
    private int listenPort;
    private int fwmark;
    private final List<PeerState> peers = new ArrayList<>();
    private PeerBuilder peer;
    private int lineNumber;

    GetReplyParser(String deviceName) {
      this.deviceName = deviceName;
    }

    DeviceState parse(String[] lines) throws IOException {
      for (String line : lines) {
        lineNumber++;
        int eq = line.indexOf('=');
        if (eq <= 0) {
          // The line itself is not echoed: it could be part of a key.
          throw malformed("expected key=value");
        }
        accept(line.substring(0, eq), line.substring(eq + 1));
      }
      finishPeer();
      Optional<WireGuardKey> publicKey = privateKey.map(KeyPair::publicKeyOf);
      return new DeviceState(deviceName, privateKey, publicKey, listenPort, fwmark, inKeyOrder(peers));
    }

    private void accept(String key, String value) throws IOException {
      switch (key) {
        case "private_key" -> {
          WireGuardKey k = hexKey(key, value);
          privateKey = k.isZero() ? Optional.empty() : Optional.of(k);
        }
        case "listen_port" -> listenPort = (int) number(key, value, 0, 65535);
        case "fwmark" -> fwmark = (int) number(key, value, 0, 0xffffffffL);
        case "public_key" -> {
          finishPeer();
          peer = new PeerBuilder(hexKey(key, value));
        }
        case "endpoint" -> currentPeer(key).endpoint = Optional.of(endpoint(value));
        case "allowed_ip" -> currentPeer(key).allowedIps.add(prefix(value));
        case "last_handshake_time_sec" ->
            currentPeer(key).handshakeSeconds = number(key, value, 0, Instant.MAX.getEpochSecond());
        case "last_handshake_time_nsec" -> currentPeer(key).handshakeNanos = number(key, value, 0, 999_999_999);
        case "rx_bytes" -> currentPeer(key).rxBytes = number(key, value, 0, Long.MAX_VALUE);
        case "tx_bytes" -> currentPeer(key).txBytes = number(key, value, 0, Long.MAX_VALUE);
        case "persistent_keepalive_interval" -> currentPeer(key).keepalive = (int) number(key, value, 0, 65535);
        // A secret: only whether it is set is kept, and the value is neither parsed nor echoed.
        // All zeros is how UAPI says "none"; anything else counts as set.
        case "preshared_key" -> currentPeer(key).presharedKey = !isAllZeros(value);
        case "protocol_version" -> {
          if (number(key, value, 0, Integer.MAX_VALUE) != 1) {
            throw malformed("protocol_version " + value + " is not supported (only 1)");
          }
        }
        case "errno" -> {
          // Checked before parsing; it ends the reply.
        }
        default -> {
          // Unknown keys (fields newer daemons add) carry nothing we model.
        }
      }
    }

    private void finishPeer() {
      if (peer != null) {
        peers.add(peer.build());
        peer = null;
      }
    }

    private static boolean isAllZeros(String value) {
      return !value.isEmpty() && value.chars().allMatch(c -> c == '0');
    }

    private PeerBuilder currentPeer(String key) throws IOException {
      if (peer == null) {
        throw malformed(key + " before any public_key");
      }
      return peer;
    }

    private WireGuardKey hexKey(String key, String value) throws IOException {
      try {
        return WireGuardKey.fromHex(value);
      } catch (InvalidKeyException e) {
        throw malformed(key + " is not a 64-character hex key");
      }
    }

    private long number(String key, String value, long min, long max) throws IOException {
      long n;
      try {
        n = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw malformed(key + " '" + value + "' is not a number");
      }
      if (n < min || n > max) {
        throw malformed(key + " " + n + " is outside " + min + ".." + max);
      }
      return n;
    }

    private InetSocketAddress endpoint(String value) throws IOException {
      try {
        return Endpoints.parse(value);
      } catch (IllegalArgumentException e) {
        throw malformed("endpoint: " + e.getMessage());
      }
    }

    private IpPrefix prefix(String value) throws IOException {
      try {
        return IpPrefix.parse(value);
      } catch (IllegalArgumentException e) {
        throw malformed("allowed_ip: " + e.getMessage());
      }
    }

    private IOException malformed(String what) {
      return new IOException("malformed UAPI reply from " + deviceName + ", line " + lineNumber + ": " + what);
    }
  }

  private static final class PeerBuilder {
    final WireGuardKey publicKey;
    Optional<InetSocketAddress> endpoint = Optional.empty();
    final List<IpPrefix> allowedIps = new ArrayList<>();
    long handshakeSeconds;
    long handshakeNanos;
    long rxBytes;
    long txBytes;
    int keepalive;
    boolean presharedKey;

    PeerBuilder(WireGuardKey publicKey) {
      this.publicKey = publicKey;
    }

    PeerState build() {
      // 0/0 is how UAPI says "never".
      Optional<Instant> handshake = handshakeSeconds == 0 && handshakeNanos == 0
          ? Optional.empty()
          : Optional.of(Instant.ofEpochSecond(handshakeSeconds, handshakeNanos));
      return new PeerState(publicKey, endpoint, allowedIps, handshake, rxBytes, txBytes, keepalive, presharedKey);
    }
  }
}
