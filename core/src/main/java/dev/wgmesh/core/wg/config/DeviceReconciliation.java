package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.PeerState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The WireGuard part of bringing an interface to a desired configuration, as a pure function of
 * what the device reports and what the configuration asks for: no I/O, no clock of its own.
 *
 * <p>Endpoints belong to discovery. A peer that exists keeps whatever endpoint it has (found by
 * discovery, learned by roaming, or a relay socket), unless the configuration gives it a static
 * endpoint; even then a static endpoint only replaces the current one when the peer is new, has no
 * endpoint, the static endpoint itself changed since the last apply, or the current endpoint has no
 * fresh handshake (a working path, for example through the relay, is never cut). Peers that the
 * configuration does not name are removed. {@code replace_peers} is never used: it would drop
 * every endpoint.
 */
public final class DeviceReconciliation {
  /**
   * A handshake younger than this marks a working path. WireGuard rehandshakes about every two
   * minutes while traffic flows (keepalives do not refresh it), so anything below ~180 s would
   * call live peers stale.
   */
  public static final Duration FRESH_HANDSHAKE = Duration.ofSeconds(180);

  private DeviceReconciliation() {}

  /**
   * The change that brings {@code current} to {@code desired}; empty peers and settings when
   * nothing differs (see {@link #isEmpty(DeviceChange)}).
   *
   * @param previous the configuration last applied to this device, if known: a static endpoint
   *     that changed since then is applied even over a working path
   * @param now for the freshness of handshakes
   */
  public static DeviceChange plan(DeviceState current, WireGuardKey privateKey, InterfaceConfig desired,
      Optional<InterfaceConfig> previous, Instant now) {
    Optional<WireGuardKey> setKey = current.privateKey().filter(privateKey::equals).isPresent()
        ? Optional.empty() : Optional.of(privateKey);
    OptionalInt setPort = desired.listenPort().isPresent() && desired.listenPort().getAsInt() != current.listenPort()
        ? desired.listenPort() : OptionalInt.empty();

    List<PeerChange> changes = new ArrayList<>();
    Set<WireGuardKey> wanted = new HashSet<>();
    for (PeerConfig peer : desired.peers()) {
      if (!wanted.add(peer.publicKey())) {
        continue; // a duplicate key: the first entry wins
      }
      Optional<InetSocketAddress> staticEndpoint = peer.endpoint().filter(e -> !e.isUnresolved());
      Optional<PeerState> existing = current.peer(peer.publicKey());
      if (existing.isEmpty()) {
        changes.add(PeerChange.upsert(peer.publicKey(), staticEndpoint, peer.allowedIps(), peer.persistentKeepalive()));
        continue;
      }
      PeerState state = existing.get();
      boolean allowedDiffer = !networks(state.allowedIps()).equals(networks(peer.allowedIps()));
      boolean keepaliveDiffers = state.persistentKeepalive() != peer.persistentKeepalive();
      Optional<InetSocketAddress> endpoint = staticEndpoint.filter(e -> shouldApplyStatic(e, peer, state, previous, now));
      if (allowedDiffer || keepaliveDiffers || endpoint.isPresent()) {
        changes.add(new PeerChange(peer.publicKey(), false, false, endpoint,
            allowedDiffer ? Optional.of(peer.allowedIps()) : Optional.empty(),
            keepaliveDiffers ? OptionalInt.of(peer.persistentKeepalive()) : OptionalInt.empty()));
      }
    }
    for (PeerState state : current.peers()) {
      if (!wanted.contains(state.publicKey())) {
        changes.add(PeerChange.removePeer(state.publicKey()));
      }
    }
    return new DeviceChange(setKey, setPort, false, changes);
  }

  public static boolean isEmpty(DeviceChange change) {
    return change.privateKey().isEmpty() && change.listenPort().isEmpty() && !change.replacePeers() && change.peers().isEmpty();
  }

  private static boolean shouldApplyStatic(InetSocketAddress wanted, PeerConfig peer, PeerState state,
      Optional<InterfaceConfig> previous, Instant now) {
    if (state.endpoint().isEmpty()) {
      return true;
    }
    if (state.endpoint().get().equals(wanted)) {
      return false;
    }
    Optional<InetSocketAddress> before = previous.flatMap(p -> p.peer(peer.publicKey())).flatMap(PeerConfig::endpoint);
    if (previous.isPresent() && !Objects.equals(before.orElse(null), peer.endpoint().orElse(null))) {
      return true; // the configuration moved the peer: follow it now
    }
    return !isFresh(state, now);
  }

  static boolean isFresh(PeerState state, Instant now) {
    return state.lastHandshake().map(at -> Duration.between(at, now).compareTo(FRESH_HANDSHAKE) < 0).orElse(false);
  }

  /** WireGuard stores AllowedIPs masked; compare what it would store, in any order. */
  static Set<IpPrefix> networks(List<IpPrefix> prefixes) {
    return prefixes.stream().map(IpPrefix::network).collect(Collectors.toSet());
  }
}
