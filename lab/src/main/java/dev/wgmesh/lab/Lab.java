package dev.wgmesh.lab;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A NAT lab: network namespaces joined by an "internet" bridge, hosts on it or behind NAT
 * routers, and wireguard-go interfaces, all driven through {@code ip}, {@code iptables},
 * {@code wg}, {@code wireguard-go} and {@code conntrack}. Needs root.
 *
 * <pre>{@code
 * try (Lab lab = Lab.create("dns")) {
 *   Host registry = lab.publicHost("reg");
 *   Host a = lab.natHost("a", NatKind.PORT_RESTRICTED);
 *   WgInterface wg = a.wireguard("wg0", "10.99.0.2/24", 51820);
 *   a.execOk("ping", "-c1", registry.address().getHostAddress());
 * }
 * }</pre>
 *
 * <p>Layout (every name starts with the lab id {@code wl<4 hex>}, so labs never collide):
 * <ul>
 *   <li>namespace {@code <id>-inet}: the internet, a bridge {@code <id>br} with the gateway
 *       addresses 198.51.100.1/24, 203.0.113.1/24 and 2001:db8:100::1/64;
 *   <li>public host {@code <name>}: namespace {@code <id>-<name>}, 198.51.100.(10+k)/24 and
 *       2001:db8:100::(10+k)/64 (k = 1, 2, ... in creation order); 203.0.113.0/24 is on-link too;
 *   <li>NAT host {@code <name>}: namespace {@code <id>-<name>} with 10.(200+m).0.2/24 (m = 1, 2, ...),
 *       default route to its router, namespace {@code <id>-<name>-nat} with 10.(200+m).0.1/24 and
 *       public 203.0.113.(10+m)/24 (see {@link NatKind} for the rules). IPv4 only.
   <li>NAT site {@code <name>} ({@link #natSite}): router namespace {@code <id>-<name>-nat} as above,
 *       with the LAN on a bridge {@code <id>s<n>} in it, and hosts {@code <id>-<host>} at 10.(200+m).0.(1+i);
 *   <li>double-NAT host {@code <name>} ({@link #doubleNatHost}): as a NAT host, but its router's WAN
 *       is 100.64.m.2/24 on the inside of a carrier-grade NAT {@code <id>-<name>-cgn} (100.64.m.1,
 *       public 203.0.113.(10+m));
 *   <li>UDP-blocked host ({@link #udpBlockedHost}): a public host without IPv6 whose firewall passes
 *       UDP only to and from one endpoint;
 *   <li>IPv6 host ({@link #ipv6Host}): a NAT host behind a symmetric NAT whose router also forwards
 *       2001:db8:200:m::/64 without NAT (host at ::2; the internet routes it to 2001:db8:100::1:m);
 *   <li>veth pairs {@code <id>w<n>}/{@code <id>p<n>} (node/bridge) and {@code <id>r<n>}/{@code <id>l<n>}
 *       (router LAN/host), created directly inside their namespaces;
 *   <li>WireGuard interfaces {@code <id>-<host>-<suffix>} (or shorter), sockets in
 *       {@code /var/run/wireguard}, private keys in {@code /run/wgmesh-lab/<id>/} (0700);
 *   <li>process logs in {@code target/lab-logs/<id>/} (property {@code wgmesh.lab.logDir}).
 * </ul>
 * Nothing routes outside the lab's namespaces. {@link #close()} removes everything; a JVM
 * shutdown hook closes a lab that was not closed, and {@link #sweepStale()} (run by
 * {@link #create(String)}) removes what labs of dead processes left behind.
 */
public final class Lab implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);

  private static final Pattern NODE_NAME = Pattern.compile("[a-z][a-z0-9]{0,7}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The gateway (internet namespace) address on the public hosts' subnet. */
  public static final String PUBLIC_GATEWAY = "198.51.100.1";
  /** The gateway (internet namespace) address on the NAT routers' WAN subnet. */
  public static final String WAN_GATEWAY = "203.0.113.1";
  private static final String PUBLIC6_PREFIX = "2001:db8:100::";
  private static final int MAX_PUBLIC = 200;
  private static final int MAX_NAT = 50;
  private static final int MAX_SITE_HOSTS = 50;
  /** The IPv6 LANs of {@link #ipv6Host} hosts: 2001:db8:200:m::/64. */
  private static final String SITE6_PREFIX = "2001:db8:200:";

  private final String id;
  private final String purpose;
  private final Path stateDir;
  private final Path logDir;
  private final String bridge;
  private Node internet;

  // Everything created, in creation order, for close(); guarded by "this".
  private final List<String> namespaces = new ArrayList<>();
  private final List<ManagedProcess> processes = new ArrayList<>();
  private final Set<String> interfaceNames = new TreeSet<>();
  private final Set<String> processNames = new HashSet<>();
  private final Set<String> nodeNames = new HashSet<>();
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  /** The bridge's port (in the internet namespace) of each link to the internet, by the link's other end. */
  private final Map<String, String> bridgePorts = new java.util.HashMap<>();
  private int links;
  private int publicHosts;
  private int natHosts;
  private int wgCount;
  private boolean internetForwards6;
  private boolean closed;
  private final Thread shutdownHook;

  private Lab(String id, String purpose, Path stateDir) {
    this.id = id;
    this.purpose = purpose;
    this.stateDir = stateDir;
    this.logDir = logRoot().resolve(id);
    this.bridge = id + "br";
    this.shutdownHook = new Thread(this::closeFromHook, "lab-" + id + "-shutdown");
  }

  /**
   * Creates a lab with a fresh id and its internet; {@code purpose} is a short label for logs.
   * Sweeps stale labs first. Throws {@link IllegalStateException} when a prerequisite (root,
   * a tool, /dev/net/tun) is missing.
   */
  public static Lab create(String purpose) {
    java.util.Objects.requireNonNull(purpose, "purpose");
    List<String> missing = LabPrerequisites.missing();
    if (!missing.isEmpty()) {
      throw new IllegalStateException("the lab needs " + String.join(", ", missing));
    }
    try {
      sweepStale();
    } catch (RuntimeException e) {
      log.warn("sweeping stale labs failed: {}", e.toString());
    }
    Lab lab = claim(purpose);
    Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
    try {
      lab.createInternet();
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
    log.info("lab {} ({}) created, logs in {}", lab.id, purpose, lab.logDir);
    return lab;
  }

  private static Lab claim(String purpose) {
    try {
      Files.createDirectories(Leftovers.STATE_DIR);
      for (int attempt = 0; attempt < 100; attempt++) {
        String id = String.format("wl%04x", RANDOM.nextInt(0x10000));
        if (hasLeftovers(id) || Files.exists(logRoot().resolve(id))) {
          continue; // also keeps the logs of an earlier lab with this id
        }
        Path dir = Leftovers.STATE_DIR.resolve(id);
        try {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
          continue;
        }
        ProcessHandle self = ProcessHandle.current();
        String owner = "pid " + self.pid() + "\n"
            + "start " + self.info().startInstant().map(Instant::toString).orElse("-") + "\n"
            + "purpose " + purpose.replaceAll("\\s", "_") + "\n";
        Path tmp = dir.resolve(Leftovers.OWNER_FILE + ".tmp");
        Files.writeString(tmp, owner, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(Leftovers.OWNER_FILE), StandardCopyOption.ATOMIC_MOVE);
        return new Lab(id, purpose, dir);
      }
      throw new IllegalStateException("no free lab id found in " + Leftovers.STATE_DIR);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the lab marker under " + Leftovers.STATE_DIR + ": " + e, e);
    }
  }

  private static Path logRoot() {
    return Path.of(System.getProperty("wgmesh.lab.logDir", "target/lab-logs")).toAbsolutePath();
  }

  private static boolean hasLeftovers(String id) {
    return Leftovers.listNames(Leftovers.NETNS_DIR).stream().anyMatch(n -> n.startsWith(id + "-"))
        || Leftovers.listNames(Leftovers.WG_SOCKET_DIR).stream().anyMatch(n -> n.startsWith(id));
  }

  /** The lab id ({@code wl} + 4 hex digits), the prefix of every name the lab creates. */
  public String id() {
    return id;
  }

  public String purpose() {
    return purpose;
  }

  /** Where process logs go: {@code target/lab-logs/<id>/}. */
  public Path logDir() {
    return logDir;
  }

  /** The internet namespace (holding the bridge), e.g. for captures or extra commands. */
  public Node internet() {
    return internet;
  }

  /** The internet bridge's interface name (in {@link #internet()}). */
  public String bridge() {
    return bridge;
  }

  /** The hosts created so far, in creation order. */
  public synchronized List<Host> hosts() {
    return List.copyOf(hosts.values());
  }

  /** The namespaces created so far, in creation order. */
  public synchronized List<String> namespaces() {
    return List.copyOf(namespaces);
  }

  /**
   * A host directly on the internet: 198.51.100.(10+k)/24 and 2001:db8:100::(10+k)/64, no NAT,
   * no firewall. {@code name}: 1 to 8 characters a-z0-9, starting with a letter, unique in the lab.
   */
  public Host publicHost(String name) {
    return newPublicHost(name, true);
  }

  /**
   * A host on the internet (198.51.100.(10+k)/24, no IPv6 address) whose own firewall drops every
   * UDP datagram on its uplink except those to and from {@code allowed}: a machine on a network
   * that blocks UDP (many corporate and guest networks, hotel Wi-Fi) but lets one VPN endpoint
   * through. ICMP and TCP pass, as do UDP on loopback and inside tunnels (a WireGuard tunnel to
   * {@code allowed} carries anything). With {@code allowed} the registry's WireGuard endpoint, only
   * the registry's relay reaches the host. The rules are in the host's own namespace; read them
   * with {@code host.exec("iptables", "-S")}.
   */
  public Host udpBlockedHost(String name, java.net.InetSocketAddress allowed) {
    return udpBlockedHost(name, List.of(allowed));
  }

  /** The same with several endpoints the firewall lets through (a mesh with several registries). */
  public Host udpBlockedHost(String name, List<java.net.InetSocketAddress> allowed) {
    if (allowed.isEmpty()) {
      throw new IllegalArgumentException("no allowed endpoint");
    }
    for (java.net.InetSocketAddress a : allowed) {
      if (!(a.getAddress() instanceof java.net.Inet4Address)) {
        throw new IllegalArgumentException("the allowed endpoint must be an IPv4 address: " + a);
      }
    }
    Host host = newPublicHost(name, false);
    host.execOk(udpBlockRules(host.uplink(), allowed).getBytes(StandardCharsets.UTF_8), List.of("iptables-restore"));
    log.info("lab {}: host {} drops UDP except to and from {}", id, name,
        String.join(", ", allowed.stream().map(UdpTool::format).toList()));
    return host;
  }

  /** The iptables-restore input of {@link #udpBlockedHost}: UDP on {@code uplink} only to and from {@code allowed}. */
  static String udpBlockRules(String uplink, java.net.InetSocketAddress allowed) {
    return udpBlockRules(uplink, List.of(allowed));
  }

  static String udpBlockRules(String uplink, List<java.net.InetSocketAddress> allowed) {
    StringBuilder in = new StringBuilder();
    StringBuilder out = new StringBuilder();
    for (java.net.InetSocketAddress a : allowed) {
      String ip = a.getAddress().getHostAddress();
      in.append("-A INPUT -i ").append(uplink).append(" -p udp -s ").append(ip).append(" --sport ").append(a.getPort()).append(" -j ACCEPT\n");
      out.append("-A OUTPUT -o ").append(uplink).append(" -p udp -d ").append(ip).append(" --dport ").append(a.getPort()).append(" -j ACCEPT\n");
    }
    return "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + in + "-A INPUT -i " + uplink + " -p udp -j DROP\n"
        + out + "-A OUTPUT -o " + uplink + " -p udp -j DROP\n"
        + "COMMIT\n";
  }

  private Host newPublicHost(String name, boolean ipv6) {
    int k;
    synchronized (this) {
      reserveName(name);
      k = ++publicHosts;
      if (k > MAX_PUBLIC) {
        throw new IllegalStateException("at most " + MAX_PUBLIC + " public hosts per lab");
      }
    }
    String ns = id + "-" + name;
    Node node = new Node(this, name, ns);
    createNamespace(node, false);
    String uplink = linkToInternet(node);
    InetAddress v4 = literal("198.51.100." + (10 + k));
    InetAddress v6 = ipv6 ? literal(PUBLIC6_PREFIX + (10 + k)) : null;
    node.execOk("ip", "addr", "add", v4.getHostAddress() + "/24", "dev", uplink);
    if (ipv6) {
      node.execOk("ip", "-6", "addr", "add", PUBLIC6_PREFIX + (10 + k) + "/64", "dev", uplink, "nodad");
      // the LANs of the IPv6 hosts behind NAT routers (ipv6Host), routed by the internet
      node.execOk("ip", "-6", "route", "add", SITE6_PREFIX + ":/48", "via", PUBLIC6_PREFIX + "1");
    }
    node.execOk("ip", "route", "add", "203.0.113.0/24", "dev", uplink);
    node.execOk("ip", "route", "add", "default", "via", PUBLIC_GATEWAY);
    Host host = new Host(this, name, ns, v4, v6, uplink, null, null);
    register(host);
    if (ipv6) {
      log.info("lab {}: public host {} at {} and {}{}", id, name, v4.getHostAddress(), PUBLIC6_PREFIX, 10 + k);
    } else {
      log.info("lab {}: public host {} at {} (no IPv6)", id, name, v4.getHostAddress());
    }
    return host;
  }

  /**
   * A host on its own LAN 10.(200+m).0.0/24 behind a NAT router of {@code kind} with the public
   * address 203.0.113.(10+m). The router's namespace is {@code <id>-<name>-nat}.
   */
  public Host natHost(String name, NatKind kind) {
    return newNatHost(name, kind, false);
  }

  /**
   * A dual-stack host whose IPv4 is behind a {@link NatKind#SYMMETRIC} NAT router (as {@link
   * #natHost}: 10.(200+m).0.2 behind 203.0.113.(10+m)) and which has a global IPv6 address,
   * 2001:db8:200:m::2/64, that the same router forwards without NAT and without any firewall:
   * the common ISP deployment where IPv4 is scarce and shared (a carrier or a cloud NAT with
   * per-destination mappings, RFC 4787 "address and port-dependent mapping") while IPv6 is
   * routed end to end. Direct IPv4 to the host cannot work (its mapping differs per peer); over
   * IPv6 any host with IPv6 (public hosts, other IPv6 hosts) reaches it unsolicited. The internet
   * namespace routes 2001:db8:200:m::/64 to the router's WAN address 2001:db8:100::1:m; public
   * hosts route 2001:db8:200::/48 through the internet. {@link Host#address6()} is the global address.
   */
  public Host ipv6Host(String name) {
    return newNatHost(name, NatKind.SYMMETRIC, true);
  }

  private Host newNatHost(String name, NatKind kind, boolean ipv6) {
    int m = reserveNat(name);
    String routerNs = id + "-" + name + "-nat";
    String hostNs = id + "-" + name;
    Node r = new Node(this, name + "-nat", routerNs);
    Node h = new Node(this, name, hostNs);
    createNamespace(r, true);
    createNamespace(h, false);

    String wan = linkToInternet(r);
    InetAddress publicAddress = literal("203.0.113." + (10 + m));
    r.execOk("ip", "addr", "add", publicAddress.getHostAddress() + "/24", "dev", wan);
    r.execOk("ip", "route", "add", "198.51.100.0/24", "dev", wan);
    r.execOk("ip", "route", "add", "default", "via", WAN_GATEWAY);

    String[] lanLink = routerToHost(r, h);
    String lanRouter = lanLink[0];
    String lanHost = lanLink[1];
    String lan = "10." + (200 + m) + ".0.";
    InetAddress gateway = literal(lan + "1");
    InetAddress address = literal(lan + "2");
    r.execOk("ip", "addr", "add", lan + "1/24", "dev", lanRouter);
    h.execOk("ip", "addr", "add", lan + "2/24", "dev", lanHost);
    h.execOk("ip", "route", "add", "default", "via", lan + "1");

    InetAddress address6 = null;
    if (ipv6) {
      enableInternetIpv6Forwarding();
      String wan6 = PUBLIC6_PREFIX + "1:" + m;
      String site6 = SITE6_PREFIX + m + "::";
      r.sysctl("net.ipv6.conf.all.forwarding=1");
      r.execOk("ip", "-6", "addr", "add", wan6 + "/64", "dev", wan, "nodad");
      r.execOk("ip", "-6", "route", "add", "default", "via", PUBLIC6_PREFIX + "1");
      r.execOk("ip", "-6", "addr", "add", site6 + "1/64", "dev", lanRouter, "nodad");
      h.execOk("ip", "-6", "addr", "add", site6 + "2/64", "dev", lanHost, "nodad");
      h.execOk("ip", "-6", "route", "add", "default", "via", site6 + "1");
      internet.execOk("ip", "-6", "route", "add", site6 + "/64", "via", wan6);
      address6 = literal(site6 + "2");
    }

    r.execOk(natRules(kind, wan, lanRouter, publicAddress, address).getBytes(StandardCharsets.UTF_8), List.of("iptables-restore"));
    NatRouter router = new NatRouter(this, name + "-nat", routerNs, kind, publicAddress, gateway, wan, lanRouter);
    Host host = new Host(this, name, hostNs, address, address6, lanHost, router, null);
    register(host);
    log.info("lab {}: host {} at {} behind {} NAT {}{}", id, name, address.getHostAddress(), kind,
        publicAddress.getHostAddress(), address6 == null ? "" : ", global IPv6 " + address6.getHostAddress());
    return host;
  }

  /**
   * A NAT site: one router of {@code kind} with the public address 203.0.113.(10+m) in front of a
   * LAN 10.(200+m).0.0/24 that any number of hosts join with {@link NatSite#host(String)} (at
   * 10.(200+m).0.2, .3, ...; one L2 segment, a bridge in the router's namespace). It models a
   * cloud subnet behind a NAT gateway (AWS NAT Gateway, Google Cloud NAT) or an office behind one
   * router: hosts reach each other directly on the LAN, and every host's traffic to the internet
   * leaves from the one public address. The router does not hairpin (RFC 4787, REQ-9 is not
   * met, as by those gateways): a datagram from the LAN to the public address is dropped, never
   * sent back to the host holding that mapping, so hosts of a site can only talk over their LAN
   * addresses. {@code kind} is {@link NatKind#PORT_RESTRICTED} or {@link NatKind#SYMMETRIC}; a full
   * cone ({@link NatKind#CONE}) forwards to one "DMZ" host and has no meaning for a shared LAN.
   * The router's namespace is {@code <id>-<name>-nat}; {@code name} is reserved like a host's.
   */
  public NatSite natSite(String name, NatKind kind) {
    java.util.Objects.requireNonNull(kind, "kind");
    if (kind == NatKind.CONE) {
      throw new IllegalArgumentException("a NAT site is PORT_RESTRICTED or SYMMETRIC: a full cone forwards to one host");
    }
    int m = reserveNat(name);
    String routerNs = id + "-" + name + "-nat";
    Node r = new Node(this, name + "-nat", routerNs);
    createNamespace(r, true);
    String wan = linkToInternet(r);
    InetAddress publicAddress = literal("203.0.113." + (10 + m));
    r.execOk("ip", "addr", "add", publicAddress.getHostAddress() + "/24", "dev", wan);
    r.execOk("ip", "route", "add", "198.51.100.0/24", "dev", wan);
    r.execOk("ip", "route", "add", "default", "via", WAN_GATEWAY);
    String lanBridge = id + "s" + nextLink();
    r.execOk("ip", "link", "add", lanBridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "0");
    String lan = "10." + (200 + m) + ".0.";
    r.execOk("ip", "addr", "add", lan + "1/24", "dev", lanBridge);
    r.execOk("ip", "link", "set", lanBridge, "up");
    r.execOk(natRules(kind, wan, lanBridge, publicAddress, null, true).getBytes(StandardCharsets.UTF_8), List.of("iptables-restore"));
    NatRouter router = new NatRouter(this, name + "-nat", routerNs, kind, publicAddress, literal(lan + "1"), wan, lanBridge);
    log.info("lab {}: site {} with LAN {}0/24 behind {} NAT {}", id, name, lan, kind, publicAddress.getHostAddress());
    return new NatSite(this, name, router, lan);
  }

  /** A host joining {@code site}'s LAN: namespace {@code <id>-<name>}, a veth port of the site's bridge. */
  Host siteHost(NatSite site, String name, int index) {
    if (index > MAX_SITE_HOSTS) {
      throw new IllegalStateException("at most " + MAX_SITE_HOSTS + " hosts per site");
    }
    synchronized (this) {
      reserveName(name);
    }
    String hostNs = id + "-" + name;
    Node h = new Node(this, name, hostNs);
    createNamespace(h, false);
    NatRouter r = site.natRouter();
    String[] link = routerToHost(r, h);
    r.execOk("ip", "link", "set", link[0], "master", r.lanInterface());
    String ip = site.lanPrefix() + (1 + index);
    h.execOk("ip", "addr", "add", ip + "/24", "dev", link[1]);
    h.execOk("ip", "route", "add", "default", "via", r.lanAddress().getHostAddress());
    Host host = new Host(this, name, hostNs, literal(ip), null, link[1], r, null);
    register(host);
    log.info("lab {}: host {} at {} on site {}", id, name, ip, site.name());
    return host;
  }

  /**
   * A host behind two NATs: its home router of {@code homeKind} (LAN 10.(200+m).0.0/24, host at
   * .2, WAN 100.64.m.2/24) sits on the inside network of a carrier-grade NAT (100.64.m.0/24, the
   * RFC 6598 shared address space; the CGN is 100.64.m.1) whose public address is
   * 203.0.113.(10+m): "NAT444", as mobile and many fibre ISPs run it. The CGN behaves as RFC 6888
   * requires (REQ-1, the RFC 4787 behaviour): endpoint-independent, port-preserving mapping and
   * port-restricted filtering, i.e. the rules of {@link NatKind#PORT_RESTRICTED}. The host's
   * {@link Host#natRouter()} is the home router (its {@code publicAddress()} is 100.64.m.2),
   * {@link Host#outerNatRouter()} the CGN, and {@link Host#publicAddress()} the CGN's public
   * address. Each such host has a CGN of its own (two of them do not share one). Namespaces
   * {@code <id>-<name>}, {@code <id>-<name>-nat} (home router) and {@code <id>-<name>-cgn}.
   */
  public Host doubleNatHost(String name, NatKind homeKind) {
    java.util.Objects.requireNonNull(homeKind, "homeKind");
    int m = reserveNat(name);
    String cgnNs = id + "-" + name + "-cgn";
    String homeNs = id + "-" + name + "-nat";
    String hostNs = id + "-" + name;
    Node c = new Node(this, name + "-cgn", cgnNs);
    Node r = new Node(this, name + "-nat", homeNs);
    Node h = new Node(this, name, hostNs);
    createNamespace(c, true);
    createNamespace(r, true);
    createNamespace(h, false);

    String cgnWan = linkToInternet(c);
    InetAddress publicAddress = literal("203.0.113." + (10 + m));
    c.execOk("ip", "addr", "add", publicAddress.getHostAddress() + "/24", "dev", cgnWan);
    c.execOk("ip", "route", "add", "198.51.100.0/24", "dev", cgnWan);
    c.execOk("ip", "route", "add", "default", "via", WAN_GATEWAY);

    String[] inside = routerToHost(c, r); // CGN inside leg / home router WAN leg
    String shared = "100.64." + m + ".";
    c.execOk("ip", "addr", "add", shared + "1/24", "dev", inside[0]);
    r.execOk("ip", "addr", "add", shared + "2/24", "dev", inside[1]);
    r.execOk("ip", "route", "add", "default", "via", shared + "1");

    String[] lanLink = routerToHost(r, h);
    String lan = "10." + (200 + m) + ".0.";
    r.execOk("ip", "addr", "add", lan + "1/24", "dev", lanLink[0]);
    h.execOk("ip", "addr", "add", lan + "2/24", "dev", lanLink[1]);
    h.execOk("ip", "route", "add", "default", "via", lan + "1");
    InetAddress address = literal(lan + "2");
    InetAddress homeWan = literal(shared + "2");

    c.execOk(natRules(NatKind.PORT_RESTRICTED, cgnWan, inside[0], publicAddress, null).getBytes(StandardCharsets.UTF_8),
        List.of("iptables-restore"));
    r.execOk(natRules(homeKind, inside[1], lanLink[0], homeWan, address).getBytes(StandardCharsets.UTF_8), List.of("iptables-restore"));
    NatRouter cgn = new NatRouter(this, name + "-cgn", cgnNs, NatKind.PORT_RESTRICTED, publicAddress, literal(shared + "1"),
        cgnWan, inside[0]);
    NatRouter home = new NatRouter(this, name + "-nat", homeNs, homeKind, homeWan, literal(lan + "1"), inside[1], lanLink[0]);
    Host host = new Host(this, name, hostNs, address, null, lanLink[1], home, cgn);
    register(host);
    log.info("lab {}: host {} at {} behind {} NAT {} behind carrier-grade NAT {}", id, name, address.getHostAddress(), homeKind,
        homeWan.getHostAddress(), publicAddress.getHostAddress());
    return host;
  }

  /** Reserves a host or site name and the next NAT number m (for 10.(200+m) and 203.0.113.(10+m)). */
  private synchronized int reserveNat(String name) {
    reserveName(name);
    int m = ++natHosts;
    if (m > MAX_NAT) {
      throw new IllegalStateException("at most " + MAX_NAT + " NAT hosts per lab");
    }
    return m;
  }

  /** A veth pair {@code <id>r<n>} (in {@code router}) / {@code <id>l<n>} (in {@code host}), both up; returns their names. */
  private String[] routerToHost(Node router, Node host) {
    int n = nextLink();
    String routerSide = id + "r" + n;
    String hostSide = id + "l" + n;
    Shell.runOk(List.of("ip", "link", "add", routerSide, "netns", router.namespace(), "type", "veth",
        "peer", "name", hostSide, "netns", host.namespace()), Shell.DEFAULT_TIMEOUT);
    router.execOk("ip", "link", "set", routerSide, "up");
    host.execOk("ip", "link", "set", hostSide, "up");
    return new String[] {routerSide, hostSide};
  }

  private synchronized void enableInternetIpv6Forwarding() {
    if (!internetForwards6) {
      internet.sysctl("net.ipv6.conf.all.forwarding=1");
      internetForwards6 = true;
    }
  }

  /** The iptables-restore input for a router of {@code kind}; see {@link NatKind}. */
  static String natRules(NatKind kind, String wan, String lan, InetAddress publicAddress, InetAddress lanHost) {
    return natRules(kind, wan, lan, publicAddress, lanHost, false);
  }

  /**
   * The same; {@code dropHairpin} adds a rule that drops whatever the LAN sends to the public
   * address (a site router: no hairpinning, and no ICMP answer from the router either).
   * {@code lanHost} may be null unless {@code kind} is {@link NatKind#CONE}.
   */
  static String natRules(NatKind kind, String wan, String lan, InetAddress publicAddress, InetAddress lanHost,
      boolean dropHairpin) {
    String host = lanHost == null ? null : lanHost.getHostAddress();
    if (kind == NatKind.CONE && host == null) {
      throw new IllegalArgumentException("a full cone needs its LAN host");
    }
    StringBuilder nat = new StringBuilder("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n"
        + ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
    nat.append("-A POSTROUTING -o ").append(wan).append(" -j MASQUERADE")
        .append(kind == NatKind.SYMMETRIC ? " --random-fully\n" : "\n");
    if (kind == NatKind.CONE) {
      nat.append("-A PREROUTING -i ").append(wan).append(" -d ").append(publicAddress.getHostAddress())
          .append(" -p udp -j DNAT --to-destination ").append(host).append('\n');
    }
    nat.append("COMMIT\n");
    StringBuilder filter = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    if (dropHairpin) {
      filter.append("-A INPUT -i ").append(lan).append(" -d ").append(publicAddress.getHostAddress()).append(" -j DROP\n");
    }
    filter.append("-A INPUT -i ").append(wan).append(" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
    filter.append("-A INPUT -i ").append(wan).append(" -j DROP\n");
    filter.append("-A FORWARD -i ").append(wan).append(" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
    if (kind == NatKind.CONE) {
      filter.append("-A FORWARD -i ").append(wan).append(" -o ").append(lan).append(" -d ").append(host)
          .append(" -p udp -m conntrack --ctstate DNAT -j ACCEPT\n");
    }
    filter.append("-A FORWARD -i ").append(wan).append(" -j DROP\n");
    filter.append("COMMIT\n");
    return nat.append(filter).toString();
  }

  /**
   * Starts {@code tcpdump -l -n -i <bridge> <filter>} in the internet namespace and returns once it
   * captures; its {@link ManagedProcess#log()} has one line per packet crossing the internet.
   */
  public ManagedProcess internetCapture(String name, String... filter) {
    List<String> cmd = new ArrayList<>(List.of("tcpdump", "-l", "-n", "-i", bridge));
    cmd.addAll(List.of(filter));
    ManagedProcess p = internet.spawn("capture-" + name, cmd);
    p.awaitLog("listening on", Duration.ofSeconds(20));
    return p;
  }

  // ---- internals used by Node and Host ----

  ManagedProcess spawn(Node node, String name, List<String> command, Map<String, String> environment) {
    String base;
    synchronized (this) {
      ensureOpen();
      String wanted = (node.name() + "-" + name).replaceAll("[^A-Za-z0-9._-]", "_");
      base = wanted;
      for (int i = 2; !processNames.add(base); i++) {
        base = wanted + "-" + i;
      }
    }
    List<String> full = node.inNamespace(command);
    Path logFile = logDir.resolve(base + ".log");
    Process process;
    try {
      Files.createDirectories(logDir);
      ProcessBuilder pb = new ProcessBuilder(full)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(environment);
      process = pb.start();
    } catch (IOException e) {
      throw new LabCommandException("cannot start " + LabCommandException.join(full) + ": " + e.getMessage(), e);
    }
    ManagedProcess mp = new ManagedProcess(base, full, process, logFile);
    synchronized (this) {
      processes.add(mp);
    }
    log.debug("lab {}: started {} (pid {}): {}", id, base, mp.pid(), LabCommandException.join(command));
    return mp;
  }

  WgInterface wireguard(Host host, String suffix, String addressCidr, int listenPort) {
    String clean = suffix == null ? "" : suffix.toLowerCase().replaceAll("[^a-z0-9-]", "");
    String name;
    synchronized (this) {
      ensureOpen();
      name = id + "-" + host.name() + (clean.isEmpty() ? "" : "-" + clean);
      if (name.length() > 15) {
        name = id + "-" + (++wgCount) + clean;
        name = name.substring(0, Math.min(15, name.length()));
      }
      if (!interfaceNames.add(name)) {
        throw new IllegalArgumentException("WireGuard interface " + name + " exists already: use another suffix");
      }
    }
    Path socket = Leftovers.WG_SOCKET_DIR.resolve(name + ".sock");
    // Foreground mode, output kept: the daemonising mode died right after start.
    ManagedProcess process = host.spawn("wireguard-go-" + name, List.of("wireguard-go", "-f", name),
        Map.of("LOG_LEVEL", "verbose"));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!Files.exists(socket)) {
      if (!process.isAlive()) {
        throw new LabCommandException("wireguard-go for " + name + " on " + host.name() + " exited with "
            + process.exitCode().orElse(-1) + "\n--- log ---\n" + ManagedProcess.tail(process.log()));
      }
      if (System.nanoTime() > deadline) {
        throw new LabCommandException("wireguard-go did not create " + socket + " within 15 s\n--- log ---\n"
            + ManagedProcess.tail(process.log()));
      }
      ManagedProcess.sleep(20);
    }

    ExecResult generated = host.exec("wg", "genkey");
    if (!generated.ok()) {
      throw new LabCommandException(generated, false);
    }
    String privateKey = generated.stdout().strip();
    Path keyFile = stateDir.resolve(name + ".key");
    try {
      Files.deleteIfExists(keyFile);
      Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(keyFile, privateKey + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the private key file " + keyFile + ": " + e, e);
    }
    String publicKey = host.execOk((privateKey + "\n").getBytes(StandardCharsets.US_ASCII), List.of("wg", "pubkey"))
        .stdout().strip();

    host.execOk("wg", "set", name, "listen-port", Integer.toString(listenPort), "private-key", keyFile.toString());
    if (addressCidr != null) {
      List<String> add = new ArrayList<>(List.of("ip", "addr", "add", addressCidr, "dev", name));
      if (addressCidr.contains(":")) {
        add.add("nodad");
      }
      host.execOk(Shell.DEFAULT_TIMEOUT, add);
    }
    host.execOk("ip", "link", "set", name, "up");
    int port = listenPort != 0 ? listenPort
        : Integer.parseInt(host.execOk("wg", "show", name, "listen-port").stdout().strip());
    log.info("lab {}: {} on {} listens on {}, public key {}", id, name, host.name(), port, publicKey);
    return new WgInterface(host, name, process, keyFile, publicKey, port, addressCidr);
  }

  private synchronized void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("lab " + id + " is closed");
    }
  }

  private void reserveName(String name) {
    if (name == null || !NODE_NAME.matcher(name).matches() || name.equals("inet")) {
      throw new IllegalArgumentException("host name must be 1-8 characters a-z0-9 starting with a letter"
          + " (and not 'inet'): " + name);
    }
    ensureOpen();
    if (!nodeNames.add(name)) {
      throw new IllegalArgumentException("host " + name + " exists already in lab " + id);
    }
  }

  private synchronized void register(Host host) {
    hosts.put(host.name(), host);
  }

  private synchronized int nextLink() {
    return ++links;
  }

  private void createInternet() {
    Node inet = new Node(this, "inet", id + "-inet");
    createNamespace(inet, true);
    inet.sysctl("net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0");
    inet.execOk("ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "0");
    inet.execOk("ip", "addr", "add", PUBLIC_GATEWAY + "/24", "dev", bridge);
    inet.execOk("ip", "addr", "add", WAN_GATEWAY + "/24", "dev", bridge);
    inet.execOk("ip", "-6", "addr", "add", PUBLIC6_PREFIX + "1/64", "dev", bridge, "nodad");
    inet.execOk("ip", "link", "set", bridge, "up");
    this.internet = inet;
  }

  private void createNamespace(Node node, boolean forwarding) {
    synchronized (this) {
      ensureOpen();
      namespaces.add(node.namespace());
    }
    Shell.runOk(List.of("ip", "netns", "add", node.namespace()), Shell.DEFAULT_TIMEOUT);
    node.execOk("ip", "link", "set", "lo", "up");
    node.sysctl("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
        "net.ipv4.ip_forward=" + (forwarding ? 1 : 0));
  }

  /** Connects {@code node} to the internet bridge by a veth pair; returns the node side's name. */
  /** The address {@link #attachThisMachine()} gives the machine's own network namespace. */
  public static final String MACHINE_ADDRESS = "198.51.100.250";

  /**
   * Connects the machine's own (root) network namespace to the lab's internet, as a public host
   * at {@link #MACHINE_ADDRESS}: so that a server the test process runs (a mock Kubernetes API
   * server) is reachable from every lab host, through their NATs. Only the documentation ranges
   * are routed there; the link and its routes vanish with the internet namespace on close.
   */
  public synchronized InetAddress attachThisMachine() {
    if (machineLink != null) {
      return literal(MACHINE_ADDRESS);
    }
    int n = nextLink();
    String machineSide = id + "m" + n;
    String bridgeSide = id + "p" + n;
    Shell.runOk(List.of("ip", "link", "add", machineSide, "type", "veth",
        "peer", "name", bridgeSide, "netns", internet.namespace()), Shell.DEFAULT_TIMEOUT);
    internet.execOk("ip", "link", "set", bridgeSide, "master", bridge, "up");
    // "replace": a link of a lab that died a moment ago may still hold the route while its
    // namespace is torn down. Two live attached labs at once are not supported.
    Shell.runOk(List.of("ip", "addr", "replace", MACHINE_ADDRESS + "/24", "dev", machineSide), Shell.DEFAULT_TIMEOUT);
    Shell.runOk(List.of("ip", "link", "set", machineSide, "up"), Shell.DEFAULT_TIMEOUT);
    Shell.runOk(List.of("ip", "route", "replace", "203.0.113.0/24", "dev", machineSide), Shell.DEFAULT_TIMEOUT);
    machineLink = machineSide;
    log.info("lab {}: this machine is on the lab internet at {}", id, MACHINE_ADDRESS);
    return literal(MACHINE_ADDRESS);
  }

  /** The machine-side end of {@link #attachThisMachine()}'s link, once attached. */
  private String machineLink;

  private String linkToInternet(Node node) {
    int n = nextLink();
    String nodeSide = id + "w" + n;
    String bridgeSide = id + "p" + n;
    Shell.runOk(List.of("ip", "link", "add", nodeSide, "netns", node.namespace(), "type", "veth",
        "peer", "name", bridgeSide, "netns", internet.namespace()), Shell.DEFAULT_TIMEOUT);
    internet.execOk("ip", "link", "set", bridgeSide, "master", bridge, "up");
    node.execOk("ip", "link", "set", nodeSide, "up");
    synchronized (this) {
      bridgePorts.put(nodeSide, bridgeSide);
    }
    return nodeSide;
  }

  /**
   * Plugs a host on the internet in or out: the bridge's port to it goes up or down, so the host's
   * uplink gains or loses its carrier. The host's addresses and routes stay (a cable pulled, not an
   * interface reconfigured), and nothing reaches it or leaves it while it is out.
   */
  void setCable(Host host, boolean plugged) {
    String port;
    synchronized (this) {
      ensureOpen();
      port = bridgePorts.get(host.uplink());
    }
    if (port == null) {
      throw new IllegalStateException(host.name() + " is behind a NAT router: only a host on the internet has a cable to pull");
    }
    internet.execOk("ip", "link", "set", port, plugged ? "up" : "down");
    log.info("lab {}: host {} {}", id, host.name(), plugged ? "plugged in again" : "unplugged");
  }

  private static InetAddress literal(String address) {
    try {
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(address, e);
    }
  }

  // ---- cleanup ----

  /**
   * Removes everything the lab made: stops every process (SIGTERM, then SIGKILL) and anything else
   * left in its namespaces, deletes the namespaces (and with them the veths), the WireGuard sockets,
   * the key files and the marker. Idempotent; never throws: problems are logged.
   */
  @Override
  public void close() {
    List<String> errors = closeQuietly();
    if (!Thread.currentThread().equals(shutdownHook)) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // JVM shutting down, or hook never registered.
      }
    }
    if (errors == null) {
      return;
    }
    if (errors.isEmpty()) {
      log.info("lab {} ({}) closed", id, purpose);
    } else {
      log.warn("lab {} ({}) closed with {} problem(s):\n  {}", id, purpose, errors.size(), String.join("\n  ", errors));
    }
  }

  private void closeFromHook() {
    log.warn("lab {} ({}) was not closed: closing it at JVM exit", id, purpose);
    close();
  }

  /** Null when already closed, else the problems met. */
  private synchronized List<String> closeQuietly() {
    if (closed) {
      return null;
    }
    closed = true;
    List<String> errors = new ArrayList<>();
    List<ManagedProcess> procs = new ArrayList<>(processes);
    Collections.reverse(procs);
    // SIGTERM to all first, so that many processes do not wait for each other.
    Map<ManagedProcess, List<ProcessHandle>> stopping = new LinkedHashMap<>();
    for (ManagedProcess p : procs) {
      try {
        stopping.put(p, p.terminate());
      } catch (RuntimeException e) {
        errors.add("stopping " + p.name() + ": " + e.getMessage());
      }
    }
    long deadline = System.nanoTime() + ManagedProcess.STOP_GRACE.toNanos();
    stopping.forEach((p, children) -> {
      try {
        p.awaitOrKill(children, deadline);
      } catch (RuntimeException e) {
        errors.add("stopping " + p.name() + ": " + e.getMessage());
      }
    });
    if (machineLink != null) {
      // Namespaces die asynchronously; the machine's end of the link must go now.
      ExecResult r = Shell.run(List.of("ip", "link", "del", machineLink), Shell.DEFAULT_TIMEOUT);
      if (!r.ok() && !r.stderr().contains("Cannot find device")) {
        errors.add("removing " + machineLink + ": " + r.stderr().strip());
      }
    }
    List<String> ns = new ArrayList<>(namespaces);
    Collections.reverse(ns);
    for (String namespace : ns) {
      try {
        Leftovers.removeNamespace(namespace);
      } catch (RuntimeException e) {
        errors.add("deleting namespace " + namespace + ": " + e.getMessage());
      }
    }
    for (String name : Leftovers.listNames(Leftovers.WG_SOCKET_DIR)) {
      if (interfaceNames.contains(name.replaceFirst("\\.sock$", "")) || name.startsWith(id)) {
        try {
          Files.deleteIfExists(Leftovers.WG_SOCKET_DIR.resolve(name));
        } catch (IOException e) {
          errors.add("deleting socket " + name + ": " + e);
        }
      }
    }
    try {
      Leftovers.deleteRecursively(stateDir);
    } catch (IOException e) {
      errors.add("deleting " + stateDir + ": " + e);
    }
    return errors;
  }

  /**
   * Removes what labs of dead processes left behind: their namespaces (killing what runs inside),
   * wireguard-go processes and sockets, key files and markers. A lab is alive while the process
   * named in {@code /run/wgmesh-lab/<id>/owner} (pid and start time) runs. Returns the number of
   * stale labs found. {@link #create(String)} calls it.
   */
  public static int sweepStale() {
    return Leftovers.sweep();
  }

  @Override
  public String toString() {
    return "Lab[" + id + " (" + purpose + ")]";
  }
}
