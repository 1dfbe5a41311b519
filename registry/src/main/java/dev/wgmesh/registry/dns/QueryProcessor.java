package dev.wgmesh.registry.dns;

import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.io.IOException;
import java.net.InetAddress;
import dev.wgmesh.core.key.WireGuardKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/**
 * Turns a query packet into a response packet. Answers come from {@link AnswerBuilder} only; this
 * class adds speed and robustness around it:
 *
 * <ul>
 *   <li>Fast path: the common query shape (one question, class IN, optional plain EDNS) is parsed
 *       by hand and answered from a cache of encoded responses, keyed by the lower-cased name,
 *       type, EDNS and size limit. The cached bytes are copied into the caller's buffer and
 *       patched with the query's ID, RD/CD and DO bits, and its question bytes copied verbatim, so
 *       0x20 case randomisation round-trips. A cached answer allocates nothing: the cache is
 *       probed with a per-thread key that reads the name from the packet.
 *   <li>Slow path: everything else is parsed by dnsjava and answered by the same builder.
 *   <li>Nothing escapes: a malformed packet gets FORMERR, or no answer when it has no header.
 * </ul>
 *
 * The cache belongs to one zone: {@link #update} replaces both, {@link #apply} changes some peers
 * and drops exactly the answers that may have changed with them.
 */
public final class QueryProcessor {
  private static final Logger log = LoggerFactory.getLogger(QueryProcessor.class);
  /** Bounds the cache under a flood of distinct names; past it, answers are built per query. */
  static final int MAX_CACHED_NAMES = 20_000;
  /** Bounds the answers cached for one name (types, EDNS sizes a client may vary). */
  static final int MAX_VARIANTS = 16;

  /** The largest DNS message, and so the size of a buffer any response fits in. */
  public static final int MAX_RESPONSE = 65535;

  private static final int HEADER = 12;
  private static final int TYPE_OPT = 41;

  /**
   * What the registry does with a DNS UPDATE (RFC 2136) from {@code source}: returns the rcode.
   * Without one, updates are refused.
   */
  public interface UpdateHandler {
    int apply(Message update, InetAddress source);
  }

  private final int maxUdpPayload;
  private final QueryObserver observer;
  private volatile UpdateHandler updates = (update, source) -> Rcode.REFUSED;
  private volatile Snapshot snapshot;
  private volatile long lastInternalErrorLog;
  private final ThreadLocal<Probe> probes = ThreadLocal.withInitial(Probe::new);

  public QueryProcessor(ZoneIndex index, int maxUdpPayload, QueryObserver observer) {
    this.maxUdpPayload = maxUdpPayload;
    this.observer = observer;
    this.snapshot = new Snapshot(index);
  }

  public void onUpdate(UpdateHandler handler) {
    this.updates = handler;
  }

  /** Swaps in a new zone; queries in flight finish on the old one. */
  public synchronized void update(ZoneIndex index) {
    this.snapshot = new Snapshot(index);
  }

  /**
   * Adds or replaces the peers in {@code changed}, removes those in {@code removed}, and sets the
   * SOA serial, in the zone being served. The next query sees the change: the cached answers at
   * the names of these peers are dropped, and those that depend on the whole zone (negative
   * answers carry the SOA; the PTR set lists every peer). Costs the changed peers' records only,
   * whatever the size of the zone.
   */
  public synchronized void apply(Collection<ServedPeer> changed, Collection<WireGuardKey> removed, long serial) {
    Snapshot current = snapshot;
    List<Name> touched = new ArrayList<>();
    for (ServedPeer peer : changed) {
      touched.addAll(current.index.put(peer, serial));
    }
    for (WireGuardKey key : removed) {
      touched.addAll(current.index.remove(key, serial));
    }
    current.version++; // before the caches are cleared: see fastPath
    current.zoneWide = new ConcurrentHashMap<>();
    for (Name name : touched) {
      current.byName.remove(CacheKey.of(name));
    }
  }

  public ZoneIndex index() {
    return snapshot.index;
  }

