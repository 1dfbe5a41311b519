package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
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
  private static final String ERRNO = "errno=";
  private static final byte[] ERRNO_BYTES = ERRNO.getBytes(ISO_8859_1);

  private UapiProtocol() {}

  /** Parses the reply to {@link #GET_REQUEST}; throws {@link UapiErrorException} when errno is not 0. */
  public static DeviceState parseGet(String deviceName, String reply) throws IOException {
    byte[] bytes = reply == null ? new byte[0] : reply.getBytes(ISO_8859_1);
    return parseGet(deviceName, bytes, bytes.length, Optional.empty()).state();
  }

  /**
   * Parses the reply to {@link #GET_REQUEST}, {@code reply[0, length)}, reusing what the previous
   * parse of the same device built: a peer whose lines are the same bytes as last time is that same
   * {@link PeerState} object, and a reply that differs from the last one only in the order of its
   * peers (wireguard-go lists them in Go map order) gives back the previous parse itself, the same
   * {@link DeviceState} object. Only the lines of peers that changed become strings, so a device
   * read every second whose peers mostly do not change costs little more than the read.
   *
   * @param previous the last parse of this device's replies; empty for the first
   * @throws UapiErrorException when errno is not 0
   */
  public static ParsedGet parseGet(String deviceName, byte[] reply, int length, Optional<ParsedGet> previous) throws IOException {
    String operation = "UAPI get on " + deviceName;
    int end = endOfLines(operation, reply, length);
    checkErrno(operation, lastLine(reply, end));
    return new GetReplyParser(deviceName, reply, previous.filter(p -> p.state.name().equals(deviceName)).orElse(null)).parse(end);
  }

  /**
   * A parsed get reply, kept for the next parse ({@link #parseGet(String, byte[], int, Optional)}):
   * the device's own lines and each peer's lines as they were, with what they gave.
   */
  public static final class ParsedGet {
    /** The lines before the first peer. */
    private final byte[] header;
    /** The first 16 hex digits of each peer's key, in order, for a binary search (no boxed keys, no map per read). */
    private final long[] ids;
    /** The peers' lines, in the order of {@link #ids}. */
    private final Section[] sections;
    private final DeviceState state;

    private ParsedGet(byte[] header, long[] ids, Section[] sections, DeviceState state) {
      this.header = header;
      this.ids = ids;
      this.sections = sections;
      this.state = state;
    }

    public DeviceState state() {
      return state;
    }
  }

  /** One peer's lines and what they gave. */
  private record Section(long id, byte[] text, PeerState state) {}

  /** Checks the reply to a {@code set=1} request; throws {@link UapiErrorException} when errno is not 0. */
  public static void checkSetReply(String deviceName, String reply) throws IOException {
    byte[] bytes = reply == null ? new byte[0] : reply.getBytes(ISO_8859_1);
    checkSetReply(deviceName, bytes, bytes.length);
  }

  /** Checks the reply to a {@code set=1} request, {@code reply[0, length)}; throws {@link UapiErrorException} when errno is not 0. */
  public static void checkSetReply(String deviceName, byte[] reply, int length) throws IOException {
    String operation = "UAPI set on " + deviceName;
    checkErrno(operation, lastLine(reply, endOfLines(operation, reply, length)));
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
   * True once the first {@code length} bytes of {@code received} hold a whole reply: an {@code
   * errno=} line followed by the empty line. wireguard-go keeps the connection open after
   * replying, so EOF cannot mark the end.
   */
  public static boolean isCompleteReply(byte[] received, int length) {
    if (length < 2 || received[length - 1] != '\n' || received[length - 2] != '\n') {
      return false;
    }
    int lastLineEnd = length - 2;
    int lastLineStart = lastLineEnd;
    while (lastLineStart > 0 && received[lastLineStart - 1] != '\n') {
      lastLineStart--;
    }
    int n = ERRNO_BYTES.length;
    return lastLineEnd - lastLineStart >= n && Arrays.equals(received, lastLineStart, lastLineStart + n, ERRNO_BYTES, 0, n);
  }

  /**
   * Peers sorted by public key. wireguard-go lists them in Go map order, which changes from one
   * read to the next; sorting makes two reads of an unchanged device equal.
   */
  static List<PeerState> inKeyOrder(List<PeerState> peers) {
    // By the keys' bytes, which order as their hex does, without making the text: the registry
    // reads a device of thousands of peers every second.
    return peers.stream().sorted(Comparator.comparing(PeerState::publicKey)).toList();
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

  /**
   * Where the reply's lines end: the index of the newline before the terminating empty line (or
   * of the reply's end when it has none). The lines are walked in place, never split into strings:
   * a device of 1000 peers answers some 10,000 lines, and the agent and the registry read it every
   * second.
   */
  private static int endOfLines(String operation, byte[] reply, int length) throws IOException {
    if (length == 0) {
      throw new IOException(operation + ": empty reply, the daemon closed the connection without answering");
    }
    if (reply[0] == '\n') {
      return 0;
    }
    int emptyLine = indexOf(reply, EMPTY_LINE, 0, length);
    if (emptyLine >= 0) {
      return emptyLine;
    }
    return reply[length - 1] == '\n' ? length - 1 : length;
  }

  private static final byte[] EMPTY_LINE = {'\n', '\n'};

  /** The last line before {@code end}, or "" when there is none. */
  private static String lastLine(byte[] reply, int end) {
    return end == 0 ? "" : text(reply, lastIndexOf(reply, (byte) '\n', end - 1) + 1, end);
  }

  /** reply[from, to) as text (UAPI is ASCII; ISO-8859-1 maps each byte to one character). */
  private static String text(byte[] reply, int from, int to) {
    return new String(reply, from, to - from, ISO_8859_1);
  }

  /** The first {@code c} in reply[from, to), or -1. */
  private static int indexOf(byte[] reply, byte c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (reply[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /** The first {@code bytes} within reply[from, to), or -1. */
  private static int indexOf(byte[] reply, byte[] bytes, int from, int to) {
    for (int i = indexOf(reply, bytes[0], from, to); i >= 0 && i + bytes.length <= to; i = indexOf(reply, bytes[0], i + 1, to)) {
      if (Arrays.equals(reply, i, i + bytes.length, bytes, 0, bytes.length)) {
        return i;
      }
    }
    return -1;
  }

  /** The last {@code c} at or before {@code at}, or -1. */
  private static int lastIndexOf(byte[] reply, byte c, int at) {
    for (int i = at; i >= 0; i--) {
      if (reply[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static void checkErrno(String operation, String last) throws IOException {
    if (!last.startsWith(ERRNO)) {
      throw new IOException(operation + ": malformed reply, it does not end with an errno line (truncated?)");
    }
    int errno;
    try {
      errno = Integer.parseInt(last.substring(ERRNO.length()));
    } catch (NumberFormatException e) {
      throw new IOException(operation + ": malformed reply, errno is not a number: '" + last + "'");
    }
    if (errno != 0) {
      throw new UapiErrorException(operation, errno);
    }
  }

  /** The keys of a get reply that carry something we model; other lines are skipped. */
  private static final String[] KNOWN_KEYS = {
    "private_key", "listen_port", "fwmark", "public_key", "endpoint", "allowed_ip", "last_handshake_time_sec",
    "last_handshake_time_nsec", "rx_bytes", "tx_bytes", "persistent_keepalive_interval", "preshared_key",
    "protocol_version", "errno",
  };
  private static final byte[][] KNOWN_KEY_BYTES = Arrays.stream(KNOWN_KEYS).map(k -> k.getBytes(ISO_8859_1)).toArray(byte[][]::new);

  /**
   * One pass over the key=value lines of a get reply, read in place; peers begin at each
   * public_key line. Only the values kept as objects (keys, endpoints, prefixes) become strings, and
   * only in the lines of peers that changed since the previous parse.
   */
  private static final class GetReplyParser {
    private static final byte[] PEER_START = "\npublic_key=".getBytes(ISO_8859_1);
    private final String deviceName;
    private final byte[] reply;
    /** The previous parse of this device, or null. */
    private final ParsedGet previous;
    private final List<Section> sections = new ArrayList<>();
    private int headerEnd = -1;
    private boolean reusedAll = true;
    /** The peer being parsed: where its lines begin and end, and its key's first 16 hex digits. */
    private int peerStart;
    private int peerEnd;
    private long peerId;
    private Optional<WireGuardKey> privateKey = Optional.empty();
    private int listenPort;
    private int fwmark;
    private final List<PeerState> peers = new ArrayList<>();
    private PeerBuilder peer;
    private int lineNumber;

    GetReplyParser(String deviceName, byte[] reply, ParsedGet previous) {
      this.deviceName = deviceName;
      this.reply = reply;
      this.previous = previous;
    }

    /** Parses the lines before index {@code end} of the reply. */
    ParsedGet parse(int end) throws IOException {
      int errnoLine = end == 0 ? 0 : lastIndexOf(reply, (byte) '\n', end - 1) + 1; // the last peer's lines end there
      int start = 0;
      while (start < end) {
        int lineEnd = indexOf(reply, (byte) '\n', start, end);
        if (lineEnd < 0) {
          lineEnd = end;
        }
        lineNumber++;
        int eq = indexOf(reply, (byte) '=', start, lineEnd);
        if (eq <= start) {
          // The line itself is not echoed: it could be part of a key.
          throw malformed("expected key=value");
        }
        String key = knownKey(start, eq);
        if ("public_key".equals(key)) {
          finishPeer();
          if (headerEnd < 0) {
            headerEnd = start;
          }
          int next = indexOf(reply, PEER_START, lineEnd, errnoLine);
          int sectionEnd = next < 0 ? Math.max(errnoLine, lineEnd) : next + 1;
          if (reuse(start, eq + 1, sectionEnd)) {
            lineNumber += countLines(lineEnd + 1, sectionEnd);
            start = sectionEnd;
            continue;
          }
          peerStart = start;
          peerEnd = sectionEnd;
        }
        if (key != null) {
          accept(key, eq + 1, lineEnd);
        } // else a key newer daemons add, which carries nothing we model
        start = lineEnd + 1;
      }
      finishPeer();
      if (headerEnd < 0) {
        headerEnd = end;
      }
      boolean sameHeader = previous != null && Arrays.equals(reply, 0, headerEnd, previous.header, 0, previous.header.length);
      if (sameHeader && reusedAll && sections.size() == previous.sections.length) {
        return previous; // the same peers, each as it was, in another order: the same device
      }
      sections.sort(Comparator.comparingLong(Section::id));
      long[] ids = new long[sections.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = sections.get(i).id();
      }
      Optional<WireGuardKey> publicKey = privateKey.map(KeyPair::publicKeyOf);
      return new ParsedGet(sameHeader ? previous.header : Arrays.copyOf(reply, headerEnd), ids, sections.toArray(Section[]::new),
          new DeviceState(deviceName, privateKey, publicKey, listenPort, fwmark, inKeyOrder(peers)));
    }

    /**
     * When the peer whose lines are reply[start, end) (its key's hex from {@code keyFrom}) had the
     * same lines in the previous reply, takes the state they gave then and returns true.
     */
    private boolean reuse(int start, int keyFrom, int end) {
      peerId = 0;
      for (int i = keyFrom; i < keyFrom + 16; i++) {
        if (i >= end || !HexFormat.isHexDigit(reply[i])) {
          reusedAll = false;
          return false; // not a key: parsing it says what is wrong
        }
        peerId = peerId << 4 | HexFormat.fromHexDigit(reply[i]);
      }
      Section before = previous == null ? null : sameLines(start, end);
      if (before == null) {
        reusedAll = false;
        return false;
      }
      peers.add(before.state());
      sections.add(before);
      return true;
    }

    /** The previous parse's section of the peer {@link #peerId} whose lines are reply[start, end), or null. */
    private Section sameLines(int start, int end) {
      int at = Arrays.binarySearch(previous.ids, peerId);
      if (at < 0) {
        return null;
      }
      while (at > 0 && previous.ids[at - 1] == peerId) {
        at--; // keys that begin alike: look at each
      }
      for (; at < previous.ids.length && previous.ids[at] == peerId; at++) {
        byte[] text = previous.sections[at].text();
        if (Arrays.equals(reply, start, end, text, 0, text.length)) {
          return previous.sections[at];
        }
      }
      return null;
    }

    private int countLines(int from, int to) {
      int n = 0;
      for (int i = indexOf(reply, (byte) '\n', from, to); i >= 0; i = indexOf(reply, (byte) '\n', i + 1, to)) {
        n++;
      }
      return n;
    }

    /** The key of the line whose key text is reply[start, eq), from {@link #KNOWN_KEYS}, or null. */
    private String knownKey(int start, int eq) {
      for (int k = 0; k < KNOWN_KEYS.length; k++) {
        if (KNOWN_KEY_BYTES[k].length == eq - start && Arrays.equals(reply, start, eq, KNOWN_KEY_BYTES[k], 0, eq - start)) {
          return KNOWN_KEYS[k];
        }
      }
      return null;
    }

    /** Takes the value reply[from, to) of {@code key}. */
    private void accept(String key, int from, int to) throws IOException {
      switch (key) {
        case "private_key" -> {
          WireGuardKey k = hexKey(key, from, to);
          privateKey = k.isZero() ? Optional.empty() : Optional.of(k);
        }
        case "listen_port" -> listenPort = (int) number(key, from, to, 0, 65535);
        case "fwmark" -> fwmark = (int) number(key, from, to, 0, 0xffffffffL);
        case "public_key" -> peer = new PeerBuilder(hexKey(key, from, to));
        case "endpoint" -> currentPeer(key).endpoint = Optional.of(endpoint(text(reply, from, to)));
        case "allowed_ip" -> currentPeer(key).allowedIps.add(prefix(text(reply, from, to)));
        case "last_handshake_time_sec" ->
            currentPeer(key).handshakeSeconds = number(key, from, to, 0, Instant.MAX.getEpochSecond());
        case "last_handshake_time_nsec" -> currentPeer(key).handshakeNanos = number(key, from, to, 0, 999_999_999);
        case "rx_bytes" -> currentPeer(key).rxBytes = number(key, from, to, 0, Long.MAX_VALUE);
        case "tx_bytes" -> currentPeer(key).txBytes = number(key, from, to, 0, Long.MAX_VALUE);
        case "persistent_keepalive_interval" -> currentPeer(key).keepalive = (int) number(key, from, to, 0, 65535);
        // A secret: only whether it is set is kept, and the value is neither parsed nor echoed.
        // All zeros is how UAPI says "none"; anything else counts as set.
        case "preshared_key" -> currentPeer(key).presharedKey = !isAllZeros(from, to);
        case "protocol_version" -> {
          if (number(key, from, to, 0, Integer.MAX_VALUE) != 1) {
            throw malformed("protocol_version " + text(reply, from, to) + " is not supported (only 1)");
          }
        }
        default -> {
          // errno: checked before parsing; it ends the reply.
        }
      }
    }

    private void finishPeer() {
      if (peer != null) {
        PeerState state = peer.build();
        peers.add(state);
        sections.add(new Section(peerId, Arrays.copyOfRange(reply, peerStart, peerEnd), state));
        peer = null;
      }
    }

    private boolean isAllZeros(int from, int to) {
      for (int i = from; i < to; i++) {
        if (reply[i] != '0') {
          return false;
        }
      }
      return to > from;
    }

    private PeerBuilder currentPeer(String key) throws IOException {
      if (peer == null) {
        throw malformed(key + " before any public_key");
      }
      return peer;
    }

    private WireGuardKey hexKey(String key, int from, int to) throws IOException {
      try {
        return WireGuardKey.fromHex(text(reply, from, to));
      } catch (InvalidKeyException e) {
        throw malformed(key + " is not a 64-character hex key");
      }
    }

    private long number(String key, int from, int to, long min, long max) throws IOException {
      long n;
      try {
        n = Long.parseLong(text(reply, from, to)); // a string only for a peer that changed
      } catch (NumberFormatException e) {
        throw malformed(key + " '" + text(reply, from, to) + "' is not a number");
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
