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

  public static String format(InetSocketAddress endpoint) {
    String host = IpPrefix.hostText(endpoint.getAddress());
    return (endpoint.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + endpoint.getPort();
  }
}