  /** The response to a packet from an unknown source (UPDATEs are refused), or null when it deserves none. */
  public byte[] process(byte[] packet, int length, Transport transport) {
    return process(packet, length, transport, null);
  }

  /**
   * The response to a packet from {@code source}, or null when the packet deserves none. Queries
   * never depend on the source; UPDATEs go to the {@link UpdateHandler}, which judges the sender.
   */
  public byte[] process(byte[] packet, int length, Transport transport, InetAddress source) {
    byte[] out = new byte[MAX_RESPONSE];
    int n = process(packet, length, transport, source, out);
    return n < 0 ? null : Arrays.copyOf(out, n);
  }

  /**
   * Writes the response to a packet from {@code source} into {@code out} (at least {@link
   * #MAX_RESPONSE} bytes) and returns its length, or -1 when the packet deserves no response.
   * A query answered from the cache allocates nothing.
   */
  public int process(byte[] packet, int length, Transport transport, InetAddress source, byte[] out) {
    if (length < HEADER || (packet[2] & 0x80) != 0) {
      observer.dropped(transport);
      return -1; // no header to answer, or a response (answering responses invites loops)
    }
    Snapshot current = snapshot;
    try {
      int fast = fastPath(current, packet, length, transport, out);
      return fast >= 0 ? fast : copy(slowPath(current, packet, length, transport, source), out);
    } catch (RuntimeException e) {
      // A bug must cost one answer, never the server: log at most once a minute.
      long now = System.currentTimeMillis();
      if (now - lastInternalErrorLog > 60_000) {
        lastInternalErrorLog = now;
        log.error("internal error answering a query; answering SERVFAIL", e);
      }
      System.arraycopy(packet, 0, out, 0, HEADER);
      out[2] = (byte) ((packet[2] & 0x79) | 0x80); // QR, keep opcode and RD
      out[3] = (byte) Rcode.SERVFAIL;
      Arrays.fill(out, 4, HEADER, (byte) 0);
      observer.answered(-1, Rcode.SERVFAIL, transport);
      return HEADER;
    }
  }

  private static int copy(byte[] response, byte[] out) {
    if (response == null) {
      return -1;
    }
    System.arraycopy(response, 0, out, 0, response.length);
    return response.length;
  }

  /** The response written to {@code out} and its length, or -1 when the slow path must answer. */
  private int fastPath(Snapshot current, byte[] p, int length, Transport transport, byte[] out) {
    int opcode = (p[2] >> 3) & 0xF;
    if (opcode != 0 || u16(p, 4) != 1 || u16(p, 6) != 0 || u16(p, 8) != 0 || u16(p, 10) > 1) {
      return -1;
    }
    int pos = HEADER;
    while (true) {
      if (pos >= length) {
        return -1;
      }
      int labelLength = p[pos] & 0xff;
      if (labelLength == 0) {
        pos++;
        break;
      }
      if (labelLength > 63) {
        return -1; // compression pointers have no place in a question
      }
      pos += 1 + labelLength;
    }
    int nameEnd = pos;
    if (nameEnd - HEADER > 255 || pos + 4 > length) {
      return -1;
    }
    int qtype = u16(p, pos);
    if (u16(p, pos + 2) != DClass.IN) {
      return -1;
    }
    pos += 4;
    boolean edns = false;
    boolean dnssecOk = false;
    int limit = AnswerBuilder.NO_EDNS_UDP_LIMIT;
    if (u16(p, 10) == 1) {
      if (pos + 11 > length || p[pos] != 0 || u16(p, pos + 1) != TYPE_OPT || p[pos + 6] != 0) {
        return -1; // not a plain version-0 OPT: let dnsjava judge it
      }
      edns = true;
      dnssecOk = (p[pos + 7] & 0x80) != 0;
      limit = Math.max(AnswerBuilder.NO_EDNS_UDP_LIMIT, Math.min(u16(p, pos + 3), maxUdpPayload));
      pos += 11 + u16(p, pos + 9);
    }
    if (pos != length) {
      return -1;
    }
    if (transport == Transport.TCP) {
      limit = AnswerBuilder.TCP_LIMIT;
    }
    // The version is read before the caches and the index: an answer built from an index that
    // changed meanwhile is taken out of the cache again (apply bumps the version first).
    long version = current.version;
    Map<CacheKey, Template[]> zoneWide = current.zoneWide;
    Probe probe = probes.get().set(p, nameEnd);
    Template template = find(current.byName.get(probe), qtype, edns, limit);
    if (template == null) {
      template = find(zoneWide.get(probe), qtype, edns, limit);
    }
    if (template == null) {
      template = buildTemplate(current.index, p, nameEnd, qtype, edns, limit);
      Map<CacheKey, Template[]> cache = template.byName ? current.byName : zoneWide;
      if (current.byName.size() + zoneWide.size() < MAX_CACHED_NAMES) {
        CacheKey key = probe.key();
        Template added = template;
        cache.merge(key, new Template[] {added}, (had, one) -> had.length < MAX_VARIANTS ? append(had, added) : had);
        if (current.version != version) {
          cache.remove(key);
        }
      }
    }
    byte[] bytes = template.bytes;
    System.arraycopy(bytes, 0, out, 0, bytes.length);
    out[0] = p[0];
    out[1] = p[1];
    out[2] |= (byte) (p[2] & 0x01); // RD
    out[3] |= (byte) (p[3] & 0x10); // CD
    System.arraycopy(p, HEADER, out, HEADER, nameEnd - HEADER);
    if (dnssecOk && template.doFlagOffset > 0) {
      out[template.doFlagOffset] |= (byte) 0x80;
    }
    observer.answered(qtype, template.rcode, transport);
    return bytes.length;
  }

