package dev.wgmesh.core.wg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.PeerState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class DeviceReconciliationTest {
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  final KeyPair self = KeyPair.generate();
  final WireGuardKey a = KeyPair.generate().publicKey();
  final WireGuardKey b = KeyPair.generate().publicKey();
  final WireGuardKey c = KeyPair.generate().publicKey();

  static InetSocketAddress ep(String ip, int port) {
    return new InetSocketAddress(IpPrefix.parseAddress(ip), port);
  }

  static List<IpPrefix> prefixes(String... cidrs) {
    return List.of(cidrs).stream().map(IpPrefix::parse).toList();
  }

  static PeerConfig peer(String name, WireGuardKey key, InetSocketAddress endpoint, int keepalive, String... allowed) {
    return new PeerConfig(name, key, prefixes(allowed), Optional.ofNullable(endpoint), keepalive);
  }

  static InterfaceConfig config(PeerConfig... peers) {
    return new InterfaceConfig(prefixes("10.88.0.1/24"), OptionalInt.of(51820), OptionalInt.of(1420), List.of(peers));
  }

  DeviceState device(PeerState... peers) {
    return new DeviceState("wg0", Optional.of(self.privateKey()), Optional.of(self.publicKey()), 51820, 0, List.of(peers));
  }

  static PeerState state(WireGuardKey key, InetSocketAddress endpoint, Instant handshake, int keepalive, String... allowed) {
    return new PeerState(key, Optional.ofNullable(endpoint), prefixes(allowed), Optional.ofNullable(handshake), 0, 0, keepalive, false);
  }

  DeviceChange plan(DeviceState current, InterfaceConfig desired) {
    return DeviceReconciliation.plan(current, self.privateKey(), desired, Optional.empty(), NOW);
  }

  @Test
  void newDeviceGetsKeyPortAndEveryPeerWithStaticEndpointsOnly() {
    DeviceState empty = new DeviceState("wg0", Optional.empty(), Optional.empty(), 0, 0, List.of());
    InterfaceConfig desired = config(
        peer("registry", a, ep("203.0.113.5", 51820), 25, "10.88.0.254/32"),
        peer("n2", b, null, 25, "10.88.0.2/32", "10.244.2.0/24"));
    DeviceChange change = plan(empty, desired);
    assertEquals(Optional.of(self.privateKey()), change.privateKey());
    assertEquals(OptionalInt.of(51820), change.listenPort());
    assertFalse(change.replacePeers(), "replace_peers would drop discovered endpoints");
    assertEquals(List.of(
        PeerChange.upsert(a, Optional.of(ep("203.0.113.5", 51820)), prefixes("10.88.0.254/32"), 25),
        PeerChange.upsert(b, Optional.empty(), prefixes("10.88.0.2/32", "10.244.2.0/24"), 25)), change.peers());
  }

  @Test
  void appliedDeviceNeedsNothing() {
    DeviceState current = device(
        state(a, ep("203.0.113.5", 51820), NOW, 25, "10.88.0.254/32"),
        state(b, ep("198.51.100.7", 40000), NOW, 25, "10.244.2.0/24", "10.88.0.2/32"));
    InterfaceConfig desired = config(
        peer("registry", a, ep("203.0.113.5", 51820), 25, "10.88.0.254/32"),
        peer("n2", b, null, 25, "10.88.0.2/32", "10.244.2.0/24"));
    assertTrue(DeviceReconciliation.isEmpty(plan(current, desired)), "AllowedIPs compare as sets");
  }

  @Test
  void discoveredEndpointOfAnExistingPeerIsNeverTouched() {
    InetSocketAddress discovered = ep("198.51.100.7", 40000);
    DeviceState current = device(state(b, discovered, null, 25, "10.88.0.2/32"));
    // AllowedIPs change (a pod CIDR appears), keepalive changes: the endpoint stays out of the change.
    DeviceChange change = plan(current, config(peer("n2", b, null, 10, "10.88.0.2/32", "10.244.2.0/24")));
    PeerChange only = change.peers().get(0);
    assertEquals(1, change.peers().size());
    assertEquals(Optional.empty(), only.endpoint());
    assertEquals(Optional.of(prefixes("10.88.0.2/32", "10.244.2.0/24")), only.allowedIps());
    assertEquals(OptionalInt.of(10), only.persistentKeepalive());
  }

  @Test
  void relayEndpointIsKeptToo() {
    DeviceState current = device(state(b, ep("127.0.0.1", 45123), NOW.minusSeconds(5), 25, "10.88.0.2/32"));
    assertTrue(DeviceReconciliation.isEmpty(plan(current, config(peer("n2", b, null, 25, "10.88.0.2/32")))));
  }

  @Test
  void onlyChangedSettingsAreSent() {
    DeviceState current = device(state(b, null, null, 25, "10.88.0.2/32"));
    PeerChange change = plan(current, config(peer("n2", b, null, 25, "10.88.0.2/32", "10.244.2.0/24"))).peers().get(0);
    assertEquals(OptionalInt.empty(), change.persistentKeepalive(), "keepalive unchanged, not resent");
    assertTrue(change.allowedIps().isPresent());
  }

  @Test
  void peersMissingFromTheConfigAreRemoved() {
    DeviceState current = device(state(a, null, null, 0, "10.88.0.254/32"), state(c, ep("198.51.100.9", 1), NOW, 25, "10.88.0.3/32"));
    DeviceChange change = plan(current, config(peer("registry", a, null, 0, "10.88.0.254/32")));
    assertEquals(List.of(PeerChange.removePeer(c)), change.peers());
  }

  @Test
  void staticEndpointIsSetWhenThePeerHasNone() {
    DeviceState current = device(state(a, null, null, 25, "10.88.0.254/32"));
    DeviceChange change = plan(current, config(peer("registry", a, ep("203.0.113.5", 51820), 25, "10.88.0.254/32")));
    assertEquals(Optional.of(ep("203.0.113.5", 51820)), change.peers().get(0).endpoint());
  }

  @Test
  void staticEndpointReplacesAStalePathButNotAWorkingOne() {
    InetSocketAddress elsewhere = ep("198.51.100.20", 34567);
    PeerConfig wanted = peer("home", b, ep("203.0.113.9", 51820), 25, "10.88.0.2/32");
    Instant stale = NOW.minus(DeviceReconciliation.FRESH_HANDSHAKE).minusSeconds(1);
    DeviceChange onStale = plan(device(state(b, elsewhere, stale, 25, "10.88.0.2/32")), config(wanted));
    assertEquals(Optional.of(ep("203.0.113.9", 51820)), onStale.peers().get(0).endpoint());
    DeviceChange neverShook = plan(device(state(b, elsewhere, null, 25, "10.88.0.2/32")), config(wanted));
    assertEquals(Optional.of(ep("203.0.113.9", 51820)), neverShook.peers().get(0).endpoint());
    DeviceChange onFresh = plan(device(state(b, elsewhere, NOW.minus(Duration.ofSeconds(30)), 25, "10.88.0.2/32")), config(wanted));
    assertTrue(DeviceReconciliation.isEmpty(onFresh), "a working path (e.g. the relay) is not cut");
  }

  @Test
  void changedStaticEndpointIsFollowedEvenOverAWorkingPath() {
    PeerConfig before = peer("registry", a, ep("203.0.113.5", 51820), 25, "10.88.0.254/32");
    PeerConfig after = peer("registry", a, ep("203.0.113.6", 51820), 25, "10.88.0.254/32");
    DeviceState current = device(state(a, ep("203.0.113.5", 51820), NOW.minusSeconds(10), 25, "10.88.0.254/32"));
    DeviceChange change = DeviceReconciliation.plan(current, self.privateKey(), config(after), Optional.of(config(before)), NOW);
    assertEquals(Optional.of(ep("203.0.113.6", 51820)), change.peers().get(0).endpoint());
    DeviceChange unchanged = DeviceReconciliation.plan(
        device(state(a, ep("198.51.100.1", 1000), NOW.minusSeconds(10), 25, "10.88.0.254/32")),
        self.privateKey(), config(after), Optional.of(config(after)), NOW);
    assertTrue(DeviceReconciliation.isEmpty(unchanged));
  }

  @Test
  void unresolvedStaticEndpointIsLeftOut() {
    PeerConfig named = peer("registry", a, InetSocketAddress.createUnresolved("vpn.example.com", 51820), 25, "10.88.0.254/32");
    DeviceChange change = plan(new DeviceState("wg0", Optional.empty(), Optional.empty(), 0, 0, List.of()), config(named));
    assertEquals(Optional.empty(), change.peers().get(0).endpoint());
  }

  @Test
  void wrongPrivateKeyAndPortAreCorrected() {
    KeyPair other = KeyPair.generate();
    DeviceState current = new DeviceState("wg0", Optional.of(other.privateKey()), Optional.of(other.publicKey()), 40000, 0, List.of());
    DeviceChange change = plan(current, config());
    assertEquals(Optional.of(self.privateKey()), change.privateKey());
    assertEquals(OptionalInt.of(51820), change.listenPort());
    InterfaceConfig noPort = new InterfaceConfig(prefixes("10.88.0.1/24"), OptionalInt.empty(), OptionalInt.empty(), List.of());
    assertEquals(OptionalInt.empty(), plan(device(), noPort).listenPort(), "no port asked: the device keeps its own");
  }

  @Test
  void duplicateKeysInTheConfigAreAppliedOnce() {
    DeviceChange change = plan(device(), config(peer("x", b, null, 0, "10.88.0.2/32"), peer("y", b, null, 0, "10.88.0.3/32")));
    assertEquals(1, change.peers().size());
    assertEquals(Optional.of(prefixes("10.88.0.2/32")), change.peers().get(0).allowedIps());
  }

  @Test
  void hostBitsInAllowedIpsDoNotCauseEndlessUpdates() {
    DeviceState current = device(state(b, null, null, 0, "10.244.2.0/24"));
    assertTrue(DeviceReconciliation.isEmpty(plan(current, config(peer("n2", b, null, 0, "10.244.2.7/24")))));
  }
}
