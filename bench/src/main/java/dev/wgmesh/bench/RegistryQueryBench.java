package dev.wgmesh.bench;

import com.sun.management.ThreadMXBean;
import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.registry.RegistryMetrics;
import dev.wgmesh.registry.dns.AnswerBuilder;
import dev.wgmesh.registry.dns.DnsServer;
import dev.wgmesh.registry.dns.QueryObserver.Transport;
import dev.wgmesh.registry.dns.QueryProcessor;
import dev.wgmesh.registry.dns.ServedPeer;
import dev.wgmesh.registry.dns.ZoneIndex;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Where the registry's time per DNS query goes, measured in process and by counting rather than
 * by the clock alone: the bytes a query allocates and the CPU time it takes, first through
 * {@link QueryProcessor} alone (the answer), then through {@link DnsServer} on loopback with one
 * UDP worker (answer plus the UDP path), by java.nio and by epoll, read from that worker thread's own counters
 * (ThreadMXBean), so the client's work is not counted. Queries are SRV for every peer in random
 * order without EDNS, as bench/registry-dns sends them with dnsperf.
 *
 * <p>Usage: {@code RegistryQueryBench [<peers> ...]} (default 10 1000 5000); system properties
 * {@code queries} (measured queries per part, default 2 000 000) and {@code warmup} (default
 * the same) and {@code processorOnly} (skip the UDP part).
 */
public final class RegistryQueryBench {
  static final String ZONE = "bench.wgmesh.test";
  static final int QUERIES = Integer.getInteger("queries", 2_000_000);
  static final int WARMUP = Integer.getInteger("warmup", QUERIES);
  static final int WINDOW = 64;
  static final boolean PROCESSOR_ONLY = Boolean.getBoolean("processorOnly");

