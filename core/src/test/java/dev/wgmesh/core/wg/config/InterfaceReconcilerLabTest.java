package dev.wgmesh.core.wg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.LabTest;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link InterfaceReconciler} with the real parts: {@code ip} and {@code wireguard-go} (this
 * kernel has no WireGuard module) in two lab hosts. Creates, configures and updates interfaces,
 * and pings tunnel and "pod" addresses through them.
 */
@LabTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InterfaceReconcilerLabTest {

  static List<String> in(Host host) {
    return List.of("ip", "netns", "exec", host.namespace());
  }

  static InterfaceConfig config(String address, PeerConfig... peers) {
    return new InterfaceConfig(List.of(IpPrefix.parse(address)), OptionalInt.of(51820), OptionalInt.of(1380), List.of(peers));
  }

  static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }

  @Test
  void createsConfiguresUpdatesAndRemovesRealInterfaces() throws Exception {
    try (Lab lab = Lab.create("ifcfg")) {
      Host a = lab.publicHost("a");
      Host b = lab.publicHost("b");
      a.execOk("ip", "addr", "add", "10.244.1.1/32", "dev", "lo");
      b.execOk("ip", "addr", "add", "10.244.2.1/32", "dev", "lo");
      KeyPair ka = KeyPair.generate();
      KeyPair kb = KeyPair.generate();
      KeyPair gone = KeyPair.generate();
      String ifA = lab.id() + "a";
      String ifB = lab.id() + "b";
      PeerConfig bFromA = new PeerConfig("b", kb.publicKey(), List.of(IpPrefix.parse("10.88.0.2/32"), IpPrefix.parse("10.244.2.0/24")),
          Optional.of(new InetSocketAddress(b.address(), 51820)), 25);
      PeerConfig aFromB = new PeerConfig("a", ka.publicKey(), List.of(IpPrefix.parse("10.88.0.1/32"), IpPrefix.parse("10.244.1.0/24")),
          Optional.empty(), 0);
      PeerConfig goneFromA = new PeerConfig("gone", gone.publicKey(), List.of(IpPrefix.parse("10.88.0.3/32"), IpPrefix.parse("10.244.3.0/24")),
          Optional.empty(), 0);
      try (InterfaceReconciler ra = InterfaceReconciler.onHost(ifA, in(a));
           InterfaceReconciler rb = InterfaceReconciler.onHost(ifB, in(b))) {
        InterfaceReconciler.Result first = ra.apply(ka.privateKey(), config("10.88.0.1/24", bFromA, goneFromA));
        assertEquals(Optional.of(InterfaceReconciler.Kind.USERSPACE), first.created(), "this kernel has no WireGuard module");
        assertTrue(ra.runsUserspace());
        rb.apply(kb.privateKey(), config("10.88.0.2/24", aFromB));

        String routes = a.execOk("ip", "route", "show", "dev", ifA).stdout();
        assertTrue(routes.contains("10.244.2.0/24") && routes.contains("10.244.3.0/24"), routes);
        assertTrue(a.execOk("ip", "link", "show", "dev", ifA).stdout().contains("mtu 1380"));
        // a's first handshake went out before b existed: WireGuard retries it after 5 s.
        assertTrue(eventually(() -> a.exec("ping", "-c", "1", "-W", "1", "10.88.0.2").ok()), "tunnel address of b");
        assertTrue(a.exec("ping", "-c", "1", "-W", "2", "-I", "10.244.1.1", "10.244.2.1").ok(), "b's pod address, routed");

        // b learned a's endpoint by roaming; nothing of b's configuration touches it.
        PeerState learned = rb.device().read().peer(ka.publicKey()).orElseThrow();
        assertTrue(learned.endpoint().isPresent());
        assertFalse(rb.apply(kb.privateKey(), config("10.88.0.2/24", aFromB)).changedAnything());
        assertEquals(learned.endpoint(), rb.device().read().peer(ka.publicKey()).orElseThrow().endpoint());

        // The peer "gone" leaves the configuration: its peer and route go.
        InterfaceReconciler.Result update = ra.apply(ka.privateKey(), config("10.88.0.1/24", bFromA));
        assertEquals(List.of(IpPrefix.parse("10.244.3.0/24")), update.routes().delete());
        assertTrue(ra.device().read().peer(gone.publicKey()).isEmpty());
        assertEquals(Set.of(IpPrefix.parse("10.244.2.0/24")), new IpLinkManager(in(a)).routes(ifA));
        assertFalse(ra.apply(ka.privateKey(), config("10.88.0.1/24", bFromA)).changedAnything(), "idempotent");
        assertTrue(a.exec("ping", "-c", "1", "-W", "2", "10.88.0.2").ok());
      }
      // Closing stops wireguard-go, which removes its interface.
      assertFalse(a.exec("ip", "link", "show", "dev", ifA).ok(), "interface removed with wireguard-go");
    }
  }
}
