package dev.wgmesh.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.registry.dns.QueryObserver;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A candidate report costs the reporting peer's records, whatever the size of the mesh (it used
 * to rebuild the whole zone, so a mesh of N nodes starting cost O(N²)), and the next query sees
 * it, also when the answer before it was cached. Work is counted (records the index built), never
 * timed.
 */
class ZoneRefresherReportCostTest {
  static final String ZONE = "mesh.example";
  static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");

  /** A refresher over a device with n peers, peer i at tunnel address 10.a.b.c for i + 1. */
  static ZoneRefresher refresher(List<PeerState> peers) throws Exception {
    ZoneRefresher.Config config = new ZoneRefresher.Config(ZONE, Optional.of(Duration.ofSeconds(180)), Duration.ofSeconds(1),
        Optional.empty(), List.of(), 1232);
    return new ZoneRefresher(new ListDevice(peers), config, Clock.fixed(NOW, ZoneOffset.UTC), new RegistryMetrics());
  }

  static List<PeerState> peers(int n) {
    List<PeerState> peers = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String tunnel = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
      peers.add(new PeerState(KeyPair.generate().publicKey(), Optional.of(Endpoints.parse("203.0.113.9:" + (10000 + i))),
          List.of(IpPrefix.parse(tunnel + "/32")), Optional.of(NOW.minusSeconds(5)), 0, 0, 0, false));
    }
    return peers;
  }

  /** Records the index builds for one report of two candidates by the last peer of a mesh of n. */
  static long recordsBuiltByOneReport(int n) throws Exception {
    List<PeerState> peers = peers(n);
    ZoneRefresher refresher = refresher(peers);
    PeerState last = peers.get(n - 1);
    long before = refresher.processor().index().recordsBuilt();
    Message update = HostCandidates.update(last.publicKey(), ZONE,
        List.of(Endpoints.parse("192.168.1.7:51820"), Endpoints.parse("10.9.0.7:51820")));
    assertEquals(Rcode.NOERROR, send(refresher, update, last.allowedIps().get(0).address()));
    return refresher.processor().index().recordsBuilt() - before;
  }

  @Test
  void aReportCostsTheSameInAMeshOf10AndOf2000() throws Exception {
    long small = recordsBuiltByOneReport(10);
    long large = recordsBuiltByOneReport(2000);
    // SRV, TXT and A of the peer, and SRV and A per candidate: nothing of the other peers.
    assertEquals(3 + 2 * 2, small);
    assertEquals(small, large, "a report must not rebuild the zone");
  }

  @Test
  void theNextQuerySeesAReportEvenWhenTheAnswersBeforeWereCached() throws Exception {
    List<PeerState> peers = peers(20);
    ZoneRefresher refresher = refresher(peers);
    WireGuardKey key = peers.get(3).publicKey();
    Name candidate = HostCandidates.target(key, ZONE, 0);
    Name instance = Name.fromString(DnsSdNames.instanceName(key, ZONE));
    // Ask twice each, so every answer below is served from the cache the second time.
    for (int i = 0; i < 2; i++) {
      assertEquals(1, query(refresher, instance, Type.SRV).getSection(Section.ANSWER).size());
      assertEquals(Rcode.NXDOMAIN, query(refresher, candidate, Type.A).getRcode());
    }
    long serialBefore = soaSerial(query(refresher, candidate, Type.A));

    Message update = HostCandidates.update(key, ZONE, List.of(Endpoints.parse("192.168.1.7:51820")));
    assertEquals(Rcode.NOERROR, send(refresher, update, peers.get(3).allowedIps().get(0).address()));

    Message srv = query(refresher, instance, Type.SRV);
    assertEquals(2, srv.getSection(Section.ANSWER).size(), "the candidate's SRV, right after the report");
    Message a = query(refresher, candidate, Type.A);
    assertEquals(Rcode.NOERROR, a.getRcode(), "a cached NXDOMAIN must not outlive the report");
    assertEquals(InetAddress.getByName("192.168.1.7"), ((ARecord) a.getSection(Section.ANSWER).get(0)).getAddress());
    Message other = query(refresher, Name.fromString("c0." + DnsSdNames.label(peers.get(4).publicKey()) + "." + ZONE + "."), Type.A);
    assertEquals(Rcode.NXDOMAIN, other.getRcode());
    assertEquals(true, soaSerial(other) > serialBefore, "negative answers carry the new serial");

    peers.remove(3);
    refresher.refresh();
    assertEquals(Rcode.NXDOMAIN, query(refresher, instance, Type.SRV).getRcode(), "a peer that left goes with its cached answers");
    assertEquals(Rcode.NXDOMAIN, query(refresher, candidate, Type.A).getRcode());
  }

  @Test
  void aReadOfAnUnchangedDeviceBuildsAndRepublishesNothing() throws Exception {
    List<PeerState> peers = peers(50);
    ZoneRefresher refresher = refresher(peers);
    Name missing = Name.fromString("nobody." + ZONE + ".");
    long serial = soaSerial(query(refresher, missing, Type.A));
    long built = refresher.processor().index().recordsBuilt();
    for (int i = 0; i < 3; i++) {
      refresher.refresh(); // the device is read anew each time, the same peers in it
    }
    assertEquals(built, refresher.processor().index().recordsBuilt(), "no record rebuilt");
    assertEquals(serial, soaSerial(query(refresher, missing, Type.A)), "no new serial: nothing was published");
  }

  static long soaSerial(Message negative) {
    return ((SOARecord) negative.getSection(Section.AUTHORITY).get(0)).getSerial();
  }

  static Message query(ZoneRefresher refresher, Name name, int type) throws Exception {
    byte[] wire = Message.newQuery(org.xbill.DNS.Record.newRecord(name, type, DClass.IN)).toWire();
    return new Message(refresher.processor().process(wire, wire.length, QueryObserver.Transport.UDP));
  }

  static int send(ZoneRefresher refresher, Message m, InetAddress from) throws Exception {
    byte[] wire = m.toWire();
    return new Message(refresher.processor().process(wire, wire.length, QueryObserver.Transport.UDP, from)).getRcode();
  }
}