  private RegistryQueryBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--help")) {
      System.out.println("usage: RegistryQueryBench [<peers> ...]   (-Dqueries=N -Dwarmup=N)");
      return;
    }
    List<Integer> counts = new ArrayList<>();
    for (String a : args) {
      counts.add(Integer.parseInt(a));
    }
    if (counts.isEmpty()) {
      counts = List.of(10, 1000, 5000);
    }
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    System.out.printf("%-6s %-10s %10s %12s %13s %8s %8s%n", "peers", "path", "B/query", "CPU ns/query", "user ns/query", "GCs", "GC ms");
    for (int n : counts) {
      List<ServedPeer> peers = peers(n);
      List<byte[]> queries = queries(peers);
      measureProcessor(threads, n, peers, queries);
      if (!PROCESSOR_ONLY) {
        measureUdp(threads, n, peers, queries, DnsServer.UdpIo.NIO);
        measureUdp(threads, n, peers, queries, DnsServer.UdpIo.EPOLL);
      }
    }
  }

  static List<ServedPeer> peers(int n) {
    List<ServedPeer> peers = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String endpoint = ((i % 2) == 1 ? "198.51.100." : "203.0.113.") + ((i - 1) / 2 % 254 + 1) + ":" + (10000 + i);
      String allowed = "10." + (i / 65536 % 256) + "." + (i / 256 % 256) + "." + (i % 256) + "/32";
      peers.add(new ServedPeer(KeyPair.generate().publicKey(), Endpoints.parse(endpoint), List.of(IpPrefix.parse(allowed))));
    }
    return peers;
  }

  /** One SRV query per peer, without EDNS, in random order. */
  static List<byte[]> queries(List<ServedPeer> peers) throws Exception {
    List<byte[]> queries = new ArrayList<>();
    Random random = new Random(1);
    for (ServedPeer p : peers) {
      Message q = new Message(random.nextInt(65536));
      q.addRecord(Record.newRecord(Name.fromString(DnsSdNames.instanceName(p.key(), ZONE)), Type.SRV, DClass.IN), Section.QUESTION);
      queries.add(q.toWire());
    }
    Collections.shuffle(queries, random);
    return queries;
  }

  static QueryProcessor processor(List<ServedPeer> peers, RegistryMetrics metrics) {
    ZoneIndex index = ZoneIndex.build(ZONE, peers, 1, List.of(InetAddress.getLoopbackAddress()));
    return new QueryProcessor(index, AnswerBuilder.DEFAULT_MAX_UDP_PAYLOAD, metrics);
  }

  static void measureProcessor(ThreadMXBean threads, int n, List<ServedPeer> peers, List<byte[]> queries) throws Exception {
    try (RegistryMetrics metrics = new RegistryMetrics()) {
      QueryProcessor processor = processor(peers, metrics);
      long sink = run(processor, queries, WARMUP);
      long id = Thread.currentThread().getId();
      Gc gc = Gc.now();
      Counters before = Counters.of(threads, id);
      sink += run(processor, queries, QUERIES);
      print(n, "processor", Counters.of(threads, id).minus(before), QUERIES, gc.since());
      if (sink == 42) {
        System.out.println(); // keeps the answers alive for the JIT
      }
    }
  }

  static long run(QueryProcessor processor, List<byte[]> queries, int count) {
    long sink = 0;
    byte[] out = new byte[QueryProcessor.MAX_RESPONSE];
    for (int i = 0; i < count; i++) {
      byte[] q = queries.get(i % queries.size());
      sink += processor.process(q, q.length, Transport.UDP, null, out);
    }
    return sink;
  }

  static void measureUdp(ThreadMXBean threads, int n, List<ServedPeer> peers, List<byte[]> queries, DnsServer.UdpIo io)
      throws Exception {
    try (RegistryMetrics metrics = new RegistryMetrics();
        DnsServer server = DnsServer.start(processor(peers, metrics), List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), 1, io);
        DatagramSocket client = new DatagramSocket()) {
      client.setSoTimeout(1000);
      client.connect(server.addresses().get(0));
      exchange(client, queries, WARMUP / 4); // the epoll thread starts with its socket
      long worker = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("dns-udp-") && t.isAlive()).findFirst().orElseThrow().getId();
      Gc gc = Gc.now();
      Counters before = Counters.of(threads, worker);
      int answered = exchange(client, queries, QUERIES / 4);
      print(n, "udp-" + io.name().toLowerCase(java.util.Locale.ROOT), Counters.of(threads, worker).minus(before), answered, gc.since());
    }
  }

  /** Sends in windows of {@link #WINDOW} queries and reads their answers; returns the answers read. */
  static int exchange(DatagramSocket client, List<byte[]> queries, int count) throws Exception {
    byte[] buffer = new byte[65535];
    DatagramPacket in = new DatagramPacket(buffer, buffer.length);
    int answered = 0;
    for (int sent = 0; sent < count; ) {
      int window = Math.min(WINDOW, count - sent);
      for (int i = 0; i < window; i++, sent++) {
        byte[] q = queries.get(sent % queries.size());
        client.send(new DatagramPacket(q, q.length));
      }
      try {
        for (int i = 0; i < window; i++) {
          in.setLength(buffer.length);
          client.receive(in);
          answered++;
        }
      } catch (SocketTimeoutException e) {
        // a lost datagram: go on with the next window
      }
    }
    return answered;
  }

  static void print(int n, String path, Counters c, int queries, String gc) {
    System.out.printf("%-6d %-10s %10.1f %12.0f %13.0f %s%n", n, path, (double) c.bytes / queries, (double) c.cpu / queries,
        (double) c.user / queries, gc);
  }

  /** A thread's allocated bytes, CPU time and user CPU time (the rest is the kernel's). */
  record Counters(long bytes, long cpu, long user) {
    static Counters of(ThreadMXBean threads, long id) {
      return new Counters(threads.getThreadAllocatedBytes(id), threads.getThreadCpuTime(id), threads.getThreadUserTime(id));
    }

    Counters minus(Counters o) {
      return new Counters(bytes - o.bytes, cpu - o.cpu, user - o.user);
    }
  }

  /** Collections and their time since a point. */
  record Gc(long count, long millis) {
    static Gc now() {
      long c = 0;
      long t = 0;
      for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
        c += b.getCollectionCount();
        t += b.getCollectionTime();
      }
      return new Gc(c, t);
    }

    String since() {
      Gc end = now();
      return String.format("%8d %8d", end.count - count, end.millis - millis);
    }
  }
}
