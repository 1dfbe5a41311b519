package dev.wgmesh.registry.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.registry.dns.DnsServer.UdpIo;
import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The UDP transports of {@link DnsServer} over real sockets: java.nio and epoll (Netty's native
 * transport, with batched receive and send) answer every query exactly as the processor does,
 * truncation and EDNS included, drop what deserves no answer, survive junk, and leave TCP alone.
 */
class DnsServerUdpTest {
  static final String ZONE = "udp.example";
  /** 12 peers: the PTR listing (~850 bytes) needs EDNS to fit UDP, and TCP without it. */
  final List<ServedPeer> peers = Peers.many(12);
  final QueryProcessor processor = new QueryProcessor(ZoneIndex.build(ZONE, peers, 1, List.of()), 1232, QueryObserver.NONE);

  static DnsServer start(QueryProcessor processor, UdpIo io, int workers) throws Exception {
    if (io == UdpIo.EPOLL) {
      assumeTrue(EpollUdp.unavailableBecause() == null, "Netty's epoll transport does not load on this machine");
    }
    return DnsServer.start(processor, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), workers, io);
  }

  static byte[] query(String name, int type, int id, Integer ednsPayload) throws Exception {
    Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    q.getHeader().setID(id);
    if (ednsPayload != null) {
      q.addRecord(new OPTRecord(ednsPayload, 0, 0), Section.ADDITIONAL);
    }
    return q.toWire();
  }

  static byte[] exchange(DatagramSocket client, InetSocketAddress at, byte[] query) throws Exception {
    client.send(new DatagramPacket(query, query.length, at));
    DatagramPacket in = new DatagramPacket(new byte[65535], 65535);
    client.receive(in);
    return Arrays.copyOf(in.getData(), in.getLength());
  }

  @ParameterizedTest
  @EnumSource(value = UdpIo.class, names = {"NIO", "EPOLL"})
  void answersAsTheProcessorDoesTruncationAndEdnsIncluded(UdpIo io) throws Exception {
    try (DnsServer server = start(processor, io, 2); DatagramSocket client = new DatagramSocket()) {
      assertEquals(io, server.udpIo());
      client.setSoTimeout(5000);
      InetSocketAddress at = server.addresses().get(0);
      int id = 1;
      for (String name : List.of(DnsSdNames.instanceName(peers.get(3).key(), ZONE), DnsSdNames.serviceName(ZONE),
          DnsSdNames.hostName(peers.get(5).key(), ZONE), DnsSdNames.zone(ZONE), "nothing.here." + ZONE + ".")) {
        for (int type : new int[] {Type.SRV, Type.TXT, Type.PTR, Type.A, Type.SOA}) {
          for (Integer edns : new Integer[] {null, 512, 1232, 4096}) {
            byte[] q = query(name, type, id++, edns);
            assertArrayEquals(processor.process(q, q.length, Transport.UDP, InetAddress.getLoopbackAddress()),
                exchange(client, at, q), name + " " + Type.string(type) + " EDNS " + edns);
          }
        }
      }
      // What that means for the listing: cut without EDNS, whole with it.
      Message plain = new Message(exchange(client, at, query(DnsSdNames.serviceName(ZONE), Type.PTR, 7, null)));
      assertTrue(plain.getHeader().getFlag(Flags.TC));
      assertEquals(0, plain.getSection(Section.ANSWER).size());
      Message edns = new Message(exchange(client, at, query(DnsSdNames.serviceName(ZONE), Type.PTR, 8, 1232)));
      assertFalse(edns.getHeader().getFlag(Flags.TC));
      assertEquals(peers.size(), edns.getSection(Section.ANSWER).size());
    }
  }

  @ParameterizedTest
  @EnumSource(value = UdpIo.class, names = {"NIO", "EPOLL"})
  void aBurstIsAnsweredEveryQueryToItsOwnId(UdpIo io) throws Exception {
    try (DnsServer server = start(processor, io, 1); DatagramSocket client = new DatagramSocket()) {
      client.setSoTimeout(5000);
      client.setReceiveBufferSize(1 << 20);
      InetSocketAddress at = server.addresses().get(0);
      Map<Integer, ServedPeer> asked = new HashMap<>();
      for (int id = 0; id < 300; id++) { // more than one recvmmsg batch and one wake-up's reads
        ServedPeer peer = peers.get(id % peers.size());
        asked.put(id, peer);
        byte[] q = query(DnsSdNames.instanceName(peer.key(), ZONE), Type.SRV, id, null);
        client.send(new DatagramPacket(q, q.length, at));
      }
      DatagramPacket in = new DatagramPacket(new byte[65535], 65535);
      while (!asked.isEmpty()) {
        client.receive(in);
        Message answer = new Message(Arrays.copyOf(in.getData(), in.getLength()));
        ServedPeer peer = asked.remove(answer.getHeader().getID());
        assertTrue(peer != null, "an answer to an ID not asked, or answered twice: " + answer.getHeader().getID());
        assertEquals(Rcode.NOERROR, answer.getRcode());
        assertEquals(Name.fromString(DnsSdNames.instanceName(peer.key(), ZONE)), answer.getQuestion().getName());
        assertEquals(peer.endpoint().getPort(),
            ((org.xbill.DNS.SRVRecord) answer.getSection(Section.ANSWER).get(0)).getPort());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = UdpIo.class, names = {"NIO", "EPOLL"})
  void dropsWhatDeservesNoAnswerAndSurvivesJunk(UdpIo io) throws Exception {
    try (DnsServer server = start(processor, io, 2); DatagramSocket client = new DatagramSocket()) {
      InetSocketAddress at = server.addresses().get(0);
      // No header, and a response (answering responses invites loops): no answer at all.
      client.setSoTimeout(300);
      for (byte[] silent : List.of(new byte[0], new byte[5], responseTo(query(DnsSdNames.zone(ZONE), Type.SOA, 9, null)))) {
        client.send(new DatagramPacket(silent, silent.length, at));
        assertThrows(SocketTimeoutException.class, () -> client.receive(new DatagramPacket(new byte[65535], 65535)));
      }
      // Junk of every length up to past the epoll receive slot, then a real query still works.
      Random random = new Random(11);
      for (int i = 0; i < 2000; i++) {
        byte[] junk = new byte[i == 0 ? EpollUdp.MAX_QUERY + 100 : random.nextInt(1500)];
        random.nextBytes(junk);
        client.send(new DatagramPacket(junk, junk.length, at));
      }
      try {
        while (true) {
          client.receive(new DatagramPacket(new byte[65535], 65535)); // FORMERRs to the junk
        }
      } catch (SocketTimeoutException drained) {
        // nothing more in flight
      }
      client.setSoTimeout(5000);
      Message answer;
      do {
        answer = QueryFuzzTest.parseOrNull(exchange(client, at, query(DnsSdNames.zone(ZONE), Type.SOA, 4242, null)));
      } while (answer == null || answer.getHeader().getID() != 4242 || !answer.getHeader().getFlag(Flags.AA));
      assertEquals(Rcode.NOERROR, answer.getRcode());
    }
  }

  @ParameterizedTest
  @EnumSource(value = UdpIo.class, names = {"NIO", "EPOLL"})
  void tcpServesWhatUdpCannot(UdpIo io) throws Exception {
    try (DnsServer server = start(processor, io, 1); Socket socket = new Socket()) {
      socket.connect(server.addresses().get(0), 5000);
      socket.setSoTimeout(5000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      for (int id : new int[] {21, 22}) { // two queries on one connection
        byte[] q = query(DnsSdNames.serviceName(ZONE), Type.PTR, id, null);
        out.writeShort(q.length);
        out.write(q);
        out.flush();
        byte[] response = new byte[in.readUnsignedShort()];
        in.readFully(response);
        assertArrayEquals(processor.process(q, q.length, Transport.TCP, InetAddress.getLoopbackAddress()), response);
        Message answer = new Message(response);
        assertFalse(answer.getHeader().getFlag(Flags.TC));
        assertEquals(peers.size(), answer.getSection(Section.ANSWER).size());
      }
    }
  }

  @Test
  void autoServesWithEpollWhereItLoads() throws Exception {
    assumeTrue(EpollUdp.unavailableBecause() == null, "Netty's epoll transport does not load on this machine");
    try (DnsServer server = start(processor, UdpIo.AUTO, 1)) {
      assertEquals(UdpIo.EPOLL, server.udpIo());
    }
  }

  @Test
  void aSecondServerOnTheSamePortFailsWithBothTransports() throws Exception {
    for (UdpIo io : List.of(UdpIo.NIO, UdpIo.AUTO)) {
      try (DnsServer first = start(processor, io, 2)) {
        InetSocketAddress taken = first.addresses().get(0);
        DnsServer.ListenException e = assertThrows(DnsServer.ListenException.class,
            () -> DnsServer.start(processor, List.of(taken), 2, io));
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
      }
    }
  }

  /**
   * Where Netty's native library cannot load (simulated with Netty's own switch in a JVM of its
   * own), {@code auto} serves through java.nio and still answers, and {@code epoll} refuses to start
   * with a one-line reason.
   */
  @Test
  void withoutTheNativeLibraryAutoFallsBackAndEpollFailsClearly() throws Exception {
    assertEquals("NIO answered", runWithoutNative("AUTO"));
    String epoll = runWithoutNative("EPOLL");
    assertTrue(epoll.startsWith("cannot serve UDP with epoll: Netty's native transport does not load here ("), epoll);
    assertFalse(epoll.contains("\n"), epoll);
  }

  static String runWithoutNative(String io) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dio.netty.transport.noNative=true", "-cp", System.getProperty("java.class.path"), WithoutNative.class.getName(), io)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    return out;
  }

  /** Starts a server with the UdpIo of args[0] and prints how it serves, or why it cannot. */
  public static final class WithoutNative {
    public static void main(String[] args) throws Exception {
      DnsServerUdpTest t = new DnsServerUdpTest();
      try (DnsServer server = DnsServer.start(t.processor, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), 1,
          UdpIo.valueOf(args[0])); DatagramSocket client = new DatagramSocket()) {
        client.setSoTimeout(5000);
        Message m = new Message(exchange(client, server.addresses().get(0), query(DnsSdNames.zone(ZONE), Type.SOA, 5, null)));
        System.out.println(server.udpIo() + (m.getRcode() == Rcode.NOERROR ? " answered" : " failed"));
      } catch (DnsServer.ListenException e) {
        System.out.println(e.getMessage());
      }
    }
  }

  static byte[] responseTo(byte[] query) {
    byte[] r = query.clone();
    r[2] |= (byte) 0x80;
    return r;
  }
}
