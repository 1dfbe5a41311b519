package dev.wgmesh.lab;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny UDP echo and probe, run by the lab inside a namespace as {@code java -cp <lab> dev.wgmesh.lab.UdpTool}
 * (no dependencies, so any JDK runs it). It shows what a NAT does to a socket's address.
 *
 * <ul>
 *   <li>{@code echo <port>}: binds {@code [::]:port} (IPv4 and IPv6), prints {@code listening <port>},
 *       then for every datagram prints {@code recv <source> <payload>} and answers
 *       {@code seen <source>}, where source is the address and port it came from.
 *   <li>{@code probe <localPort> <timeoutMs> <target>...}: from one socket bound to localPort (0: any),
 *       sends to each target in turn (resending every 200 ms) until the target answers or the
 *       timeout passes; prints {@code reply <target> <seen>} or {@code noreply <target>}.
 * </ul>
 * Addresses are written {@code 198.51.100.11:7000} or {@code [2001:db8:100::11]:7000}.
 */
public final class UdpTool {
  private UdpTool() {}

  public static void main(String[] args) throws IOException {
    if (args.length >= 2 && args[0].equals("echo")) {
      echo(Integer.parseInt(args[1]));
    } else if (args.length >= 4 && args[0].equals("probe")) {
      List<InetSocketAddress> targets = new ArrayList<>();
      for (int i = 3; i < args.length; i++) {
        targets.add(parse(args[i]));
      }
      probe(Integer.parseInt(args[1]), Integer.parseInt(args[2]), targets);
    } else {
      System.err.println("usage: UdpTool echo <port> | probe <localPort> <timeoutMs> <host:port>...");
      System.exit(2);
    }
  }

  private static void echo(int port) throws IOException {
    try (DatagramSocket socket = new DatagramSocket(null)) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port));
      System.out.println("listening " + socket.getLocalPort());
      byte[] buf = new byte[2048];
      while (true) {
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        socket.receive(in);
        String source = format((InetSocketAddress) in.getSocketAddress());
        String payload = new String(in.getData(), in.getOffset(), in.getLength(), StandardCharsets.UTF_8);
        System.out.println("recv " + source + " " + payload.replaceAll("\\s", "_"));
        byte[] answer = ("seen " + source).getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
      }
    }
  }

  private static void probe(int localPort, int timeoutMs, List<InetSocketAddress> targets) throws IOException {
    try (DatagramSocket socket = new DatagramSocket(null)) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(localPort));
      byte[] buf = new byte[2048];
      for (InetSocketAddress target : targets) {
        byte[] probe = ("probe " + format(target)).getBytes(StandardCharsets.UTF_8);
        long deadline = System.currentTimeMillis() + timeoutMs;
        String seen = null;
        while (seen == null && System.currentTimeMillis() < deadline) {
          try {
            socket.send(new DatagramPacket(probe, probe.length, target));
          } catch (IOException e) {
            // e.g. network unreachable: keep trying until the timeout, like a real peer would.
          }
          long resendAt = Math.min(deadline, System.currentTimeMillis() + 200);
          while (seen == null && System.currentTimeMillis() < resendAt) {
            socket.setSoTimeout((int) Math.max(1, resendAt - System.currentTimeMillis()));
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
              socket.receive(in);
            } catch (SocketTimeoutException e) {
              break;
            } catch (IOException e) {
              // ICMP errors surface here on some paths; they are no answer.
              continue;
            }
            String text = new String(in.getData(), in.getOffset(), in.getLength(), StandardCharsets.UTF_8);
            if (sameEndpoint((InetSocketAddress) in.getSocketAddress(), target) && text.startsWith("seen ")) {
              seen = text.substring(5).strip();
            }
          }
        }
        System.out.println(seen == null ? "noreply " + format(target) : "reply " + format(target) + " " + seen);
      }
    }
  }

  private static boolean sameEndpoint(InetSocketAddress a, InetSocketAddress b) {
    return a.getPort() == b.getPort() && unmapped(a.getAddress()).equals(unmapped(b.getAddress()));
  }

  private static InetAddress unmapped(InetAddress address) {
    byte[] raw = address.getAddress();
    if (raw.length == 16) {
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= raw[i] == 0;
      }
      mapped &= raw[10] == (byte) 0xff && raw[11] == (byte) 0xff;
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {raw[12], raw[13], raw[14], raw[15]});
        } catch (IOException e) {
          return address;
        }
      }
    }
    return address;
  }

  /** {@code ip:port}, with brackets around an IPv6 address. */
  static String format(InetSocketAddress address) {
    InetAddress ip = unmapped(address.getAddress());
    String host = ip.getHostAddress();
    int zone = host.indexOf('%');
    if (zone >= 0) {
      host = host.substring(0, zone);
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Parses {@code ip:port} or {@code [ipv6]:port} (literal addresses only, no name lookup). */
  static InetSocketAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not ip:port: " + text);
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (!host.matches("[0-9a-fA-F.:]+")) {
      throw new IllegalArgumentException("not a literal address: " + text);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(text.substring(colon + 1)));
    } catch (IOException e) {
      throw new IllegalArgumentException("not ip:port: " + text, e);
    }
  }
}
