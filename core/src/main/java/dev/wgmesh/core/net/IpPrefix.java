package dev.wgmesh.core.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** An IP network in CIDR notation ("10.0.0.0/24", "fd00::1/128"), validated on parse. */
public record IpPrefix(InetAddress address, int length) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+(%[\\w.-]+)?");

  public IpPrefix {
    int max = address instanceof Inet4Address ? 32 : 128;
    if (length < 0 || length > max) {
      throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + max);
    }
  }

  public static IpPrefix parse(String cidr) {
    if (cidr == null || cidr.isBlank()) {
      throw new IllegalArgumentException("empty CIDR");
    }
    String text = cidr.strip();
    int slash = text.indexOf('/');
    String addressText = slash < 0 ? text : text.substring(0, slash);
    InetAddress address = parseAddress(addressText);
    int max = address instanceof Inet4Address ? 32 : 128;
    int length;
    if (slash < 0) {
      length = max;
    } else {
      try {
        length = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + cidr + "' is not a CIDR: bad prefix length");
      }
    }
    if (length < 0 || length > max) {
      throw new IllegalArgumentException("'" + cidr + "' is not a CIDR: prefix length outside 0.." + max);
    }
    return new IpPrefix(address, length);
  }

  /**
   * Parses a literal IPv4 or IPv6 address without ever doing a DNS lookup. (The operator parses
   * every peer's addresses on each plan: the patterns are compiled once.)
   */
  public static InetAddress parseAddress(String text) {
    String t = text.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    InetAddress plain = plainIpv4(t);
    if (plain != null) {
      return plain;
    }
    boolean v4 = IPV4.matcher(t).matches();
    boolean v6 = !v4 && t.contains(":") && IPV6.matcher(t).matches();
    if (!v4 && !v6) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
    if (v4) {
      for (String part : t.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
      }
    }
    try {
      return InetAddress.getByName(t);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
  }

  /**
   * The common case without a regular expression or the JDK's literal parser: four decimal octets
   * of 0..255 without leading zeros ("10.1.2.3"). The registry parses every peer's endpoint and
   * AllowedIPs on each read of the device. Null for anything else, which the general path judges
   * (and rejects with its message, or parses as it always did).
   */
  private static InetAddress plainIpv4(String t) {
    byte[] octets = new byte[4];
    int octet = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c >= '0' && c <= '9') {
        if (digits == 3 || (digits == 1 && value == 0)) {
          return null; // four digits, or a leading zero
        }
        value = value * 10 + (c - '0');
        digits++;
      } else if (c == '.' && digits > 0 && octet < 3 && value <= 255) {
        octets[octet++] = (byte) value;
        value = 0;
        digits = 0;
      } else {
        return null;
      }
    }
    if (octet != 3 || digits == 0 || value > 255) {
      return null;
    }
    octets[3] = (byte) value;
    try {
      return InetAddress.getByAddress(octets);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are an IPv4 address", e);
    }
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  /** The network address: host bits cleared. */
  public IpPrefix network() {
    byte[] bytes = address.getAddress();
    for (int bit = length; bit < bytes.length * 8; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
    }
    try {
      return new IpPrefix(InetAddress.getByAddress(bytes), length);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean contains(InetAddress other) {
    if ((other instanceof Inet4Address) != isIpv4()) {
      return false;
    }
    byte[] a = address.getAddress();
    byte[] b = other.getAddress();
    for (int bit = 0; bit < length; bit++) {
      int mask = 0x80 >> (bit % 8);
      if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  public boolean overlaps(IpPrefix other) {
    return length <= other.length ? contains(other.address) : other.contains(address);
  }

  /**
   * The same address (its bytes, as {@link InetAddress#equals} compares them without copying them:
   * an IPv6 scope does not count) and length. Sets of prefixes are compared on every pass over a
   * device.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof IpPrefix p && p.length == length && p.address.equals(address);
  }

  @Override
  public int hashCode() {
    return 31 * address.hashCode() + length;
  }

  @Override
  public String toString() {
    String host = address.getHostAddress();
    if (address instanceof Inet6Address) {
      host = compressV6(address.getAddress());
    }
    return host + "/" + length;
  }

  /** RFC 5952 text for IPv6 (the JDK prints the long form "fd00:0:0:0:0:0:0:1"). */
  public static String compressV6(byte[] a) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }

  /** Host text for any address: dotted quad, or RFC 5952 IPv6. */
  public static String hostText(InetAddress address) {
    return address instanceof Inet6Address ? compressV6(address.getAddress()) : address.getHostAddress();
  }
}
