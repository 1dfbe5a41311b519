package dev.wgmesh.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.config.InMemoryDevice;
import dev.wgmesh.core.wg.config.InMemoryLinks;
import dev.wgmesh.core.wg.config.InterfaceConfig;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.testapiserver.StrictApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The loop the node daemons share, one step at a time with a clock the test moves and a role that
 * only counts, as the agent of node n1 against the strict test API server.
 */
class NodeControllerTest {
  static final class Settings extends NodeSettings<Settings> {
    Settings() {
      super("n1", "prod");
    }

  }

  record Translated(InterfaceConfig config, List<String> problems) implements NodeRole.Translation {}

  /** A role with a key it may not have yet, that applies the node config as it is and counts. */
  static final class FakeRole implements NodeRole<Translated> {
    final KeyPair keys = KeyPair.generate();
    volatile boolean hasKey = true;
    volatile boolean newKey;
    int applied;
    int translated;
    int ticks;
    volatile java.util.Map<String, Boolean> reachable = java.util.Map.of();

    @Override
    public String whenDeleted() {
      return "nothing changes";
    }

    @Override
    public Optional<KeyPair> keys() {
      return hasKey ? Optional.of(keys) : Optional.empty();
    }

    @Override
    public boolean refresh(Instant now) {
      boolean n = newKey;
      newKey = false;
      return n;
    }

    @Override
    public Optional<DesiredConfig> desired(DesiredConfig nodeConfig) {
      return Optional.ofNullable(nodeConfig);
    }

    @Override
    public Translated translate(WireGuardNodeConfigSpec spec, WireGuardKey ownPublicKey) {
      translated++;
      return new Translated(InterfaceConfig.parse(spec.getInterfaceSpec().getAddresses(), 51820, null, List.of()), List.of());
    }

    @Override
    public Optional<String> applied(DesiredConfig desired, Translated translation) {
      applied++;
      return Optional.empty();
    }

    @Override
    public void tick(Instant now) {
      ticks++;
    }

    @Override
    public List<PeerConfig> reportedPeers(Translated applied) {
      return applied.config().peers();
    }

    @Override
    public java.util.Map<String, Boolean> registriesReachable() {
      return reachable;
    }

  }

  StrictApiServer api;
  KubernetesClient admin;
  final StatusWriterTest.MovableClock clock = new StatusWriterTest.MovableClock();
  final InMemoryLinks links = new InMemoryLinks();
  final InMemoryDevice device = new InMemoryDevice("wgtest");
  final AtomicBoolean wireguardGoMissing = new AtomicBoolean();
  final FakeRole role = new FakeRole();
  NodeController<Translated> controller;

  @BeforeEach
  void start() {
    api = StrictApiServer.start();
    admin = api.admin();
    InterfaceReconciler reconciler = new InterfaceReconciler("wgtest", links, iface -> {
      if (wireguardGoMissing.get()) {
        throw new IOException("cannot run `wireguard-go`: No such file or directory");
      }
      links.create(iface);
      return () -> links.remove(iface);
    }, (iface, how) -> device, InetAddress::getByName, clock);
    Settings settings = new Settings().withReconcileInterval(Duration.ofSeconds(30)).withStatusCheck(Duration.ofSeconds(1))
        .withStatusMinInterval(Duration.ofSeconds(5));
    controller = new NodeController<>("agent", settings, ApiServers.client(api, StrictApiServer.agentOn("n1")), reconciler, role, clock);
  }

  @AfterEach
  void stop() {
    controller.close();
    api.close();
  }

  WireGuardNodeConfig created() {
    return admin.resource(StatusWriterTest.config("n1")).create();
  }

  void step(Duration after) {
    clock.advance(after);
    controller.step();
  }

  @Test
  void appliesAtOnceOnAChangeAndAgainEveryReconcileInterval() {
    controller.onConfig(created());
    step(Duration.ZERO);
    assertEquals(1, role.applied);
    assertTrue(links.read("wgtest").isPresent());
    step(Duration.ofSeconds(29));
    assertEquals(1, role.applied, "nothing changed: waits for the interval");
    step(Duration.ofSeconds(1));
    assertEquals(2, role.applied, "every 30 s without a change");

    WireGuardNodeConfig next = StatusWriterTest.config("n1");
    next.getSpec().getInterfaceSpec().setAddresses(List.of("10.88.0.7/24"));
    controller.onConfig(next);
    step(Duration.ofSeconds(1));
    assertEquals(3, role.applied, "a change: at once");
    role.newKey = true;
    step(Duration.ofSeconds(1));
    assertEquals(4, role.applied, "a new key: at once");
    assertEquals(5, role.ticks, "the role's tick every step");
  }

  @Test
  void theReconcileOfAnUnchangedConfigurationAppliesTheSameTranslation() {
    controller.onConfig(created());
    step(Duration.ZERO);
    step(Duration.ofSeconds(30));
    step(Duration.ofSeconds(30));
    assertEquals(3, role.applied);
    assertEquals(1, role.translated, "translated once, applied three times");

    WireGuardNodeConfig next = StatusWriterTest.config("n1");
    next.getSpec().getInterfaceSpec().setAddresses(List.of("10.88.0.7/24"));
    controller.onConfig(next);
    step(Duration.ofSeconds(1));
    assertEquals(4, role.applied);
    assertEquals(2, role.translated, "a change: translated again");
    assertEquals(List.of(IpPrefix.parse("10.88.0.7/24")), links.read("wgtest").orElseThrow().addresses());
  }

