package dev.wgmesh.core.relay;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The one frame format of the registry relay. Frames travel only inside the WireGuard tunnel
 * between an agent and the registry (UDP to the registry's tunnel address, port
 * {@link #DEFAULT_PORT}), so WireGuard has already authenticated the sender; the relay checks
 * that {@code source} is the tunnel address the frame came from.
 *
 * <pre>
 *  0      2     3     4                    20                   36
 *  +------+-----+-----+--------------------+--------------------+-----------------+
 *  | "WM" | ver | typ | source (16 bytes)  | dest (16 bytes)    | payload ...     |
 *  +------+-----+-----+--------------------+--------------------+-----------------+
 * </pre>
 *
 * Addresses are tunnel addresses, IPv6 or IPv4-mapped IPv6 (::ffff:a.b.c.d). Types:
 * <ul>
 *   <li>{@code DATA}: payload is one WireGuard packet (ciphertext) for the destination's device.
 *   <li>{@code HELLO}: agent to registry, payload empty: "deliver my frames here" (sent periodically).
 *   <li>{@code PUNCH}: "I am punching towards you now, do the same" (payload empty).
 *   <li>{@code UNREACHABLE}: registry to agent: the destination has no relay registration.
 * </ul>
 */
public record RelayFrame(Type type, InetAddress source, InetAddress destination, byte[] payload) {
  public static final int DEFAULT_PORT = 51821;
  public static final int HEADER_LENGTH = 36;
  public static final int VERSION = 1;
  private static final byte MAGIC_0 = 'W';
  private static final byte MAGIC_1 = 'M';

  public enum Type {
    DATA(1),
    HELLO(2),
    PUNCH(3),
    UNREACHABLE(4);

    final int code;

    Type(int code) {
      this.code = code;
    }

    static Type of(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }

  /** A frame that cannot be decoded; the message says why (never echoing the payload). */
  public static final class MalformedFrameException extends Exception {
    public MalformedFrameException(String message) {
      super(message);
    }
  }

  public byte[] encode() {
    byte[] out = new byte[HEADER_LENGTH + payload.length];
    out[0] = MAGIC_0;
    out[1] = MAGIC_1;
    out[2] = VERSION;
    out[3] = (byte) type.code;
    System.arraycopy(to16(source), 0, out, 4, 16);
    System.arraycopy(to16(destination), 0, out, 20, 16);
    System.arraycopy(payload, 0, out, HEADER_LENGTH, payload.length);
    return out;
  }

  public static RelayFrame decode(byte[] data, int length) throws MalformedFrameException {
    RelayFrame header = decodeHeader(data, length);
    return new RelayFrame(header.type, header.source, header.destination, Arrays.copyOfRange(data, HEADER_LENGTH, length));
  }

  /**
   * Validates and reads the header only, leaving the payload out (empty): the registry's relay
   * forwards the bytes it received and never needs a copy of the ciphertext.
   */
  public static RelayFrame decodeHeader(byte[] data, int length) throws MalformedFrameException {
    if (length < HEADER_LENGTH) {
      throw new MalformedFrameException("frame of " + length + " bytes is shorter than the " + HEADER_LENGTH + "-byte header");
    }
    if (data[0] != MAGIC_0 || data[1] != MAGIC_1) {
      throw new MalformedFrameException("not a wgmesh relay frame (bad magic)");
    }
    if (data[2] != VERSION) {
      throw new MalformedFrameException("unsupported relay frame version " + (data[2] & 0xff));
    }
    Type type = Type.of(data[3] & 0xff);
    if (type == null) {
      throw new MalformedFrameException("unknown relay frame type " + (data[3] & 0xff));
    }
    return new RelayFrame(type, from16(data, 4), from16(data, 20), new byte[0]);
  }

  static byte[] to16(InetAddress address) {
    byte[] raw = address.getAddress();
    if (raw.length == 16) {
      return raw;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(raw, 0, mapped, 12, 4);
    return mapped;
  }

  static InetAddress from16(byte[] data, int offset) {
    try {
      // InetAddress.getByAddress turns ::ffff:a.b.c.d into an Inet4Address by itself.
      return InetAddress.getByAddress(Arrays.copyOfRange(data, offset, offset + 16));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are always an address", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelayFrame f && f.type == type && f.source.equals(source)
        && f.destination.equals(destination) && Arrays.equals(f.payload, payload);
  }

  @Override
  public int hashCode() {
    return (type.hashCode() * 31 + source.hashCode()) * 31 + destination.hashCode();
  }

  @Override
  public String toString() {
    return "RelayFrame[" + type + " " + source.getHostAddress() + " -> " + destination.getHostAddress() + ", " + payload.length + " bytes]";
  }
}
