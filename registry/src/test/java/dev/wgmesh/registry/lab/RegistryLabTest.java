package dev.wgmesh.registry.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.lab.ExecResult;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import dev.wgmesh.lab.WgInterface;
import dev.wgmesh.registry.RegistryCommand;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The registry as users meet it: a real registry process on a real wireguard-go interface in a
 * network namespace, peers behind real NATs that really handshake with it (one over IPv6), and
 * real {@code dig} queries sent through the tunnel, as in the seed article.
 */
@LabTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegistryLabTest {
  static final String ZONE = "mesh.wgmesh.test";
  static final String REGISTRY_IP = "10.77.0.254";
  static final Duration SHORT_MAX_AGE = Duration.ofSeconds(8);

  Lab lab;
  Host registryHost;
  WgInterface registryWg;
  ManagedProcess registry;
  final List<Member> members = new ArrayList<>();

  record Member(String name, Host host, WgInterface wg, String tunnelIp) {
    WireGuardKey key() {
      return WireGuardKey.fromBase64(wg.publicKey());
    }
  }

  @BeforeAll
  void buildLab() {
    lab = Lab.create("registry");
    registryHost = lab.publicHost("reg");
    registryWg = registryHost.wireguard("wg", REGISTRY_IP + "/24", 51820);
    members.add(join("alice", lab.natHost("alice", NatKind.PORT_RESTRICTED), "10.77.0.1", false));
    members.add(join("bob", lab.natHost("bob", NatKind.CONE), "10.77.0.2", false));
    members.add(join("carol", lab.publicHost("carol"), "10.77.0.3", true));
    members.add(join("dave", lab.natHost("dave", NatKind.CONE), "10.77.0.4", false));
    await().atMost(Duration.ofSeconds(30)).until(() ->
        registryWg.peers().stream().filter(WgInterface.Peer::hasHandshake).count() == members.size());
    registry = startRegistry("registry", List.of());
  }

  /** A member: its own interface with the registry as its only peer, keepalive on, as wgsd users do. */
  Member join(String name, Host host, String tunnelIp, boolean overIpv6) {
    WgInterface wg = host.wireguard("wg", tunnelIp + "/24", 0);
    InetSocketAddress registryEndpoint = overIpv6 ? registryHost.endpoint6(51820) : registryHost.endpoint(51820);
    registryWg.addPeer(wg.publicKey(), null, List.of(tunnelIp + "/32"), 0);
    wg.addPeer(registryWg.publicKey(), registryEndpoint, List.of(REGISTRY_IP + "/32"), 5);
    return new Member(name, host, wg, tunnelIp);
  }

  ManagedProcess startRegistry(String name, List<String> extraArgs) {
    List<String> args = new ArrayList<>(List.of("--device", registryWg.name(), "--zone", ZONE, "--refresh", "500ms", "--metrics", "off"));
    args.addAll(extraArgs);
    ManagedProcess p = registryHost.spawnJava(name, RegistryCommand.class.getName(), args.toArray(String[]::new));
    p.awaitLog("serving DNS on", Duration.ofSeconds(30));
    return p;
  }

  @AfterAll
  void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  Member member(String name) {
    return members.stream().filter(m -> m.name.equals(name)).findFirst().orElseThrow();
  }

  /** dig from alice's host, through alice's tunnel, to the registry's tunnel address. */
  ExecResult dig(String... args) {
    List<String> cmd = new ArrayList<>(List.of("dig", "@" + REGISTRY_IP, "+time=2", "+tries=2"));
    cmd.addAll(Arrays.asList(args));
    return member("alice").host().execOk(cmd.toArray(String[]::new));
  }

  /** dig's record lines, whitespace folded to single spaces (dig separates fields with tabs). */
  List<String> lines(ExecResult r) {
    return r.stdout().lines().map(l -> l.strip().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty() && !l.startsWith(";")).toList();
  }

  String endpointSeenByRegistry(Member m) {
    return registryWg.peer(m.wg().publicKey()).orElseThrow().endpoint();
  }

  @Test
  void ptrListsEveryFreshPeer() {
    Set<String> expected = members.stream().map(m -> DnsSdNames.instanceName(m.key(), ZONE)).collect(Collectors.toSet());
    Set<String> got = Set.copyOf(lines(dig("_wireguard._udp." + ZONE, "PTR", "+short")));
    assertEquals(expected, got);
  }

  @Test
  void srvGivesTheNatMappingTheRegistryObservedWithAddressAndTxtInAdditional() {
    Member alice = member("alice");
    String observed = endpointSeenByRegistry(alice); // e.g. 203.0.113.11:51234, the NAT's mapping
    assertTrue(observed.startsWith(alice.host().publicAddress().getHostAddress() + ":"), observed);
    String instance = DnsSdNames.instanceName(alice.key(), ZONE);
    String host = DnsSdNames.hostName(alice.key(), ZONE);
    List<String> records = lines(dig(instance, "SRV", "+noall", "+answer", "+additional"));
    String port = observed.substring(observed.lastIndexOf(':') + 1);
    assertEquals(instance + " 0 IN SRV 0 0 " + port + " " + host, records.get(0));
    assertEquals(host + " 0 IN A " + alice.host().publicAddress().getHostAddress(), records.get(1));
    assertEquals(instance + " 0 IN TXT \"txtvers=1\" \"pub=" + alice.wg().publicKey() + "\" \"allowed=" + alice.tunnelIp() + "/32\"",
        records.get(2));
  }

  @Test
  void withoutEdnsTheFirstAdditionalRecordIsTheAddressAsWgsdClientNeeds() {
    Member bob = member("bob");
    List<String> records = lines(dig(DnsSdNames.instanceName(bob.key(), ZONE), "SRV", "+noedns", "+noall", "+additional"));
    assertTrue(records.get(0).contains(" IN A " + bob.host().publicAddress().getHostAddress()), records.toString());
  }

  @Test
  void txtAndAddressQueries() {
    Member bob = member("bob");
    assertEquals(List.of("\"txtvers=1\" \"pub=" + bob.wg().publicKey() + "\" \"allowed=" + bob.tunnelIp() + "/32\""),
        lines(dig(DnsSdNames.instanceName(bob.key(), ZONE), "TXT", "+short")));
    assertEquals(List.of(bob.host().publicAddress().getHostAddress()), lines(dig(DnsSdNames.hostName(bob.key(), ZONE), "A", "+short")));
  }

  @Test
  void ipv6EndpointIsServedAsAaaa() {
    Member carol = member("carol");
    String v6 = carol.host().address6().orElseThrow().getHostAddress();
    List<String> aaaa = lines(dig(DnsSdNames.hostName(carol.key(), ZONE), "AAAA", "+short"));
    assertEquals(1, aaaa.size());
    assertEquals(normalise(v6), normalise(aaaa.get(0)));
    List<String> srvExtra = lines(dig(DnsSdNames.instanceName(carol.key(), ZONE), "SRV", "+noall", "+additional"));
    assertTrue(srvExtra.get(0).contains(" IN AAAA "), srvExtra.toString());
  }

  static String normalise(String v6) {
    try {
      return java.net.InetAddress.getByName(v6).getHostAddress();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void mixedCaseQuestionIsAnsweredAndEchoedBitForBit() {
    Member alice = member("alice");
    String upper = DnsSdNames.instanceName(alice.key(), ZONE).toUpperCase();
    String mixed = upper.substring(0, 20) + upper.substring(20).toLowerCase();
    ExecResult r = dig(mixed, "SRV", "+noall", "+question", "+answer");
    assertTrue(r.stdout().contains(";" + mixed), "question echoed as sent:\n" + r.stdout());
    assertTrue(lines(r).stream().anyMatch(l -> l.contains(" IN SRV 0 0 ")), r.stdout());
  }

  @Test
  void namesOutsideTheZoneAreRefusedAndUnknownPeersAreNxdomain() {
    assertTrue(dig("example.org", "A").stdout().contains("status: REFUSED"));
    String stranger = DnsSdNames.instanceName(KeyPair.generate().publicKey(), ZONE);
    ExecResult nx = dig(stranger, "SRV");
    assertTrue(nx.stdout().contains("status: NXDOMAIN"), nx.stdout());
    assertTrue(nx.stdout().contains("SOA"), "SOA in authority:\n" + nx.stdout());
  }

  @Test
  void registryAnswersOnlyInsideTheTunnelByDefault() {
    // The registry host's public address has no DNS listener: the query must time out.
    ExecResult outside = member("alice").host().exec("dig", "@" + registryHost.address().getHostAddress(), "+time=1", "+tries=1", ZONE, "SOA");
    assertFalse(outside.stdout().contains("status: NOERROR"), outside.stdout());
  }

  @Test
  void truncatedOverUdpAndCompleteOverTcp() {
    // A second registry, static-serving many more peers, makes a PTR answer larger than 512 bytes.
    List<String> staticKeys = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      String key = KeyPair.generate().publicKey().toBase64();
      staticKeys.add(key);
      registryWg.addPeer(key, new InetSocketAddress("198.51.100." + (100 + i), 40000 + i), List.of("10.77.1." + i + "/32"), 0);
    }
    ManagedProcess big = startRegistry("registry-static", List.of("--serve-stale", "--listen", REGISTRY_IP + ":5353"));
    try {
      ExecResult udp = dig("-p", "5353", "+noedns", "+ignore", "_wireguard._udp." + ZONE, "PTR");
      assertTrue(udp.stdout().matches("(?s).*flags:[^;]* tc[ ;].*"), "TC set over UDP:\n" + udp.stdout());
      ExecResult tcp = dig("-p", "5353", "+tcp", "_wireguard._udp." + ZONE, "PTR", "+short");
      assertEquals(members.size() + staticKeys.size(), lines(tcp).size());
    } finally {
      big.stop();
      staticKeys.forEach(registryWg::removePeer);
    }
  }

  /** Last: it takes dave away. */
  @Test
  @Order(Integer.MAX_VALUE)
  void peerWhoseHandshakeWentStaleIsWithdrawn() throws Exception {
    Member dave = member("dave");
    String daveInstance = DnsSdNames.instanceName(dave.key(), ZONE);
    assertTrue(dig(daveInstance, "SRV").stdout().contains("status: NOERROR"));
    dave.wg().stop(); // dave goes away for good; the others keep handshaking
    long daveLast = registryWg.peer(dave.wg().publicKey()).orElseThrow().latestHandshake();
    long waitMs = (daveLast + SHORT_MAX_AGE.toSeconds() + 1) * 1000 - System.currentTimeMillis();
    if (waitMs > 0) {
      Thread.sleep(waitMs);
    }
    for (Member m : members) {
      if (m != dave) { // a new session each: a fresh handshake with the registry right away
        m.wg().removePeer(registryWg.publicKey());
        m.wg().addPeer(registryWg.publicKey(),
            m.name().equals("carol") ? registryHost.endpoint6(51820) : registryHost.endpoint(51820), List.of(REGISTRY_IP + "/32"), 5);
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> registryWg.peers().stream()
        .filter(p -> !p.publicKey().equals(dave.wg().publicKey()))
        .allMatch(p -> p.latestHandshake() * 1000 > System.currentTimeMillis() - 5000));
    ManagedProcess strict = startRegistry("registry-strict",
        List.of("--max-handshake-age", SHORT_MAX_AGE.toSeconds() + "s", "--listen", REGISTRY_IP + ":5354"));
    try {
      assertTrue(dig("-p", "5354", daveInstance, "SRV").stdout().contains("status: NXDOMAIN"));
      List<String> ptr = lines(dig("-p", "5354", "_wireguard._udp." + ZONE, "PTR", "+short"));
      assertEquals(members.size() - 1, ptr.size(), ptr.toString());
      assertFalse(ptr.contains(daveInstance));
      assertTrue(strict.log().contains("serving peer " + member("alice").wg().publicKey()), strict.log());
      assertFalse(strict.log().contains("serving peer " + dave.wg().publicKey()), strict.log());
    } finally {
      strict.stop();
    }
  }
}
