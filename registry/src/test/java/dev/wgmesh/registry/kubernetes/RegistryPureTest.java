package dev.wgmesh.registry.kubernetes;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.config.PeerConfig;
import dev.wgmesh.kube.NodeStatus;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The registry's pure pieces: its key from the Secret, its configuration, its status. */
class RegistryPureTest {
  final KeyPair registry = KeyPair.generate();
  final KeyPair n1 = KeyPair.generate();
  final KeyPair n2 = KeyPair.generate();

  static Secret secret(String value) {
    return new SecretBuilder().withNewMetadata().withName("prod-registry-key").endMetadata()
        .withData(Map.of(RegistryKey.DATA_KEY, value)).build();
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  @Test
  void keyFromTheSecretAsWgGenkeyTextOrRawBytes() {
    String text = registry.privateKey().toBase64() + "\n";
    assertEquals(registry.publicKey(), RegistryKey.parse(secret(b64(text.getBytes(US_ASCII)))).publicKey());
    assertEquals(registry.publicKey(), RegistryKey.parse(secret(b64(registry.privateKey().bytes()))).publicKey());
    KubernetesRegistry.Settings single = KubernetesRegistry.Settings.defaults("prod", null);
    assertEquals(List.of("prod-registry-key", "prod-registry"), List.of(single.secretName(), single.configName()));
    KubernetesRegistry.Settings named = KubernetesRegistry.Settings.defaults("prod", "eu", null);
    assertEquals(List.of("prod-registry-eu-key", "prod-registry-eu"), List.of(named.secretName(), named.configName()),
        "--registry-name eu: its own Secret and config, as the operator names them");
    KubernetesRegistry.Settings dotted = KubernetesRegistry.Settings.defaults("prod.eu-west", "eu", null);
    assertEquals(List.of(RegistryObjectNames.secret("prod.eu-west", "eu"), RegistryObjectNames.object("prod.eu-west", "eu")),
        List.of(dotted.secretName(), dotted.configName()), "a mesh name with a dot: the hashed names the operator uses");
    assertTrue(dotted.configName().startsWith("prod-eu-west-registry-eu-"), dotted.configName());
  }

  @Test
  void badSecretsAreNamedNeverQuoted() {
    String garbage = "bm90LWEta2V5LWF0LWFsbA==";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryKey.parse(secret(b64(garbage.getBytes(US_ASCII)))));
    assertTrue(e.getMessage().contains("prod-registry-key") && e.getMessage().contains("not a WireGuard private key"), e.getMessage());
    assertFalse(e.getMessage().contains(garbage));
    assertThrows(IllegalArgumentException.class, () -> RegistryKey.parse(new SecretBuilder().withNewMetadata().withName("x").endMetadata().build()));
    assertThrows(IllegalArgumentException.class, () -> RegistryKey.parse(secret("%%%")));
  }

  static WireGuardNodeConfigSpec spec(WireGuardNodeConfigSpec.Peer... peers) {
    WireGuardNodeConfigSpec s = new WireGuardNodeConfigSpec();
    s.setMesh("prod");
    s.setRegistry(true);
    s.getInterfaceSpec().setAddresses(List.of("10.88.0.254/24"));
    s.getInterfaceSpec().setListenPort(51820);
    s.getInterfaceSpec().setMtu(1420);
    s.setPeers(List.of(peers));
    return s;
  }

  @Test
  void configurationHasEveryMemberWithTunnelAddressesOnly() {
    RegistryConfigs.Translated t = RegistryConfigs.translate(spec(
        new WireGuardNodeConfigSpec.Peer("n1", n1.publicKey().toBase64(), List.of("10.88.0.1/32"), null, null),
        new WireGuardNodeConfigSpec.Peer("laptop", n2.publicKey().toBase64(), List.of("10.88.0.2/32"), "198.51.100.7:51820", null),
        new WireGuardNodeConfigSpec.Peer("self", registry.publicKey().toBase64(), List.of("10.88.0.9/32"), null, null),
        new WireGuardNodeConfigSpec.Peer("bad", "zzz", List.of("10.88.0.3/32"), null, null)), registry.publicKey());
    assertEquals(List.of("n1", "laptop"), t.config().peers().stream().map(PeerConfig::name).toList());
    assertEquals(0, t.config().peers().get(0).persistentKeepalive());
    assertEquals(Optional.empty(), t.config().peers().get(0).endpoint());
    assertEquals(Optional.of(new InetSocketAddress("198.51.100.7", 51820)), t.config().peers().get(1).endpoint());
    assertEquals(List.of(IpPrefix.parse("10.88.0.254/24")), t.config().addresses());
    assertEquals(OptionalInt.of(51820), t.config().listenPort());
    assertTrue(t.relay());
    assertEquals(2, t.problems().size(), t.problems().toString());
    WireGuardNodeConfigSpec off = spec();
    off.getDiscovery().setRelay("Off");
    assertFalse(RegistryConfigs.translate(off, registry.publicKey()).relay(), "Off, as older configurations say");
    off.getDiscovery().setRelay("Disabled");
    assertFalse(RegistryConfigs.translate(off, registry.publicKey()).relay(), "Disabled, the API's value");
    WireGuardNodeConfigSpec noAddress = spec();
    noAddress.getInterfaceSpec().setAddresses(List.of());
    assertThrows(IllegalArgumentException.class, () -> RegistryConfigs.translate(noAddress, registry.publicKey()));
  }

  @Test
  void statusShowsWhatTheRegistryObserves() {
    Instant now = Instant.parse("2026-11-24T12:00:00Z");
    List<PeerConfig> peers = List.of(
        new PeerConfig("n1", n1.publicKey(), List.of(IpPrefix.parse("10.88.0.1/32")), Optional.empty(), 0),
        new PeerConfig("n2", n2.publicKey(), List.of(IpPrefix.parse("10.88.0.2/32")), Optional.empty(), 0));
    DeviceState device = new DeviceState("wgr", Optional.empty(), Optional.empty(), 51820, 0, List.of(
        new PeerState(n1.publicKey(), Optional.of(new InetSocketAddress("203.0.113.20", 40001)), List.of(), Optional.of(now.minusSeconds(20)), 1, 1, 0, false),
        new PeerState(n2.publicKey(), Optional.of(new InetSocketAddress("203.0.113.21", 40002)), List.of(), Optional.of(now.minusSeconds(900)), 1, 1, 0, false)));
    WireGuardNodeConfigStatus s = NodeStatus.build(3L, null, registry.publicKey(), peers, Optional.of(device), Optional.empty(), java.util.Map.of(), k -> false, e -> false, now,
        NodeStatus.Listing.EVERY_PEER);
    assertEquals(3L, s.getAppliedGeneration());
    assertEquals(registry.publicKey().toBase64(), s.getPublicKey());
    assertEquals(1, s.getDirect());
    assertEquals(1, s.getPending());
    assertEquals("direct", s.getPeers().get(0).getMode());
    assertEquals("203.0.113.20:40001", s.getPeers().get(0).getEndpoint());
    assertEquals("pending", s.getPeers().get(1).getMode());
    assertEquals("n2", s.getPeers().get(1).getName(), "every member, pending ones too");
    assertNull(s.getPeers().get(0).getLastHandshake(), "no handshake times: they would make it write every two minutes");
  }
}