  @Test
  void reportsEachRegistryOfTheConfigurationInItsOrderWithWhatTheDaemonSees() {
    WireGuardNodeConfig config = StatusWriterTest.config("n1");
    config.getSpec().setRegistryPeers(List.of(registryPeer("eu", "10.88.255.254"), registryPeer("us", "10.88.255.253"),
        registryPeer("ap", "10.88.255.252")));
    config = admin.resource(config).create();
    role.reachable = java.util.Map.of("10.88.255.253", true, "10.88.255.254", false);
    controller.onConfig(config);
    step(Duration.ZERO);
    List<WireGuardNodeConfigStatus.RegistryHealth> expected = List.of(
        new WireGuardNodeConfigStatus.RegistryHealth("eu", "10.88.255.254", false),
        new WireGuardNodeConfigStatus.RegistryHealth("us", "10.88.255.253", true),
        new WireGuardNodeConfigStatus.RegistryHealth("ap", "10.88.255.252", null));
    assertEquals(expected, controller.lastStatus().orElseThrow().getRegistries(), "config order; ap: cannot tell yet");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
      WireGuardNodeConfig read = admin.resources(WireGuardNodeConfig.class).withName("n1").get();
      return read.getStatus() != null && expected.equals(read.getStatus().getRegistries());
    });

    role.reachable = java.util.Map.of("10.88.255.253", true, "10.88.255.254", true, "10.88.255.252", true);
    // A step per poll: an offer made while the first write is still finishing is skipped, the next one goes out.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300)).until(() -> {
      step(Duration.ofSeconds(6));
      return admin.resources(WireGuardNodeConfig.class).withName("n1").get()
          .getStatus().getRegistries().stream().allMatch(r -> Boolean.TRUE.equals(r.getReachable()));
    });
  }

  private static WireGuardNodeConfigSpec.RegistryPeer registryPeer(String name, String address) {
    WireGuardNodeConfigSpec.RegistryPeer peer = new WireGuardNodeConfigSpec.RegistryPeer();
    peer.setName(name);
    peer.setAddress(address);
    return peer;
  }

  @Test
  void noKeyNoInterfaceAndNoStatus() {
    role.hasKey = false;
    controller.onConfig(created());
    step(Duration.ZERO);
    step(Duration.ofSeconds(31));
    assertEquals(0, role.applied);
    assertTrue(links.read("wgtest").isEmpty());
    assertTrue(controller.lastStatus().isEmpty());
    role.hasKey = true;
    step(Duration.ofSeconds(1));
    assertEquals(1, role.applied);
    assertEquals(role.keys.publicKey().toBase64(), controller.lastStatus().orElseThrow().getPublicKey());
  }

  @Test
  void anInterfaceThatCannotBeMadeIsTriedAgainWithinFiveSeconds() {
    wireguardGoMissing.set(true);
    controller.onConfig(created());
    step(Duration.ZERO);
    String error = controller.lastStatus().orElseThrow().getLastError();
    assertTrue(error.startsWith("cannot configure wgtest: ") && error.contains("wireguard-go"), error);
    wireguardGoMissing.set(false);
    step(Duration.ofSeconds(4));
    assertEquals(0, role.applied, "not before 5 s");
    step(Duration.ofSeconds(1));
    assertEquals(1, role.applied);
    step(Duration.ofSeconds(1));
    assertNull(controller.lastStatus().orElseThrow().getLastError());
  }

  @Test
  void aConfigurationOfAnotherMeshIsNotApplied() {
    WireGuardNodeConfig other = StatusWriterTest.config("n1");
    other.getSpec().setMesh("staging");
    controller.onConfig(other);
    step(Duration.ZERO);
    assertEquals(0, role.applied);
    assertEquals("WireGuardNodeConfig n1 belongs to mesh staging, this agent serves mesh prod: not applied",
        controller.lastStatus().orElseThrow().getLastError());
  }

  @Test
  void statusIsBuiltEveryStatusCheckAndWrittenWhileTheConfigurationExists() {
    controller.onConfig(created());
    step(Duration.ZERO);
    WireGuardNodeConfigStatus first = controller.lastStatus().orElseThrow();
    assertEquals(1L, first.getAppliedGeneration());
    await().atMost(Duration.ofSeconds(5)).until(() -> controller.statusWrites() == 1);
    step(Duration.ofMillis(500));
    assertSame(first, controller.lastStatus().orElseThrow(), "not before the status check interval");
    step(Duration.ofMillis(500));
    assertNotSame(first, controller.lastStatus().orElseThrow());

    // Deleted: the status is built, not written; the object made anew gets its status, unchanged as it is.
    admin.resources(WireGuardNodeConfig.class).withName("n1").delete();
    controller.onDelete(StatusWriterTest.config("n1"));
    step(Duration.ofSeconds(10));
    assertEquals(1, role.applied, "the interface stays as it is");
    assertEquals(1, controller.statusWrites());
    await().atMost(Duration.ofSeconds(5)).until(() -> admin.resources(WireGuardNodeConfig.class).withName("n1").get() == null);
    controller.onConfig(created());
    step(Duration.ofSeconds(1));
    await().atMost(Duration.ofSeconds(5)).until(() -> controller.statusWrites() == 2);
    assertEquals(1L, admin.resources(WireGuardNodeConfig.class).withName("n1").get().getStatus().getAppliedGeneration());
  }
}
