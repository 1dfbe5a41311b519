package dev.wgmesh.core.dnssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Update;

class HostCandidatesTest {
  static final String ZONE = "mesh.example";
  final WireGuardKey key = KeyPair.generate().publicKey();
  final WireGuardKey other = KeyPair.generate().publicKey();

  static InetSocketAddress ep(String ip, int port) {
    return new InetSocketAddress(ip(ip), port);
  }

  static InetAddress ip(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Through the wire and back, as the registry receives it. */
  static Message wire(Message m) throws Exception {
    return new Message(m.toWire());
  }

  @Test
  void anUpdateReadsBackAsTheSameCandidatesInOrder() throws Exception {
    List<InetSocketAddress> sent = List.of(ep("10.201.0.2", 51820), ep("2001:db8:200::5", 51820), ep("172.31.4.9", 40000));
    HostCandidates.Report report = HostCandidates.read(wire(HostCandidates.update(key, ZONE, sent)), ZONE);
    HostCandidates.Report.Candidates c = assertInstanceOf(HostCandidates.Report.Candidates.class, report);
    assertEquals(key, c.key());
    assertEquals(sent, c.endpoints());
  }

  @Test
  void anEmptyReportWithdrawsEveryCandidate() throws Exception {
    HostCandidates.Report report = HostCandidates.read(wire(HostCandidates.update(key, ZONE, List.of())), "MESH.example.");
    assertEquals(List.of(), assertInstanceOf(HostCandidates.Report.Candidates.class, report).endpoints());
  }

  @Test
  void recordsNameTheirTargetsUnderTheNodesHostName() {
    List<org.xbill.DNS.Record> records = HostCandidates.records(key, ZONE, List.of(ep("10.0.0.7", 9)), 0);
    assertEquals("_wireguard._udp.mesh.example.", records.get(0).getName().toString().substring(DnsSdNames.LABEL_LENGTH + 1));
    assertTrue(records.get(0).rdataToString().startsWith("10 0 9 c0." + DnsSdNames.label(key) + ".mesh.example."), records.get(0).rdataToString());
    assertEquals("10.0.0.7", ((ARecord) records.get(1)).getAddress().getHostAddress());
    assertEquals(java.util.Optional.of(0), HostCandidates.indexOf(records.get(1).getName(), key, ZONE));
    assertEquals(java.util.Optional.empty(), HostCandidates.indexOf(records.get(1).getName(), other, ZONE));
  }

  @Test
  void moreThanTheMaximumAreCutToTheMaximum() throws Exception {
    List<InetSocketAddress> many = java.util.stream.IntStream.range(0, 12).mapToObj(i -> ep("10.0.0." + (i + 1), 51820)).toList();
    HostCandidates.Report report = HostCandidates.read(wire(HostCandidates.update(key, ZONE, many)), ZONE);
    assertEquals(many.subList(0, HostCandidates.MAX), assertInstanceOf(HostCandidates.Report.Candidates.class, report).endpoints());
  }

  @Test
  void anotherZoneIsNotAuthoritative() throws Exception {
    HostCandidates.Report report = HostCandidates.read(wire(HostCandidates.update(key, "other.example", List.of())), ZONE);
    assertEquals(Rcode.NOTAUTH, assertInstanceOf(HostCandidates.Report.Rejected.class, report).rcode());
  }

  @Test
  void recordsOfAnotherNodeAreRefused() throws Exception {
    Message update = HostCandidates.update(key, ZONE, List.of(ep("10.0.0.7", 9)));
    for (org.xbill.DNS.Record r : HostCandidates.records(other, ZONE, List.of(ep("10.0.0.8", 9)), 0)) {
      update.addRecord(r, org.xbill.DNS.Section.UPDATE);
    }
    assertRefused(update, "not a candidate of this instance");
  }

  @Test
  void unusableAddressesAndStrayRecordsAreRefused() throws Exception {
    assertRefused(HostCandidates.update(key, ZONE, List.of(ep("127.0.0.1", 51820))), "not a unicast address");
    assertRefused(HostCandidates.update(key, ZONE, List.of(ep("fe80::1", 51820))), "not a unicast address");
    Message txt = HostCandidates.update(key, ZONE, List.of());
    txt.addRecord(new TXTRecord(Name.fromString(DnsSdNames.instanceName(key, ZONE)), DClass.IN, 0, "x=y"), org.xbill.DNS.Section.UPDATE);
    assertRefused(txt, "SRV and A/AAAA records only");
    Message orphan = HostCandidates.update(key, ZONE, List.of(ep("10.0.0.7", 9)));
    orphan.removeAllRecords(org.xbill.DNS.Section.UPDATE);
    Update plain = new Update(Name.fromString(ZONE + "."));
    plain.delete(Name.fromString(DnsSdNames.instanceName(key, ZONE)), org.xbill.DNS.Type.SRV);
    plain.add(HostCandidates.records(key, ZONE, List.of(ep("10.0.0.7", 9)), 0).get(0));
    assertRefused(plain, "exactly one address record");
    Update noDelete = new Update(Name.fromString(ZONE + "."));
    noDelete.add(HostCandidates.records(key, ZONE, List.of(ep("10.0.0.7", 9)), 0).get(0));
    assertRefused(noDelete, "starts by deleting");
  }

  @Test
  void aQueryIsNotAReport() throws Exception {
    Message query = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(ZONE + "."), org.xbill.DNS.Type.SOA, DClass.IN));
    assertEquals(Rcode.FORMERR, assertInstanceOf(HostCandidates.Report.Rejected.class, HostCandidates.read(query, ZONE)).rcode());
  }

  private static void assertRefused(Message update, String reason) throws Exception {
    HostCandidates.Report.Rejected r = assertInstanceOf(HostCandidates.Report.Rejected.class, HostCandidates.read(wire(update), ZONE));
    assertEquals(Rcode.REFUSED, r.rcode(), r.reason());
    assertTrue(r.reason().contains(reason), r.reason());
  }
}
