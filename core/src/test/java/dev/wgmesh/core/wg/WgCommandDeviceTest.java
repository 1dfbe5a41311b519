package dev.wgmesh.core.wg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure part of {@link WgCommandDevice}: which {@code wg set} arguments a change becomes. */
class WgCommandDeviceTest {
  private final KeyPair device = KeyPair.generate();
  private final WireGuardKey peerA = KeyPair.generate().publicKey();
  private final WireGuardKey peerB = KeyPair.generate().publicKey();
  private final WireGuardKey peerC = KeyPair.generate().publicKey();
  private final Path keyFile = Path.of("/tmp/wgmesh-key-test.tmp");

  @Test
  void fullChangeWithTheKeyInAFile() {
    DeviceChange change = new DeviceChange(Optional.of(device.privateKey()), OptionalInt.of(51820), false, List.of(
        PeerChange.upsert(peerA, Optional.of(Endpoints.parse("[2001:db8::5]:51820")),
            List.of(IpPrefix.parse("10.99.0.2/32"), IpPrefix.parse("fd99::2/128")), 25),
        PeerChange.upsert(peerB, Optional.empty(), List.of(), 0)));

    List<String> args = WgCommandDevice.setArguments(change, Optional.of(keyFile), Optional.empty());

    assertEquals(List.of(
        "listen-port", "51820",
        "private-key", keyFile.toString(),
        "peer", peerA.toBase64(), "endpoint", "[2001:db8::5]:51820", "persistent-keepalive", "25",
        "allowed-ips", "10.99.0.2/32,fd99::2/128",
        "peer", peerB.toBase64(), "persistent-keepalive", "0", "allowed-ips", ""), args);
    String joined = String.join(" ", args);
    assertFalse(joined.contains(device.privateKey().toBase64()), "the private key never goes on a command line");
  }

  @Test
  void removal() {
    assertEquals(List.of("peer", peerA.toBase64(), "remove"),
        WgCommandDevice.setArguments(DeviceChange.peer(PeerChange.removePeer(peerA)), Optional.empty(), Optional.empty()));
  }

  @Test
  void updateOnlySkipsPeersTheDeviceDoesNotHave() {
    DeviceChange change = DeviceChange.peers(List.of(
        PeerChange.setEndpoint(peerA, Endpoints.parse("198.51.100.7:4500")),
        PeerChange.setEndpoint(peerB, Endpoints.parse("198.51.100.8:4500"))));
    assertEquals(List.of("peer", peerA.toBase64(), "endpoint", "198.51.100.7:4500"),
        WgCommandDevice.setArguments(change, Optional.empty(), Optional.of(Set.of(peerA, peerC))));
    assertEquals(List.of(),
        WgCommandDevice.setArguments(change, Optional.empty(), Optional.of(Set.of())));
  }

  @Test
  void replacePeersRemovesTheUnlisted() {
    DeviceChange change = new DeviceChange(Optional.empty(), OptionalInt.empty(), true,
        List.of(PeerChange.upsert(peerA, Optional.empty(), List.of(IpPrefix.parse("10.0.0.1/32")), 0)));
    List<String> args = WgCommandDevice.setArguments(change, Optional.empty(), Optional.of(Set.of(peerA, peerB)));
    assertEquals(List.of(
        "peer", peerB.toBase64(), "remove",
        "peer", peerA.toBase64(), "persistent-keepalive", "0", "allowed-ips", "10.0.0.1/32"), args);
  }

  @Test
  void needsWhatItNeeds() {
    DeviceChange withKey = new DeviceChange(Optional.of(device.privateKey()), OptionalInt.empty(), false, List.of());
    assertThrows(IllegalArgumentException.class,
        () -> WgCommandDevice.setArguments(withKey, Optional.empty(), Optional.empty()));
    DeviceChange updateOnly = DeviceChange.peer(PeerChange.setEndpoint(peerA, Endpoints.parse("192.0.2.1:1")));
    assertThrows(IllegalArgumentException.class,
        () -> WgCommandDevice.setArguments(updateOnly, Optional.empty(), Optional.empty()));
  }

  @Test
  void rejectsInvalidValues() {
    assertThrows(IllegalArgumentException.class, () -> WgCommandDevice.setArguments(
        new DeviceChange(Optional.empty(), OptionalInt.of(-1), false, List.of()), Optional.empty(), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> new WgCommandDevice("../etc"));
    assertThrows(IllegalArgumentException.class, () -> new WgCommandDevice("a-name-that-is-too-long"));
  }

  @Test
  void namespacePrefix() {
    assertEquals(List.of("ip", "netns", "exec", "lab1"), WgCommandDevice.inNamespace("wg0", "lab1").commandPrefix());
    assertEquals(List.of(), new WgCommandDevice("wg0").commandPrefix());
  }
}
