package dev.wgmesh.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.registry.dns.QueryObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Candidate reports are taken only from the tunnel address of the peer they name, and served at once. */
class ZoneRefresherCandidatesTest {
  static final String ZONE = "mesh.example";
  static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  final WireGuardKey alice = KeyPair.generate().publicKey();
  final WireGuardKey bob = KeyPair.generate().publicKey();
  final List<PeerState> peers = new ArrayList<>(List.of(peer(alice, "10.88.0.1"), peer(bob, "10.88.0.2")));
  final WireGuardDevice device = new ListDevice(peers);

  static PeerState peer(WireGuardKey key, String tunnelIp) {
    return new PeerState(key, Optional.of(Endpoints.parse("203.0.113.9:40000")), List.of(IpPrefix.parse(tunnelIp + "/32")),
        Optional.of(NOW.minusSeconds(5)), 0, 0, 0, false);
  }

  ZoneRefresher refresher() throws Exception {
    ZoneRefresher.Config config = new ZoneRefresher.Config(ZONE, Optional.of(Duration.ofSeconds(180)), Duration.ofSeconds(1),
        Optional.empty(), List.of(), 1232);
    return new ZoneRefresher(device, config, Clock.fixed(NOW, ZoneOffset.UTC), new RegistryMetrics());
  }

  static List<InetSocketAddress> eps(String... endpoints) {
    return java.util.Arrays.stream(endpoints).map(Endpoints::parse).toList();
  }

  static int send(ZoneRefresher refresher, Message m, String from) throws Exception {
    byte[] wire = m.toWire();
    byte[] answer = refresher.processor().process(wire, wire.length, QueryObserver.Transport.UDP, InetAddress.getByName(from));
    return new Message(answer).getRcode();
  }

  static List<String> candidatesServed(ZoneRefresher refresher, WireGuardKey key) throws Exception {
    Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(DnsSdNames.instanceName(key, ZONE)), Type.SRV, DClass.IN));
    q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
    byte[] wire = q.toWire();
    Message answer = new Message(refresher.processor().process(wire, wire.length, QueryObserver.Transport.UDP));
    return answer.getSection(Section.ANSWER).stream().map(r -> (SRVRecord) r).filter(s -> s.getPriority() == HostCandidates.PRIORITY)
        .map(s -> s.getTarget().getLabelString(0) + ":" + s.getPort()).toList();
  }

  @Test
  void aNodeReportsItsOwnCandidatesAndTheyAreServedAtOnce() throws Exception {
    ZoneRefresher refresher = refresher();
    assertEquals(Rcode.NOERROR, send(refresher, HostCandidates.update(alice, ZONE, eps("10.201.0.2:51820", "10.9.0.2:51820")), "10.88.0.1"));
    assertEquals(List.of("c0:51820", "c1:51820"), candidatesServed(refresher, alice));
    assertEquals(Rcode.NOERROR, send(refresher, HostCandidates.update(alice, ZONE, eps("10.9.0.2:51821")), "10.88.0.1"));
    assertEquals(List.of("c0:51821"), candidatesServed(refresher, alice), "a report replaces the last one");
  }

  @Test
  void aReportForAnotherNodeOrFromOutsideTheMeshIsRefused() throws Exception {
    ZoneRefresher refresher = refresher();
    assertEquals(Rcode.REFUSED, send(refresher, HostCandidates.update(bob, ZONE, eps("10.201.0.66:51820")), "10.88.0.1"));
    assertEquals(Rcode.REFUSED, send(refresher, HostCandidates.update(bob, ZONE, eps("10.201.0.66:51820")), "198.51.100.77"));
    assertEquals(List.of(), candidatesServed(refresher, bob));
  }

  @Test
  void aReportFromAPodBehindTheNodeIsRefused() throws Exception {
    peers.set(0, new PeerState(alice, Optional.of(Endpoints.parse("203.0.113.9:40000")),
        List.of(IpPrefix.parse("10.88.0.1/32"), IpPrefix.parse("10.244.1.0/24")), Optional.of(NOW.minusSeconds(5)), 0, 0, 0, false));
    ZoneRefresher refresher = refresher();
    assertEquals(Rcode.REFUSED, send(refresher, HostCandidates.update(alice, ZONE, eps("10.201.0.66:51820")), "10.244.1.17"),
        "a pod's packets come through the node's tunnel with the pod's address: only the node's own address may report");
    assertEquals(Rcode.NOERROR, send(refresher, HostCandidates.update(alice, ZONE, eps("10.201.0.2:51820")), "10.88.0.1"));
  }

  @Test
  void candidatesGoWithThePeer() throws Exception {
    ZoneRefresher refresher = refresher();
    send(refresher, HostCandidates.update(alice, ZONE, eps("10.201.0.2:51820")), "10.88.0.1");
    peers.remove(0);
    refresher.refresh();
    peers.add(peer(alice, "10.88.0.1"));
    refresher.refresh();
    assertEquals(List.of(), candidatesServed(refresher, alice), "a peer that left the device reports again when it returns");
  }
}
