package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A WireGuard device in memory that applies changes with wireguard-go's UAPI semantics
 * ({@code update_only}, {@code replace_allowed_ips}, AllowedIPs stored masked). A test double for
 * the modules that configure devices (agent, registry), and a dry-run target; it is here, not in
 * test code, so that those modules' tests share one faithful implementation.
 */
public final class InMemoryDevice implements WireGuardDevice {
  private final String name;
  private WireGuardKey privateKey;
  private int listenPort;
  private final Map<WireGuardKey, Peer> peers = new LinkedHashMap<>();
  private final List<DeviceChange> applied = new ArrayList<>();
  private volatile boolean failing;

  private static final class Peer {
    InetSocketAddress endpoint;
    List<IpPrefix> allowed = List.of();
    Instant handshake;
    int keepalive;
    long rx;
    long tx;
    boolean presharedKey;
  }

  public InMemoryDevice(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  /** Makes reads and changes fail with an IOException (a crashed daemon), or work again. */
  public void failing(boolean fail) {
    this.failing = fail;
  }

  @Override
  public synchronized DeviceState read() throws IOException {
    if (failing) {
      throw new IOException("device " + name + " is failing (test)");
    }
    List<PeerState> out = new ArrayList<>();
    peers.forEach((key, p) -> out.add(new PeerState(key, Optional.ofNullable(p.endpoint), p.allowed,
        Optional.ofNullable(p.handshake), p.rx, p.tx, p.keepalive, p.presharedKey)));
    return new DeviceState(name, Optional.ofNullable(privateKey),
        Optional.ofNullable(privateKey).map(KeyPair::publicKeyOf), listenPort, 0, out);
  }

  @Override
  public synchronized void apply(DeviceChange change) throws IOException {
    if (failing) {
      throw new IOException("device " + name + " is failing (test)");
    }
    applied.add(change);
    change.privateKey().ifPresent(k -> privateKey = k);
    change.listenPort().ifPresent(p -> listenPort = p);
    if (change.replacePeers()) {
      peers.clear();
    }
    for (PeerChange c : change.peers()) {
      if (c.remove()) {
        peers.remove(c.publicKey());
        continue;
      }
      Peer p = peers.get(c.publicKey());
      if (p == null) {
        if (c.updateOnly()) {
          continue;
        }
        p = new Peer();
        peers.put(c.publicKey(), p);
      }
      Peer peer = p;
      c.endpoint().ifPresent(e -> peer.endpoint = e);
      c.persistentKeepalive().ifPresent(k -> peer.keepalive = k);
      c.allowedIps().ifPresent(a -> peer.allowed = a.stream().map(IpPrefix::network).toList());
    }
  }

  /** Every change applied so far, in order. */
  public synchronized List<DeviceChange> appliedChanges() {
    return List.copyOf(applied);
  }

  /** What discovery or roaming does: a new endpoint for a known peer. */
  public synchronized void setEndpoint(WireGuardKey peer, InetSocketAddress endpoint) {
    peers.get(peer).endpoint = endpoint;
  }

  /**
   * A preshared key set on a peer, or taken off, from outside the model (as an administrator
   * would with {@code wg set}): changes carry none. Removing the peer drops it, as on a real device.
   */
  public synchronized void setPresharedKey(WireGuardKey peer, boolean set) {
    peers.get(peer).presharedKey = set;
  }

  /** A completed handshake with a peer, with some traffic. */
  public synchronized void handshake(WireGuardKey peer, Instant at) {
    Peer p = peers.get(peer);
    p.handshake = at;
    p.rx += 92;
    p.tx += 148;
  }

  public synchronized Optional<PeerState> peer(WireGuardKey key) {
    try {
      return read().peer(key);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