  private Template buildTemplate(ZoneIndex index, byte[] p, int nameEnd, int qtype, boolean edns, int limit) {
    byte[] lowerName = Arrays.copyOfRange(p, HEADER, nameEnd);
    toLowerAscii(lowerName);
    Name name;
    try {
      name = new Name(lowerName);
    } catch (IOException e) {
      throw new IllegalStateException("question name passed the fast-path checks but not dnsjava's", e);
    }
    Message canonical = new Message(0);
    canonical.addRecord(org.xbill.DNS.Record.newRecord(name, qtype, DClass.IN), Section.QUESTION);
    if (edns) {
      canonical.addRecord(new OPTRecord(limit, 0, 0, 0), Section.ADDITIONAL);
    }
    byte[] bytes = AnswerBuilder.fit(AnswerBuilder.respond(canonical, index, maxUdpPayload), limit).toWire(limit);
    int n = bytes.length;
    boolean endsWithPlainOpt = edns && n >= HEADER + 11 && bytes[n - 11] == 0 && u16(bytes, n - 10) == TYPE_OPT;
    return new Template(bytes, bytes[3] & 0xF, endsWithPlainOpt ? n - 4 : -1, qtype, edns, limit, dependsOnNameOnly(index, name, bytes));
  }

  /**
   * True for a positive answer at a name below the apex other than the service name: it depends
   * only on the records of one peer (its SRV, TXT, addresses and candidates), so it is cached by
   * name and dropped when that peer changes. Everything else (negative answers carry the SOA and
   * its serial, the PTR set lists every peer, the apex holds the SOA) depends on the whole zone.
   */
  private static boolean dependsOnNameOnly(ZoneIndex index, Name name, byte[] response) {
    return (response[3] & 0xF) == Rcode.NOERROR && u16(response, 6) > 0 && u16(response, 8) == 0
        && index.inZone(name) && !name.equals(index.zone()) && !name.equals(index.serviceName());
  }

  private static Template find(Template[] templates, int qtype, boolean edns, int limit) {
    if (templates != null) {
      for (Template t : templates) {
        if (t.qtype == qtype && t.edns == edns && t.limit == limit) {
          return t;
        }
      }
    }
    return null;
  }

  private static Template[] append(Template[] had, Template one) {
    Template[] more = Arrays.copyOf(had, had.length + 1);
    more[had.length] = one;
    return more;
  }

