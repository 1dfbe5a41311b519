package dev.wgmesh.core.wg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.PeerState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterfaceReconcilerTest {
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  final KeyPair self = KeyPair.generate();
  final WireGuardKey registry = KeyPair.generate().publicKey();
  final WireGuardKey n2 = KeyPair.generate().publicKey();
  final WireGuardKey n3 = KeyPair.generate().publicKey();
  final InMemoryLinks links = new InMemoryLinks();
  final List<InMemoryDevice> devices = new ArrayList<>();
  final List<String> started = new ArrayList<>();

  InterfaceReconciler reconciler() {
    return new InterfaceReconciler("wgmesh0", links,
        iface -> {
          started.add(iface);
          links.create(iface);
          return () -> links.remove(iface);
        },
        (iface, how) -> {
          InMemoryDevice d = new InMemoryDevice(iface);
          devices.add(d);
          return d;
        },
        host -> {
          if (host.equals("registry.example.com")) {
            return InetAddress.getByName("203.0.113.5");
          }
          throw new UnknownHostException(host);
        },
        Clock.fixed(NOW, ZoneOffset.UTC));
  }

  static List<IpPrefix> p(String... cidrs) {
    return List.of(cidrs).stream().map(IpPrefix::parse).toList();
  }

  InterfaceConfig config(PeerConfig... peers) {
    return new InterfaceConfig(p("10.88.0.1/24"), OptionalInt.of(51820), OptionalInt.of(1380), List.of(peers));
  }

  PeerConfig registryPeer(String endpoint) {
    return PeerConfig.parse("registry", registry.toBase64(), List.of("10.88.0.254/32"), endpoint, 25);
  }

  PeerConfig node(WireGuardKey key, String... allowed) {
    return new PeerConfig("n", key, p(allowed), Optional.empty(), 25);
  }

  @Test
  void createsWithWireguardGoWithoutKernelModuleAndConfiguresEverything() throws IOException {
    try (InterfaceReconciler r = reconciler()) {
      InterfaceReconciler.Result result = r.apply(self.privateKey(), config(registryPeer("203.0.113.5:51820"),
          node(n2, "10.88.0.2/32", "10.244.2.0/24")));
      assertEquals(Optional.of(InterfaceReconciler.Kind.USERSPACE), result.created());
      assertEquals(List.of("wgmesh0"), started);
      InMemoryDevice d = devices.get(0);
      assertEquals(Optional.of(self.publicKey()), d.read().publicKey());
      assertEquals(51820, d.read().listenPort());
      assertEquals(Optional.of(new InetSocketAddress("203.0.113.5", 51820)), d.peer(registry).get().endpoint());
      assertEquals(25, d.peer(registry).get().persistentKeepalive());
      assertEquals(Optional.empty(), d.peer(n2).get().endpoint());
      assertEquals(new LinkState(true, 1380, p("10.88.0.1/24")), links.read("wgmesh0").get());
      assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), links.routesOf("wgmesh0"));
      // Up before routes: a route to a down link fails.
      List<String> cmds = links.commands();
      assertTrue(cmds.indexOf("ip link set dev wgmesh0 up") < cmds.indexOf("ip route replace 10.244.2.0/24 dev wgmesh0"), cmds.toString());
      assertEquals(self.publicKey(), KeyPair.publicKeyOf(d.read().privateKey().get()));
    }
  }

  @Test
  void kernelModuleIsPreferred() throws IOException {
    links.kernelWireGuard(true);
    try (InterfaceReconciler r = reconciler()) {
      assertEquals(Optional.of(InterfaceReconciler.Kind.KERNEL), r.apply(self.privateKey(), config()).created());
      assertTrue(started.isEmpty());
      assertTrue(links.commands().contains("ip link add dev wgmesh0 type wireguard"));
    }
  }

  @Test
  void secondApplyOfTheSameConfigChangesNothing() throws IOException {
    try (InterfaceReconciler r = reconciler()) {
      InterfaceConfig c = config(registryPeer("203.0.113.5:51820"), node(n2, "10.88.0.2/32", "10.244.2.0/24"));
      r.apply(self.privateKey(), c);
      int changes = devices.get(0).appliedChanges().size();
      int commands = links.commands().size();
      InterfaceReconciler.Result again = r.apply(self.privateKey(), c);
      assertFalse(again.changedAnything());
      assertEquals(changes, devices.get(0).appliedChanges().size());
      assertEquals(commands, links.commands().size());
    }
  }

  @Test
  void updateKeepsDiscoveredEndpointsAndRemovesPeersAndRoutesNoLongerWanted() throws IOException {
    try (InterfaceReconciler r = reconciler()) {
      r.apply(self.privateKey(), config(registryPeer("203.0.113.5:51820"), node(n2, "10.88.0.2/32", "10.244.2.0/24"),
          node(n3, "10.88.0.3/32", "10.244.3.0/24")));
      InMemoryDevice d = devices.get(0);
      InetSocketAddress discovered = new InetSocketAddress("198.51.100.20", 41000);
      d.setEndpoint(n2, discovered); // what discovery does
      d.handshake(n2, NOW.minusSeconds(3));

      InterfaceReconciler.Result result = r.apply(self.privateKey(), config(registryPeer("203.0.113.5:51820"),
          node(n2, "10.88.0.2/32", "10.244.2.0/24", "192.168.10.0/24")));
      assertTrue(result.deviceChanged());
      PeerState after = d.peer(n2).get();
      assertEquals(Optional.of(discovered), after.endpoint(), "discovered endpoint kept");
      assertEquals(p("10.88.0.2/32", "10.244.2.0/24", "192.168.10.0/24"), after.allowedIps());
      assertTrue(d.peer(n3).isEmpty(), "n3 removed");
      assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24"), IpPrefix.parse("192.168.10.0/24")), links.routesOf("wgmesh0"));
    }
  }

  @Test
  void hostNameEndpointIsResolvedAndAnUnresolvableOneIsAWarning() throws IOException {
    try (InterfaceReconciler r = reconciler()) {
      r.apply(self.privateKey(), config(registryPeer("registry.example.com:51820")));
      assertEquals(Optional.of(new InetSocketAddress("203.0.113.5", 51820)), devices.get(0).peer(registry).get().endpoint());
    }
    links.remove("wgmesh0");
    try (InterfaceReconciler r = reconciler()) {
      InterfaceReconciler.Result result = r.apply(self.privateKey(), config(registryPeer("nowhere.invalid:51820")));
      assertEquals(1, result.warnings().size());
      assertTrue(result.warnings().get(0).contains("nowhere.invalid"), result.warnings().toString());
      assertTrue(devices.get(1).peer(registry).isPresent(), "the peer is there, waiting for an endpoint");
    }
  }

  @Test
  void crashedWireguardGoIsStartedAgainAndReconfigured() throws IOException {
    try (InterfaceReconciler r = reconciler()) {
      InterfaceConfig c = config(registryPeer("203.0.113.5:51820"), node(n2, "10.88.0.2/32", "10.244.2.0/24"));
      r.apply(self.privateKey(), c);
      links.remove("wgmesh0"); // wireguard-go died, its tun went with it
      InterfaceReconciler.Result result = r.apply(self.privateKey(), c);
      assertEquals(Optional.of(InterfaceReconciler.Kind.USERSPACE), result.created());
      assertEquals(2, started.size());
      assertTrue(devices.get(1).peer(n2).isPresent());
      assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), links.routesOf("wgmesh0"));
      assertEquals(Optional.of(self.publicKey()), r.device().read().publicKey(), "the stable device follows the new one");
    }
  }

  @Test
  void existingInterfaceIsAdopted() throws IOException {
    links.create("wgmesh0");
    try (InterfaceReconciler r = reconciler()) {
      assertEquals(Optional.empty(), r.apply(self.privateKey(), config()).created());
      assertTrue(started.isEmpty());
    }
  }

  @Test
  void failureToCreateNamesBothWays() {
    InterfaceReconciler r = new InterfaceReconciler("wgmesh0", links,
        iface -> {
          throw new IOException("wireguard-go: not found");
        },
        (iface, how) -> new InMemoryDevice(iface), InetAddress::getByName, Clock.systemUTC());
    IOException e = assertThrows(IOException.class, () -> r.apply(self.privateKey(), config()));
    assertTrue(e.getMessage().contains("kernel: Error: Unknown device type") && e.getMessage().contains("wireguard-go: not found"),
        e.getMessage());
    assertThrows(IOException.class, () -> r.device().read(), "no device before the first apply");
  }
}
