package dev.wgmesh.lab;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A WireGuard interface run by a {@code wireguard-go} child process in a lab host. Its private key
 * lives only in a 0600 file under {@code /run/wgmesh-lab/<labId>/} and is never logged.
 */
public final class WgInterface {
  private final Host host;
  private final String name;
  private final ManagedProcess process;
  private final Path privateKeyFile;
  private final String publicKey;
  private final int listenPort;
  private final String address;

  WgInterface(Host host, String name, ManagedProcess process, Path privateKeyFile, String publicKey,
      int listenPort, String address) {
    this.host = host;
    this.name = name;
    this.process = process;
    this.privateKeyFile = privateKeyFile;
    this.publicKey = publicKey;
    this.listenPort = listenPort;
    this.address = address;
  }

  /** The interface name (≤ 15 characters, unique on the machine: it names the UAPI socket). */
  public String name() {
    return name;
  }

  public Host host() {
    return host;
  }

  /** The base64 public key. */
  public String publicKey() {
    return publicKey;
  }

  /** A 0600 file holding the base64 private key (as {@code wg genkey} wrote it). */
  public Path privateKeyFile() {
    return privateKeyFile;
  }

  /** The UDP port WireGuard listens on (the one chosen when 0 was asked for). */
  public int listenPort() {
    return listenPort;
  }

  /** The interface address as given ({@code 10.99.0.2/24}), or null. */
  public String address() {
    return address;
  }

  /** {@code /var/run/wireguard/<name>.sock}, the UAPI control socket. */
  public Path socket() {
    return Leftovers.WG_SOCKET_DIR.resolve(name + ".sock");
  }

  /** The {@code wireguard-go} process (its log is wireguard-go's verbose log). */
  public ManagedProcess process() {
    return process;
  }

  /**
   * Adds or updates a peer. {@code endpoint} may be null (the peer must reach us first);
   * {@code keepaliveSeconds} 0 turns persistent keepalive off.
   */
  public void addPeer(String peerPublicKey, InetSocketAddress endpoint, List<String> allowedIps, int keepaliveSeconds) {
    List<String> cmd = new ArrayList<>(List.of("wg", "set", name, "peer", peerPublicKey));
    if (endpoint != null) {
      cmd.addAll(List.of("endpoint", UdpTool.format(endpoint)));
    }
    cmd.addAll(List.of("allowed-ips", String.join(",", allowedIps),
        "persistent-keepalive", keepaliveSeconds <= 0 ? "off" : Integer.toString(keepaliveSeconds)));
    host.execOk(Shell.DEFAULT_TIMEOUT, cmd);
  }

  /** Sets a known peer's endpoint. */
  public void setEndpoint(String peerPublicKey, InetSocketAddress endpoint) {
    host.execOk("wg", "set", name, "peer", peerPublicKey, "endpoint", UdpTool.format(endpoint));
  }

  public void removePeer(String peerPublicKey) {
    host.execOk("wg", "set", name, "peer", peerPublicKey, "remove");
  }

  /** {@code wg show <name>} as text (the private key is shown as "(hidden)"). */
  public String show() {
    return host.execOk("wg", "show", name).stdout();
  }

  /** The peers as {@code wg show <name> dump} reports them. */
  public List<Peer> peers() {
    return peersOf(host, name);
  }

  /**
   * The peers of any WireGuard interface {@code name} on {@code host} (one the lab did not make,
   * such as an agent's in Kubernetes mode), as {@code wg show <name> dump} reports them.
   */
  public static List<Peer> peersOf(Host host, String name) {
    // The dump's first line holds the private key: keep the output out of any exception message.
    ExecResult r = host.exec("wg", "show", name, "dump");
    if (!r.ok()) {
      throw new LabCommandException(r, false);
    }
    List<Peer> peers = new ArrayList<>();
    String[] lines = r.stdout().split("\n");
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].split("\t");
      if (f.length >= 8) {
        peers.add(new Peer(f[0], f[2].equals("(none)") ? null : f[2],
            f[3].equals("(none)") ? List.of() : List.of(f[3].split(",")),
            Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]),
            f[7].equals("off") ? 0 : Integer.parseInt(f[7])));
      }
    }
    return peers;
  }

  public Optional<Peer> peer(String peerPublicKey) {
    return peers().stream().filter(p -> p.publicKey().equals(peerPublicKey)).findFirst();
  }

  /** Stops {@code wireguard-go}, which removes the interface and its socket. The lab also does this on close. */
  public void stop() {
    process.stop();
  }

  @Override
  public String toString() {
    return "WgInterface[" + name + " on " + host.name() + ", port " + listenPort + ", " + publicKey + "]";
  }

  /**
   * One peer of a {@code wg show dump}.
   *
   * @param endpoint {@code ip:port} as WireGuard currently uses it, or null
   * @param latestHandshake seconds since the epoch of the last handshake, 0 when none yet
   * @param keepaliveSeconds 0 when off
   */
  public record Peer(String publicKey, String endpoint, List<String> allowedIps, long latestHandshake,
      long rxBytes, long txBytes, int keepaliveSeconds) {
    public boolean hasHandshake() {
      return latestHandshake > 0;
    }

    public Optional<Instant> latestHandshakeTime() {
      return latestHandshake > 0 ? Optional.of(Instant.ofEpochSecond(latestHandshake)) : Optional.empty();
    }
  }
}
