package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.util.ArrayList;
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

/**
 * Random and mutated packets never crash or stall the processor, and every answer it gives is a
 * well-formed response to the packet's ID. Seeds are fixed so a failure can be replayed.
 */
class QueryFuzzTest {
  static final String ZONE = "fuzz.example";
  final List<ServedPeer> peers = Peers.many(30);
  /** SERVFAIL comes only from the processor's safety net: seeing one means a bug was hit. */
  final QueryProcessor processor = new QueryProcessor(ZoneIndex.build(ZONE, peers, 1, List.of()), 1232, new QueryObserver() {
    @Override
    public void answered(int qtype, int rcode, Transport transport) {
      assertTrue(rcode != Rcode.SERVFAIL, "internal error while answering a fuzzed packet (see the log)");
    }

    @Override
    public void dropped(Transport transport) {}
  });

  List<byte[]> validQueries() throws Exception {
    List<byte[]> out = new ArrayList<>();
    int[] types = {Type.PTR, Type.SRV, Type.TXT, Type.A, Type.AAAA, Type.SOA, Type.ANY};
    String[] names = {
      DnsSdNames.serviceName(ZONE), DnsSdNames.instanceName(peers.get(0).key(), ZONE),
      DnsSdNames.hostName(peers.get(1).key(), ZONE), DnsSdNames.zone(ZONE), "x.y.z."
    };
    for (String n : names) {
      for (int t : types) {
        Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(n), t, DClass.IN));
        out.add(q.toWire());
        q.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        out.add(q.toWire());
      }
    }
    return out;
  }

  void check(byte[] packet) {
    for (Transport t : Transport.values()) {
      byte[] response = processor.process(packet, packet.length, t);
      if (response == null) {
        assertTrue(packet.length < 12 || (packet[2] & 0x80) != 0, "only header-less packets and responses go unanswered");
        continue;
      }
      Message parsed;
      try {
        parsed = new Message(response);
      } catch (Exception e) {
        throw new AssertionError("unparseable response to a fuzzed packet", e);
      }
      assertTrue(parsed.getHeader().getFlag(Flags.QR));
      assertEquals(((packet[0] & 0xff) << 8) | (packet[1] & 0xff), parsed.getHeader().getID());
      assertTrue(response.length <= (t == Transport.UDP ? 1232 : 65535));
    }
  }

  @Test
  void randomPacketsOfEveryLength() {
    Random random = new Random(20261124);
    for (int i = 0; i < 20_000; i++) {
      byte[] packet = new byte[random.nextInt(600)];
      random.nextBytes(packet);
      if (random.nextBoolean() && packet.length > 2) {
        packet[2] &= 0x7f; // make most of them look like queries so they reach the parsers
      }
      check(packet);
    }
  }

  @Test
  void mutatedValidQueries() throws Exception {
    Random random = new Random(42);
    List<byte[]> seeds = validQueries();
    for (int i = 0; i < 30_000; i++) {
      byte[] packet = seeds.get(random.nextInt(seeds.size())).clone();
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations; m++) {
        switch (random.nextInt(4)) {
          case 0 -> packet[random.nextInt(packet.length)] = (byte) random.nextInt(256);
          case 1 -> packet[random.nextInt(packet.length)] ^= (byte) (1 << random.nextInt(8));
          case 2 -> packet = java.util.Arrays.copyOf(packet, Math.max(0, packet.length - 1 - random.nextInt(10)));
          default -> {
            byte[] longer = java.util.Arrays.copyOf(packet, packet.length + 1 + random.nextInt(20));
            for (int j = packet.length; j < longer.length; j++) {
              longer[j] = (byte) random.nextInt(256);
            }
            packet = longer;
          }
        }
        if (packet.length == 0) {
          break;
        }
      }
      check(packet);
    }
  }

  @Test
  void hostilePacketsOverTheWireLeaveTheServerAnswering() throws Exception {
    try (DnsServer server = DnsServer.start(processor, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), 2);
        DatagramSocket client = new DatagramSocket()) {
      InetSocketAddress at = server.addresses().get(0);
      Random random = new Random(7);
      for (int i = 0; i < 5_000; i++) {
        byte[] junk = new byte[random.nextInt(1500)];
        random.nextBytes(junk);
        client.send(new DatagramPacket(junk, junk.length, at));
      }
      // Drain the answers to the junk (the socket buffer would drop ours otherwise), then a real
      // query after the flood is still answered correctly.
      DatagramPacket drain = new DatagramPacket(new byte[65535], 65535);
      client.setSoTimeout(500);
      try {
        while (true) {
          client.receive(drain);
        }
      } catch (java.net.SocketTimeoutException drained) {
        // nothing more in flight
      }
      client.setSoTimeout(5000);
      Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(DnsSdNames.zone(ZONE)), Type.SOA, DClass.IN));
      q.getHeader().setID(31337);
      byte[] wire = q.toWire();
      client.send(new DatagramPacket(wire, wire.length, at));
      DatagramPacket in = new DatagramPacket(new byte[65535], 65535);
      Message answer;
      do {
        client.receive(in);
        answer = parseOrNull(java.util.Arrays.copyOf(in.getData(), in.getLength()));
      } while (answer == null || answer.getHeader().getID() != 31337 || !answer.getHeader().getFlag(Flags.AA));
      assertEquals(Rcode.NOERROR, answer.getRcode());
    }
  }

  static Message parseOrNull(byte[] wire) {
    try {
      return new Message(wire);
    } catch (Exception e) {
      return null;
    }
  }
}
