package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class QueryProcessorTest {
  static final String ZONE = "wg.example.net";
  final List<ServedPeer> peers = Peers.many(40);
  final ZoneIndex index = ZoneIndex.build(ZONE, peers, 7, List.of());
  final List<int[]> observed = new ArrayList<>();
  final QueryProcessor processor = new QueryProcessor(index, 1232, new QueryObserver() {
    @Override
    public void answered(int qtype, int rcode, Transport transport) {
      observed.add(new int[] {qtype, rcode});
    }

    @Override
    public void dropped(Transport transport) {
      observed.add(new int[] {-2, -2});
    }
  });

  static byte[] query(String name, int type, int id, Integer ednsPayload, boolean dnssecOk) throws Exception {
    Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN));
    q.getHeader().setID(id);
    if (ednsPayload != null) {
      q.addRecord(new OPTRecord(ednsPayload, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
    }
    return q.toWire();
  }

  byte[] process(byte[] q, Transport t) {
    return processor.process(q, q.length, t);
  }

  /** What the plain dnsjava path answers: the reference the fast path must match byte for byte. */
  byte[] reference(byte[] q, Transport t) throws Exception {
    Message parsed = new Message(q);
    int limit = t == Transport.TCP ? AnswerBuilder.TCP_LIMIT : AnswerBuilder.udpLimit(parsed, 1232);
    return AnswerBuilder.respond(parsed, index, 1232).toWire(limit);
  }

  static String randomCase(String s, Random random) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
    }
    return b.toString();
  }

  @Test
  void fastPathMatchesReferenceForEveryShapeOfQuery() throws Exception {
    Random random = new Random(1);
    List<String> names = new ArrayList<>();
    names.add(DnsSdNames.serviceName(ZONE));
    names.add(DnsSdNames.zone(ZONE));
    names.add("nope." + DnsSdNames.zone(ZONE));
    names.add("outside.example.org.");
    for (ServedPeer p : peers.subList(0, 5)) {
      names.add(DnsSdNames.instanceName(p.key(), ZONE));
      names.add(DnsSdNames.hostName(p.key(), ZONE));
    }
    int[] types = {Type.PTR, Type.SRV, Type.TXT, Type.A, Type.AAAA, Type.SOA, Type.NS, Type.ANY, Type.MX};
    Integer[] edns = {null, 512, 1232, 4096};
    for (String name : names) {
      for (int type : types) {
        for (Integer payload : edns) {
          for (Transport t : Transport.values()) {
            // Twice: the first builds the cached template, the second is served from it.
            for (int round = 0; round < 2; round++) {
              byte[] q = query(randomCase(name, random), type, random.nextInt(65536), payload, random.nextBoolean());
              assertArrayEquals(reference(q, t), process(q, t), name + " " + Type.string(type) + " edns=" + payload + " " + t);
            }
          }
        }
      }
    }
  }

  @Test
  void questionCaseIsCopiedBitForBit() throws Exception {
    String name = randomCase(DnsSdNames.instanceName(peers.get(3).key(), ZONE), new Random(5));
    byte[] q = query(name, Type.SRV, 4711, null, false);
    Message r = new Message(process(q, Transport.UDP));
    assertEquals(name, r.getQuestion().getName().toString());
    assertEquals(4711, r.getHeader().getID());
    assertEquals(Rcode.NOERROR, r.getRcode());
  }

  @Test
  void largeAnswerIsTruncatedOverUdpAndCompleteOverTcp() throws Exception {
    byte[] q = query(DnsSdNames.serviceName(ZONE), Type.PTR, 1, 1232, false);
    byte[] udp = process(q, Transport.UDP);
    assertTrue(udp.length <= 1232);
    Message truncated = new Message(udp);
    assertTrue(truncated.getHeader().getFlag(Flags.TC));
    Message full = new Message(process(q, Transport.TCP));
    assertFalse(full.getHeader().getFlag(Flags.TC));
    assertEquals(peers.size(), full.getSection(Section.ANSWER).size());

    byte[] plain = process(query(DnsSdNames.serviceName(ZONE), Type.PTR, 2, null, false), Transport.UDP);
    assertTrue(plain.length <= 512, "no EDNS: 512 bytes at most");
    assertTrue(new Message(plain).getHeader().getFlag(Flags.TC));
  }

  @Test
  void packetsWithoutAHeaderOrThatAreResponsesGetNoAnswer() throws Exception {
    assertNull(processor.process(new byte[5], 5, Transport.UDP));
    byte[] response = process(query(DnsSdNames.zone(ZONE), Type.SOA, 9, null, false), Transport.UDP);
    assertNull(process(response, Transport.UDP), "answering responses would let two servers loop");
  }

  @Test
  void malformedBodyIsFormerrWithTheQueryId() {
    byte[] q = new byte[20];
    q[0] = 0x12;
    q[1] = 0x34;
    q[5] = 1; // one question...
    q[12] = 40; // ...whose first label runs past the end of the packet
    Message r = parse(process(q, Transport.UDP));
    assertEquals(Rcode.FORMERR, r.getRcode());
    assertEquals(0x1234, r.getHeader().getID());
    assertTrue(r.getHeader().getFlag(Flags.QR));
  }

  @Test
  void newZoneReplacesCachedAnswers() throws Exception {
    ServedPeer p = peers.get(0);
    byte[] q = query(DnsSdNames.hostName(p.key(), ZONE), Type.A, 1, null, false);
    assertEquals(Rcode.NOERROR, parse(process(q, Transport.UDP)).getRcode());
    processor.update(ZoneIndex.build(ZONE, peers.subList(1, peers.size()), 8, List.of()));
    assertEquals(Rcode.NXDOMAIN, parse(process(q, Transport.UDP)).getRcode(), "a withheld peer must vanish at once");
  }

  @Test
  void changedPeersReplaceExactlyTheirCachedAnswers() throws Exception {
    ServedPeer gone = peers.get(0);
    ServedPeer moved = peers.get(1);
    ServedPeer kept = peers.get(2);
    ServedPeer added = Peers.peer("203.0.113.77:4242", "10.98.0.1/32");
    byte[] goneA = query(DnsSdNames.hostName(gone.key(), ZONE), Type.A, 1, null, false);
    byte[] movedSrv = query(DnsSdNames.instanceName(moved.key(), ZONE), Type.SRV, 2, 1232, false);
    byte[] keptSrv = query(DnsSdNames.instanceName(kept.key(), ZONE), Type.SRV, 3, null, false);
    byte[] addedTxt = query(DnsSdNames.instanceName(added.key(), ZONE), Type.TXT, 4, null, false);
    byte[] ptr = query(DnsSdNames.serviceName(ZONE), Type.PTR, 5, null, false);
    byte[] keptBefore = process(keptSrv, Transport.UDP);
    for (byte[] q : List.of(goneA, movedSrv, addedTxt, ptr)) {
      process(q, Transport.TCP); // cache every answer first
    }
    ServedPeer movedNow = new ServedPeer(moved.key(), Endpoints.parse("198.51.100.200:999"), moved.allowedIps());
    processor.apply(List.of(movedNow, added), List.of(gone.key()), 8);

    assertEquals(Rcode.NXDOMAIN, parse(process(goneA, Transport.UDP)).getRcode(), "a removed peer vanishes at once");
    assertEquals(999, ((org.xbill.DNS.SRVRecord) parse(process(movedSrv, Transport.UDP)).getSection(Section.ANSWER).get(0)).getPort());
    assertEquals(Rcode.NOERROR, parse(process(addedTxt, Transport.UDP)).getRcode(), "a cached NXDOMAIN goes with the change");
    assertEquals(peers.size(), parse(process(ptr, Transport.TCP)).getSection(Section.ANSWER).size(), "one gone, one added");
    assertArrayEquals(keptBefore, process(keptSrv, Transport.UDP), "other peers' answers stay as they were");
    for (byte[] q : List.of(goneA, movedSrv, keptSrv, addedTxt, ptr)) {
      for (Transport t : Transport.values()) {
        assertArrayEquals(reference(q, t), process(q, t), "after the change, every answer is the index's");
      }
    }
  }

  @Test
  void observerSeesTypeAndRcodeOfEachQuery() throws Exception {
    process(query(DnsSdNames.zone(ZONE), Type.SOA, 1, null, false), Transport.UDP);
    process(query("other.org.", Type.A, 2, null, false), Transport.UDP);
    process(new byte[3], Transport.UDP);
    assertArrayEquals(new int[] {Type.SOA, Rcode.NOERROR}, observed.get(0));
    assertArrayEquals(new int[] {Type.A, Rcode.REFUSED}, observed.get(1));
    assertArrayEquals(new int[] {-2, -2}, observed.get(2));
  }

  static Message parse(byte[] wire) {
    try {
      return new Message(wire);
    } catch (Exception e) {
      throw new AssertionError("unparseable response " + Arrays.toString(wire), e);
    }
  }
}
