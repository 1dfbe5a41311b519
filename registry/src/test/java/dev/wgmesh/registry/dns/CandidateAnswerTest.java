package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Host candidates in the SRV answer, and what a client that reads like wgsd-client gets. */
class CandidateAnswerTest {
  static final String ZONE = "mesh.example.com";

  static List<InetSocketAddress> eps(String... endpoints) {
    return java.util.Arrays.stream(endpoints).map(Endpoints::parse).toList();
  }

  static byte[] askWithoutEdns(ZoneIndex index, ServedPeer peer, String zone) throws Exception {
    return ask(index, peer, zone, false);
  }

  static byte[] ask(ZoneIndex index, ServedPeer peer, String zone, boolean edns) throws Exception {
    Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(DnsSdNames.instanceName(peer.key(), zone)), Type.SRV, DClass.IN));
    if (edns) {
      q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
    }
    QueryProcessor processor = new QueryProcessor(index, AnswerBuilder.DEFAULT_MAX_UDP_PAYLOAD, QueryObserver.NONE);
    byte[] wire = q.toWire();
    return processor.process(wire, wire.length, QueryObserver.Transport.UDP);
  }

  @Test
  void theObservedMappingStaysFirstInAnswerAndAdditionalAndCandidatesFollow() throws Exception {
    ServedPeer alice = Peers.peer("203.0.113.11:41424", "10.0.0.1/32")
        .withCandidates(eps("10.201.0.2:51820", "[2001:db8:200::2]:51820"));
    ZoneIndex index = ZoneIndex.build(ZONE, List.of(alice), 1, List.of());
    Message m = new Message(ask(index, alice, ZONE, true));
    List<org.xbill.DNS.Record> answer = m.getSection(Section.ANSWER);
    assertEquals(3, answer.size());
    SRVRecord first = assertInstanceOf(SRVRecord.class, answer.get(0));
    assertEquals(0, first.getPriority());
    assertEquals(41424, first.getPort());
    assertEquals(Name.fromString(DnsSdNames.hostName(alice.key(), ZONE)), first.getTarget());
    for (int i = 1; i < 3; i++) {
      SRVRecord c = (SRVRecord) answer.get(i);
      assertEquals(HostCandidates.PRIORITY, c.getPriority());
      assertEquals(HostCandidates.target(alice.key(), ZONE, i - 1), c.getTarget());
      assertEquals(51820, c.getPort());
    }
    List<org.xbill.DNS.Record> extra = m.getSection(Section.ADDITIONAL);
    assertEquals("203.0.113.11", assertInstanceOf(ARecord.class, extra.get(0)).getAddress().getHostAddress());
    assertEquals("10.201.0.2", ((ARecord) extra.get(1)).getAddress().getHostAddress());
    assertEquals(IpPrefix.parseAddress("2001:db8:200::2"), ((AAAARecord) extra.get(2)).getAddress());
  }

  /**
   * The worst case: a long zone, eight IPv6 candidates and a long AllowedIPs list. The answer
   * without EDNS never exceeds 512 bytes nor sets TC; candidates that do not fit are left out.
   */
  @Test
  void candidatesNeverPushTheAnswerPast512BytesWithoutEdns() throws Exception {
    String longZone = "a-rather-long-subdomain-label.of-a-company.internal.example.com";
    String[] allowed = IntStream.range(0, 6).mapToObj(i -> "10.244." + i + ".0/24").toArray(String[]::new);
    List<InetSocketAddress> eight = IntStream.range(0, HostCandidates.MAX)
        .mapToObj(i -> new InetSocketAddress(IpPrefix.parseAddress("2001:db8:200::" + (i + 1)), 51820)).toList();
    for (String zone : List.of(ZONE, longZone)) {
      ServedPeer wide = Peers.peer("203.0.113.11:41424", allowed).withCandidates(eight);
      ZoneIndex index = ZoneIndex.build(zone, List.of(wide), 1, List.of());
      byte[] wire = askWithoutEdns(index, wide, zone);
      assertTrue(wire.length <= 512, zone + ": " + wire.length + " bytes");
      Message m = new Message(wire);
      assertFalse(m.getHeader().getFlag(Flags.TC), zone);
      int candidates = m.getSection(Section.ANSWER).size() - 1;
      assertTrue(candidates < HostCandidates.MAX, zone + ": " + candidates + " candidates served");
      assertEquals(m.getSection(Section.ANSWER).size(), m.getSection(Section.ADDITIONAL).stream()
          .filter(r -> r instanceof ARecord || r instanceof AAAARecord).count(), "every served SRV has its address");
      assertWgsdClientReadsTheMapping(wire, "203.0.113.11", 41424);
    }
  }

  /**
   * With EDNS, as agents ask, the answer carries as many candidates as fit 1232 bytes: seven of
   * eight (SRV targets are never compressed, RFC 2782), and over TCP all of them.
   */
  @Test
  void ednsAnswersCarryTheCandidates() throws Exception {
    List<InetSocketAddress> eight = IntStream.range(0, HostCandidates.MAX)
        .mapToObj(i -> new InetSocketAddress(IpPrefix.parseAddress("10.201.0." + (i + 1)), 51820)).toList();
    ServedPeer peer = Peers.peer("203.0.113.11:41424", "10.0.0.1/32").withCandidates(eight);
    ZoneIndex index = ZoneIndex.build(ZONE, List.of(peer), 1, List.of());
    Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(DnsSdNames.instanceName(peer.key(), ZONE)), Type.SRV, DClass.IN));
    q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
    byte[] wire = q.toWire();
    byte[] out = new QueryProcessor(index, 1232, QueryObserver.NONE).process(wire, wire.length, QueryObserver.Transport.UDP);
    Message m = new Message(out);
    assertFalse(m.getHeader().getFlag(Flags.TC));
    assertEquals(HostCandidates.MAX, m.getSection(Section.ANSWER).size());
    assertTrue(out.length <= 1232);
    byte[] tcp = new QueryProcessor(index, 1232, QueryObserver.NONE).process(wire, wire.length, QueryObserver.Transport.TCP);
    assertEquals(1 + HostCandidates.MAX, new Message(tcp).getSection(Section.ANSWER).size());
  }

  /** wgsd-client's reading: Answer[0] must be the SRV, Extra[0] its A/AAAA, out of a 512-byte UDP reply. */
  static void assertWgsdClientReadsTheMapping(byte[] wire, String address, int port) throws Exception {
    assertTrue(wire.length <= 512);
    Message m = new Message(wire);
    SRVRecord srv = assertInstanceOf(SRVRecord.class, m.getSection(Section.ANSWER).get(0));
    org.xbill.DNS.Record extra = m.getSection(Section.ADDITIONAL).get(0);
    String host = extra instanceof ARecord a ? a.getAddress().getHostAddress() : ((AAAARecord) extra).getAddress().getHostAddress();
    assertEquals(address + ":" + port, host + ":" + srv.getPort());
  }

  @Test
  void aPeerWithoutCandidatesIsAnsweredAsBefore() throws Exception {
    ServedPeer bob = Peers.peer("198.51.100.7:51820", "10.0.0.2/32");
    Message m = new Message(askWithoutEdns(ZoneIndex.build(ZONE, List.of(bob), 1, List.of()), bob, ZONE));
    assertEquals(1, m.getSection(Section.ANSWER).size());
    assertEquals(2, m.getSection(Section.ADDITIONAL).size());
  }

  @Test
  void updatesFromAnUnknownSourceAreRefused() throws Exception {
    ServedPeer bob = Peers.peer("198.51.100.7:51820", "10.0.0.2/32");
    QueryProcessor processor = new QueryProcessor(ZoneIndex.build(ZONE, List.of(bob), 1, List.of()), 1232, QueryObserver.NONE);
    byte[] wire = HostCandidates.update(bob.key(), ZONE, eps("10.1.0.2:51820")).toWire();
    Message answer = new Message(processor.process(wire, wire.length, QueryObserver.Transport.UDP));
    assertEquals(org.xbill.DNS.Rcode.REFUSED, answer.getRcode());
    assertEquals(org.xbill.DNS.Opcode.UPDATE, answer.getHeader().getOpcode());
  }
}
