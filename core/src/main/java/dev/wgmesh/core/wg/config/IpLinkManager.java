package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.wg.CommandRunner;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link LinkManager} with iproute2's {@code ip}. Routes are installed with wgmesh's own route
 * protocol number ({@value #ROUTE_PROTOCOL}), so that listing finds exactly the routes wgmesh put
 * there and never the kernel's connected routes or someone else's.
 */
public final class IpLinkManager implements LinkManager {
  /** The rtnetlink protocol of wgmesh's routes; unassigned in iproute2's rt_protos. */
  public static final int ROUTE_PROTOCOL = 57;
  private static final Pattern FLAGS = Pattern.compile("<([^>]*)>");
  private static final Pattern MTU = Pattern.compile("\\smtu (\\d+)");

  private final List<String> prefix;

  public IpLinkManager() {
    this(List.of());
  }

  /** @param commandPrefix runs {@code ip} behind this, e.g. {@code ip netns exec NS} */
  public IpLinkManager(List<String> commandPrefix) {
    this.prefix = List.copyOf(commandPrefix);
  }

  @Override
  public Optional<LinkState> read(String iface) throws IOException {
    CommandRunner.Result link = Commands.run(ip("-o", "link", "show", "dev", iface));
    if (!link.succeeded()) {
      if (link.stderr().contains("does not exist") || link.stderr().contains("Cannot find device")) {
        return Optional.empty();
      }
      throw new IOException("`ip link show dev " + iface + "` failed: " + link.failure());
    }
    return Optional.of(parse(link.stdout(), Commands.runOk(ip("-o", "addr", "show", "dev", iface))));
  }

  /** Parses {@code ip -o link show} and {@code ip -o addr show} of one interface. */
  static LinkState parse(String linkOutput, String addrOutput) {
    Matcher flags = FLAGS.matcher(linkOutput);
    boolean up = flags.find() && List.of(flags.group(1).split(",")).contains("UP");
    Matcher mtu = MTU.matcher(linkOutput);
    int mtuValue = mtu.find() ? Integer.parseInt(mtu.group(1)) : 0;
    List<IpPrefix> addresses = new ArrayList<>();
    for (String line : addrOutput.split("\n")) {
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i + 1 < f.length; i++) {
        if (f[i].equals("inet") || f[i].equals("inet6")) {
          addresses.add(IpPrefix.parse(f[i + 1]));
          break;
        }
      }
    }
    return new LinkState(up, mtuValue, addresses);
  }

  @Override
  public void addKernelWireGuard(String iface) throws IOException {
    Commands.runOk(ip("link", "add", "dev", iface, "type", "wireguard"));
  }

  @Override
  public void addAddress(String iface, IpPrefix address) throws IOException {
    if (address.isIpv4()) {
      Commands.runOk(ip("addr", "add", address.toString(), "dev", iface));
    } else {
      Commands.runOk(ip("-6", "addr", "add", address.toString(), "dev", iface, "nodad"));
    }
  }

  @Override
  public void removeAddress(String iface, IpPrefix address) throws IOException {
    Commands.runOk(ip("addr", "del", address.toString(), "dev", iface));
  }

  @Override
  public void setMtu(String iface, int mtu) throws IOException {
    Commands.runOk(ip("link", "set", "dev", iface, "mtu", Integer.toString(mtu)));
  }

  @Override
  public void setUp(String iface) throws IOException {
    Commands.runOk(ip("link", "set", "dev", iface, "up"));
  }

  @Override
  public Set<IpPrefix> routes(String iface) throws IOException {
    Set<IpPrefix> out = new LinkedHashSet<>(parseRoutes(
        Commands.runOk(ip("-o", "-4", "route", "show", "dev", iface, "proto", Integer.toString(ROUTE_PROTOCOL)))));
    // A kernel without IPv6 fails this listing: it then has no IPv6 routes of ours either.
    CommandRunner.Result v6 = Commands.run(ip("-o", "-6", "route", "show", "dev", iface, "proto", Integer.toString(ROUTE_PROTOCOL)));
    if (v6.succeeded()) {
      out.addAll(parseRoutes(v6.stdout()));
    }
    return out;
  }

  /** The destinations of {@code ip -o route show} lines ("10.244.1.0/24 scope link", "10.1.2.3 ..."). */
  static List<IpPrefix> parseRoutes(String text) {
    List<IpPrefix> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 0 || f[0].isEmpty()) {
        continue;
      }
      String dst = f[0];
      if (dst.equals("unicast") && f.length > 1) {
        dst = f[1];
      }
      try {
        out.add(IpPrefix.parse(dst).network());
      } catch (IllegalArgumentException e) {
        // "default" or a route type we never install: not ours to manage
      }
    }
    return out;
  }

  @Override
  public void replaceRoute(String iface, IpPrefix prefix) throws IOException {
    Commands.runOk(ip("route", "replace", prefix.toString(), "dev", iface, "proto", Integer.toString(ROUTE_PROTOCOL)));
  }

  @Override
  public void deleteRoute(String iface, IpPrefix prefix) throws IOException {
    Commands.runOk(ip("route", "del", prefix.toString(), "dev", iface, "proto", Integer.toString(ROUTE_PROTOCOL)));
  }

  @Override
  public void delete(String iface) throws IOException {
    CommandRunner.Result r = Commands.run(ip("link", "del", "dev", iface));
    if (!r.succeeded() && !r.stderr().contains("Cannot find device") && !r.stderr().contains("does not exist")) {
      throw new IOException("`ip link del dev " + iface + "` failed: " + r.failure());
    }
  }

  private List<String> ip(String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add("ip");
    cmd.addAll(List.of(args));
    return cmd;
  }
}
