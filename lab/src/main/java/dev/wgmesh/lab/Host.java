package dev.wgmesh.lab;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A machine of the lab: a network namespace that is either on the internet itself (a public host
 * with 198.51.100.x/24 and 2001:db8:100::x/64, or a UDP-blocked one with IPv4 only) or on a
 * private LAN (10.x.0.y/24) behind a {@link NatRouter}: its own, one shared with the other hosts
 * of a {@link NatSite}, or a home router behind a carrier-grade NAT ({@link #outerNatRouter()}).
 * Hosts behind NAT are IPv4-only, except those of {@link Lab#ipv6Host}, which have a global IPv6
 * address that their router forwards without NAT.
 */
public final class Host extends Node {
  private final InetAddress address;
  private final InetAddress address6;
  private final String uplink;
  private final NatRouter router;
  private final NatRouter outerRouter;

  Host(Lab lab, String name, String namespace, InetAddress address, InetAddress address6, String uplink,
      NatRouter router, NatRouter outerRouter) {
    super(lab, name, namespace);
    this.address = address;
    this.address6 = address6;
    this.uplink = uplink;
    this.router = router;
    this.outerRouter = outerRouter;
  }

  /** The body of {@code GET http://127.0.0.1:<port><path>} in this host's namespace (an agent's metrics port, say). */
  public String httpGet(int port, String path) {
    String response = execOk("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port + "; printf 'GET " + path
        + " HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3").stdout();
    int body = response.indexOf("\r\n\r\n");
    return body < 0 ? response : response.substring(body + 4);
  }

  /** The host's own IPv4 address: public (198.51.100.x) or, behind NAT, its LAN address (10.x.0.y). */
  public InetAddress address() {
    return address;
  }

  /**
   * The host's global IPv6 address: 2001:db8:100::x for a public host, 2001:db8:200:m::2 for an
   * {@link Lab#ipv6Host}; empty for the others (IPv4 only).
   */
  public Optional<InetAddress> address6() {
    return Optional.ofNullable(address6);
  }

  /** The IPv4 address others on the internet see: the host's own, or its (outermost) NAT router's public one. */
  public InetAddress publicAddress() {
    return router == null ? address : outerRouter != null ? outerRouter.publicAddress() : router.publicAddress();
  }

  /** {@code address():port}. */
  public InetSocketAddress endpoint(int port) {
    return new InetSocketAddress(address, port);
  }

  /** {@code [address6()]:port}; throws for a host without IPv6. */
  public InetSocketAddress endpoint6(int port) {
    if (address6 == null) {
      throw new IllegalStateException(name() + " has no IPv6 address (only public hosts and IPv6 hosts have one)");
    }
    return new InetSocketAddress(address6, port);
  }

  public boolean isBehindNat() {
    return router != null;
  }

  /**
   * The NAT router in front of this host (the home router of a {@link Lab#doubleNatHost}, the
   * shared one of a {@link NatSite}); throws for a public host.
   */
  public NatRouter natRouter() {
    if (router == null) {
      throw new IllegalStateException(name() + " is a public host, it has no NAT router");
    }
    return router;
  }

  /**
   * The carrier-grade NAT behind the host's home router ({@link Lab#doubleNatHost}); empty for
   * every other host.
   */
  public Optional<NatRouter> outerNatRouter() {
    return Optional.ofNullable(outerRouter);
  }

  /**
   * Pulls the cable of a host on the internet (a public or UDP-blocked host): its uplink loses its
   * carrier, so nothing reaches it and nothing leaves it, as with a machine that died; processes
   * and devices in it keep running. Throws for a host behind a NAT router.
   */
  public void unplug() {
    lab.setCable(this, false);
  }

  /** Plugs the cable {@link #unplug()} pulled back in: addresses and routes are as before. */
  public void plugIn() {
    lab.setCable(this, true);
  }

  /** The host's only network interface (besides lo and WireGuard). */
  public String uplink() {
    return uplink;
  }

  /**
   * Creates a WireGuard interface on this host, run by {@code wireguard-go}: a fresh key pair,
   * {@code listenPort} (0: a random one), {@code addressCidr} (may be null: none), link up.
   * The interface's name is unique on the machine and derived from the lab id, this host and
   * {@code suffix}; read it from {@link WgInterface#name()}.
   */
  public WgInterface wireguard(String suffix, String addressCidr, int listenPort) {
    return lab.wireguard(this, suffix, addressCidr, listenPort);
  }

  /**
   * Starts a UDP echo on {@code port} (IPv4 and IPv6) that answers each datagram with the source
   * address it saw, and logs {@code recv <source> <payload>} for each; returns once it listens.
   */
  public ManagedProcess startUdpEcho(int port) {
    ManagedProcess p = spawn("udp-echo-" + port, javaCommand(List.of("echo", Integer.toString(port))));
    p.awaitLog("listening ", Duration.ofSeconds(30));
    return p;
  }

  /**
   * From one UDP socket bound to {@code localPort} (0: any), sends to each target in turn (an echo
   * started by {@link #startUdpEcho(int)}) and waits up to {@code timeout} per target for its answer.
   * Returns, for every target that answered, the source address and port it saw, i.e. the NAT
   * mapping of this socket towards that target; targets that did not answer are absent.
   */
  public Map<InetSocketAddress, InetSocketAddress> udpProbe(int localPort, Duration timeout,
      InetSocketAddress... targets) {
    List<String> args = new ArrayList<>(List.of("probe", Integer.toString(localPort),
        Long.toString(timeout.toMillis())));
    for (InetSocketAddress t : targets) {
      args.add(UdpTool.format(t));
    }
    Duration limit = timeout.multipliedBy(targets.length).plusSeconds(30);
    ExecResult r = execOk(limit, javaCommand(args));
    Map<InetSocketAddress, InetSocketAddress> seen = new LinkedHashMap<>();
    for (String line : r.stdout().split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length == 3 && f[0].equals("reply")) {
        seen.put(UdpTool.parse(f[1]), UdpTool.parse(f[2]));
      }
    }
    return seen;
  }

  /** Runs the lab's own {@link UdpTool}, small and quick to start. */
  private static List<String> javaCommand(List<String> args) {
    List<String> cmd = new ArrayList<>(Node.javaCommand(ownClasspath(), UdpTool.class.getName(), args));
    cmd.add(1, "-Xmx32m");
    return cmd;
  }

  private static String ownClasspath() {
    try {
      return Path.of(UdpTool.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the lab's classes", e);
    }
  }
}
