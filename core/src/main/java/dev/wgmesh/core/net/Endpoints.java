package dev.wgmesh.core.net;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** Text form of UDP endpoints as WireGuard writes them: "192.0.2.1:51820", "[2001:db8::1]:51820". */
public final class Endpoints {
  private Endpoints() {}

  public static InetSocketAddress parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty endpoint");
    }
    String t = text.strip();
    int colon = t.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("'" + text + "' is not host:port");
    }
    String host = t.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException("'" + text + "': write IPv6 endpoints as [address]:port");
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no valid port");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("'" + text + "': port outside 0..65535");
    }
    return new InetSocketAddress(IpPrefix.parseAddress(host), port);
  }

  private static final java.util.regex.Pattern DIGITS_AND_DOTS = java.util.regex.Pattern.compile("[0-9.]+");
  private static final java.util.regex.Pattern HOST_NAME =
      java.util.regex.Pattern.compile("^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\\.?$");

  /**
   * Like {@link #parse} but also accepts a DNS name ("vpn.example.com:51820"), which is returned
   * unresolved: names are resolved where the endpoint is used, never while validating it.
   */
  public static InetSocketAddress parseHostOrAddress(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty endpoint");
    }
    String t = text.strip();
    int colon = t.lastIndexOf(':');
    String host = colon <= 0 ? "" : t.substring(0, colon);
    if (colon <= 0 || host.contains(":") || host.startsWith("[") || DIGITS_AND_DOTS.matcher(host).matches()) {
      return parse(t); // an IP literal (or garbage, which parse explains)
    }
    if (!HOST_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException("'" + text + "' is not host:port");
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no valid port");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("'" + text + "': port outside 1..65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  public static String format(InetSocketAddress endpoint) {
    if (endpoint.isUnresolved()) {
      return endpoint.getHostString() + ":" + endpoint.getPort();
    }
    String host = IpPrefix.hostText(endpoint.getAddress());
    return (endpoint.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + endpoint.getPort();
  }
}
