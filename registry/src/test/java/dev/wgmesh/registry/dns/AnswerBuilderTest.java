package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class AnswerBuilderTest {
  static final String ZONE = "mesh.example.com";
  final ServedPeer alice = Peers.peer("192.0.2.10:41424", "10.0.0.1/32", "10.244.1.0/24");
  final ServedPeer bob = Peers.peer("[2001:db8::b0b]:51820", "10.0.0.2/32");
  final ZoneIndex index = ZoneIndex.build(ZONE, List.of(alice, bob), 42, List.of(addr("10.0.0.254")));

  static InetAddress addr(String text) {
    return IpPrefix.parseAddress(text);
  }

  static Message ask(String name, int type) throws Exception {
    return Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN));
  }

  Message answer(String name, int type) throws Exception {
    return AnswerBuilder.respond(ask(name, type), index, 1232);
  }

  static List<org.xbill.DNS.Record> section(Message m, int section) {
    return m.getSection(section);
  }

  @Test
  void ptrListsEveryServedPeerInstance() throws Exception {
    Message m = answer("_wireguard._udp." + ZONE + ".", Type.PTR);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertTrue(m.getHeader().getFlag(Flags.AA));
    Set<String> targets = section(m, Section.ANSWER).stream()
        .map(r -> ((PTRRecord) r).getTarget().toString()).collect(Collectors.toSet());
    assertEquals(Set.of(DnsSdNames.instanceName(alice.key(), ZONE), DnsSdNames.instanceName(bob.key(), ZONE)), targets);
    section(m, Section.ANSWER).forEach(r -> assertEquals(0, r.getTTL(), "peer records are never cached"));
  }

  @Test
  void srvGivesPortTargetAndAddressThenTxtInAdditional() throws Exception {
    Message m = answer(DnsSdNames.instanceName(alice.key(), ZONE), Type.SRV);
    assertEquals(Rcode.NOERROR, m.getRcode());
    List<org.xbill.DNS.Record> answers = section(m, Section.ANSWER);
    assertEquals(1, answers.size());
    SRVRecord srv = (SRVRecord) answers.get(0);
    assertEquals(0, srv.getPriority());
    assertEquals(0, srv.getWeight());
    assertEquals(41424, srv.getPort());
    assertEquals(DnsSdNames.hostName(alice.key(), ZONE), srv.getTarget().toString());

    List<org.xbill.DNS.Record> extra = section(m, Section.ADDITIONAL);
    ARecord a = assertInstanceOf(ARecord.class, extra.get(0), "wgsd-client reads the first additional record as the address");
    assertEquals(addr("192.0.2.10"), a.getAddress());
    assertEquals(srv.getTarget(), a.getName());
    TXTRecord txt = assertInstanceOf(TXTRecord.class, extra.get(1));
    assertEquals(List.of("txtvers=1", "pub=" + alice.key().toBase64(), "allowed=10.0.0.1/32,10.244.1.0/24"), txt.getStrings());
  }

  @Test
  void srvOfIpv6PeerHasAaaaInAdditional() throws Exception {
    Message m = answer(DnsSdNames.instanceName(bob.key(), ZONE), Type.SRV);
    AAAARecord aaaa = assertInstanceOf(AAAARecord.class, section(m, Section.ADDITIONAL).get(0));
    assertEquals(addr("2001:db8::b0b"), aaaa.getAddress());
    assertEquals(51820, ((SRVRecord) section(m, Section.ANSWER).get(0)).getPort());
  }

  @Test
  void addressQueriesAnswerAtHostName() throws Exception {
    Message a = answer(DnsSdNames.hostName(alice.key(), ZONE), Type.A);
    assertEquals(addr("192.0.2.10"), ((ARecord) section(a, Section.ANSWER).get(0)).getAddress());
    Message aaaa = answer(DnsSdNames.hostName(bob.key(), ZONE), Type.AAAA);
    assertEquals(addr("2001:db8::b0b"), ((AAAARecord) section(aaaa, Section.ANSWER).get(0)).getAddress());
  }

  @Test
  void wrongAddressFamilyIsNodataWithSoa() throws Exception {
    Message m = answer(DnsSdNames.hostName(alice.key(), ZONE), Type.AAAA);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertTrue(section(m, Section.ANSWER).isEmpty());
    assertInstanceOf(SOARecord.class, section(m, Section.AUTHORITY).get(0));
  }

  @Test
  void txtQueryAnswersWithKeyAndAllowedIps() throws Exception {
    Message m = answer(DnsSdNames.instanceName(bob.key(), ZONE), Type.TXT);
    TXTRecord txt = (TXTRecord) section(m, Section.ANSWER).get(0);
    assertEquals(List.of("txtvers=1", "pub=" + bob.key().toBase64(), "allowed=10.0.0.2/32"), txt.getStrings());
  }

  @Test
  void unknownPeerIsNxdomainWithSoaInAuthority() throws Exception {
    String unknown = DnsSdNames.instanceName(Peers.peer("192.0.2.1:1").key(), ZONE);
    Message m = answer(unknown, Type.SRV);
    assertEquals(Rcode.NXDOMAIN, m.getRcode());
    assertTrue(m.getHeader().getFlag(Flags.AA));
    SOARecord soa = (SOARecord) section(m, Section.AUTHORITY).get(0);
    assertEquals(Name.fromString(ZONE + "."), soa.getName());
    assertEquals(0, soa.getMinimum(), "negative answers must not be cached: a peer may become fresh any second");
    assertEquals(42, soa.getSerial());
  }

  @Test
  void emptyNonTerminalIsNodataNotNxdomain() throws Exception {
    Message m = answer("_udp." + ZONE + ".", Type.A);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertTrue(section(m, Section.ANSWER).isEmpty());
  }

  @Test
  void apexServesSoaAndNsWithGlue() throws Exception {
    Message soa = answer(ZONE + ".", Type.SOA);
    assertInstanceOf(SOARecord.class, section(soa, Section.ANSWER).get(0));
    Message ns = answer(ZONE + ".", Type.NS);
    NSRecord nsRecord = (NSRecord) section(ns, Section.ANSWER).get(0);
    ARecord glue = (ARecord) section(ns, Section.ADDITIONAL).get(0);
    assertEquals(nsRecord.getTarget(), glue.getName());
    assertEquals(addr("10.0.0.254"), glue.getAddress());
  }

  @Test
  void namesOutsideTheZoneAreRefused() throws Exception {
    Message m = answer("example.org.", Type.A);
    assertEquals(Rcode.REFUSED, m.getRcode());
    assertFalse(m.getHeader().getFlag(Flags.AA));
  }

  @Test
  void zoneTransfersAreRefused() throws Exception {
    assertEquals(Rcode.REFUSED, answer(ZONE + ".", Type.AXFR).getRcode());
  }

  @Test
  void otherOpcodesAreNotImplemented() throws Exception {
    Message q = ask(ZONE + ".", Type.SOA);
    q.getHeader().setOpcode(Opcode.UPDATE);
    assertEquals(Rcode.NOTIMP, AnswerBuilder.respond(q, index, 1232).getRcode());
  }

  @Test
  void mixedCaseQuestionIsAnsweredAndEchoedVerbatim() throws Exception {
    String name = DnsSdNames.instanceName(alice.key(), ZONE).toUpperCase();
    Message m = answer(name, Type.SRV);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertEquals(name, m.getQuestion().getName().toString());
  }

  @Test
  void ednsQueryGetsOptLastWithAdvertisedSizeAndDoBitCopied() throws Exception {
    Message q = ask(DnsSdNames.instanceName(alice.key(), ZONE), Type.SRV);
    q.addRecord(new OPTRecord(4096, 0, 0, org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);
    Message m = AnswerBuilder.respond(q, index, 1232);
    List<org.xbill.DNS.Record> extra = section(m, Section.ADDITIONAL);
    assertInstanceOf(ARecord.class, extra.get(0));
    OPTRecord opt = m.getOPT();
    assertEquals(1232, opt.getPayloadSize());
    assertEquals(org.xbill.DNS.ExtendedFlags.DO, opt.getFlags() & org.xbill.DNS.ExtendedFlags.DO);
    assertEquals(1232, AnswerBuilder.udpLimit(q, 1232));
  }

  @Test
  void unsupportedEdnsVersionIsBadvers() throws Exception {
    Message q = ask(ZONE + ".", Type.SOA);
    q.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
    Message m = AnswerBuilder.respond(q, index, 1232);
    assertEquals(Rcode.BADVERS, m.getRcode());
  }

  @Test
  void srvAnswerWithAddressAndTxtFitsWgsdClients512ByteBuffer() throws Exception {
    Message m = answer(DnsSdNames.instanceName(alice.key(), ZONE), Type.SRV);
    byte[] wire = m.toWire(512);
    assertTrue(wire.length <= 512);
    Message back = new Message(wire);
    assertFalse(back.getHeader().getFlag(Flags.TC));
    assertEquals(2, back.getSection(Section.ADDITIONAL).size());
  }

  @Test
  void longAllowedIpListsAreSplitAcrossTxtStrings() {
    String[] many = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "10.250." + i + ".0/24").toArray(String[]::new);
    ServedPeer wide = Peers.peer("192.0.2.9:1000", many);
    List<String> strings = ZoneIndex.txt(wide);
    assertTrue(strings.size() > 3);
    strings.forEach(s -> assertTrue(s.length() <= 255));
    String joined = strings.stream().filter(s -> s.startsWith("allowed="))
        .map(s -> s.substring("allowed=".length())).collect(Collectors.joining(","));
    assertEquals(String.join(",", many), joined);
  }

  @Test
  void badZoneNamesAreRejectedWithAMessage() {
    for (String bad : new String[] {"", ".", "a..b", "x".repeat(64) + ".com"}) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ZoneIndex.parseZone(bad));
      assertTrue(e.getMessage().contains("zone"), e.getMessage());
    }
  }

  @Test
  void encodedSrvAnswerIsStableAcrossBuilds() throws Exception {
    ZoneIndex again = ZoneIndex.build(ZONE, List.of(bob, alice), 42, List.of(addr("10.0.0.254")));
    Message q = ask(DnsSdNames.instanceName(alice.key(), ZONE), Type.SRV);
    assertArrayEquals(AnswerBuilder.respond(q, index, 1232).toWire(), AnswerBuilder.respond(q, again, 1232).toWire());
  }
}