  private byte[] slowPath(Snapshot current, byte[] packet, int length, Transport transport, InetAddress source) {
    byte[] data = Arrays.copyOf(packet, length);
    Message query;
    try {
      query = new Message(data);
    } catch (IOException | RuntimeException e) {
      Header header;
      try {
        header = new Header(data);
      } catch (IOException | RuntimeException unreadable) {
        observer.dropped(transport);
        return null;
      }
      observer.answered(-1, Rcode.FORMERR, transport);
      return AnswerBuilder.formatError(header).toWire();
    }
    if (query.getHeader().getOpcode() == Opcode.UPDATE) {
      int rcode = source == null ? Rcode.REFUSED : updates.apply(query, source);
      observer.answered(-1, rcode, transport);
      return AnswerBuilder.updateResponse(query, rcode).toWire();
    }
    Message response = AnswerBuilder.respond(query, current.index, maxUdpPayload);
    int limit = transport == Transport.TCP ? AnswerBuilder.TCP_LIMIT : AnswerBuilder.udpLimit(query, maxUdpPayload);
    org.xbill.DNS.Record question = query.getQuestion();
    observer.answered(question == null ? -1 : question.getType(), response.getRcode() & 0xF, transport);
    return AnswerBuilder.fit(response, limit).toWire(limit);
  }

  private static void toLowerAscii(byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = lower(bytes[i]);
    }
  }

  private static byte lower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
  }

  private static int u16(byte[] p, int offset) {
    return ((p[offset] & 0xff) << 8) | (p[offset + 1] & 0xff);
  }

  /** A cached answer, for one question type, EDNS flag and size limit. */
  private record Template(byte[] bytes, int rcode, int doFlagOffset, int qtype, boolean edns, int limit, boolean byName) {}

  /**
   * One zone and its cached answers, by lower-cased question name: those that depend only on that
   * name's peer ({@code byName}, dropped name by name), and those that depend on the whole zone
   * ({@code zoneWide}, replaced on every change).
   */
  private static final class Snapshot {
    final ZoneIndex index;
    final ConcurrentHashMap<CacheKey, Template[]> byName = new ConcurrentHashMap<>();
    volatile ConcurrentHashMap<CacheKey, Template[]> zoneWide = new ConcurrentHashMap<>();
    /** Bumped by every change; written by the one thread that holds the processor's lock. */
    volatile long version;

    Snapshot(ZoneIndex index) {
      this.index = index;
    }
  }

  /** A lower-cased question name in wire form: the key of the answers cached for it. */
  private static final class CacheKey {
    final byte[] name;
    final int hash;

    CacheKey(byte[] name) {
      this.name = name;
      this.hash = hash(name, 0, name.length);
    }

    static CacheKey of(Name name) {
      return new CacheKey(name.toWireCanonical()); // lower-cased, as the cache keys are
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CacheKey k && k.hash == hash && Arrays.equals(k.name, name);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** The hash of a name, lower-cased as it is read, so a probe and its key agree. */
  static int hash(byte[] bytes, int from, int to) {
    int h = 1;
    for (int i = from; i < to; i++) {
      h = 31 * h + lower(bytes[i]);
    }
    return h;
  }

  /**
   * The cache key of the question name in a packet, read in place: one per thread, reused for
   * every query. ConcurrentHashMap.get calls {@code probe.equals(storedKey)}, so a probe finds its
   * {@link CacheKey} although the two are different classes; a probe is never stored.
   */
  private static final class Probe {
    byte[] packet;
    int nameEnd;
    int hash;

    Probe set(byte[] p, int end) {
      packet = p;
      nameEnd = end;
      hash = hash(p, HEADER, end);
      return this;
    }

    /** A key to store, with its own copy of the lower-cased name. */
    CacheKey key() {
      byte[] name = Arrays.copyOfRange(packet, HEADER, nameEnd);
      toLowerAscii(name);
      return new CacheKey(name);
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof CacheKey k) || k.hash != hash || k.name.length != nameEnd - HEADER) {
        return false;
      }
      byte[] name = k.name;
      for (int i = 0; i < name.length; i++) {
        if (name[i] != lower(packet[HEADER + i])) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
