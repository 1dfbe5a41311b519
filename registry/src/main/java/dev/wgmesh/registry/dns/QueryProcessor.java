package dev.wgmesh.registry.dns;

import dev.wgmesh.registry.dns.QueryObserver.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Arrays;
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
 *       type, EDNS and size limit. The cached bytes are patched with the query's ID, RD/CD and DO
 *       bits, and its question bytes copied verbatim, so 0x20 case randomisation round-trips.
 *   <li>Slow path: everything else is parsed by dnsjava and answered by the same builder.
 *   <li>Nothing escapes: a malformed packet gets FORMERR, or no answer when it has no header.
 * </ul>
 *
 * The cache belongs to one zone snapshot and is dropped with it when the served peers change.
 */
public final class QueryProcessor {
  private static final Logger log = LoggerFactory.getLogger(QueryProcessor.class);
  /** Bounds the cache under a flood of distinct names; past it, answers are built per query. */
  static final int MAX_CACHED_RESPONSES = 20_000;

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

  public QueryProcessor(ZoneIndex index, int maxUdpPayload, QueryObserver observer) {
    this.maxUdpPayload = maxUdpPayload;
    this.observer = observer;
    this.snapshot = new Snapshot(index);
  }

  public void onUpdate(UpdateHandler handler) {
    this.updates = handler;
  }

  /** Swaps in a new zone; queries in flight finish on the old one. */
  public void update(ZoneIndex index) {
    this.snapshot = new Snapshot(index);
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
    if (length < HEADER || (packet[2] & 0x80) != 0) {
      observer.dropped(transport);
      return null; // no header to answer, or a response (answering responses invites loops)
    }
    Snapshot current = snapshot;
    try {
      byte[] fast = fastPath(current, packet, length, transport);
      return fast != null ? fast : slowPath(current, packet, length, transport, source);
    } catch (RuntimeException e) {
      // A bug must cost one answer, never the server: log at most once a minute.
      long now = System.currentTimeMillis();
      if (now - lastInternalErrorLog > 60_000) {
        lastInternalErrorLog = now;
        log.error("internal error answering a query; answering SERVFAIL", e);
      }
      byte[] fail = Arrays.copyOf(packet, HEADER);
      fail[2] = (byte) ((packet[2] & 0x79) | 0x80); // QR, keep opcode and RD
      fail[3] = (byte) Rcode.SERVFAIL;
      Arrays.fill(fail, 4, HEADER, (byte) 0);
      observer.answered(-1, Rcode.SERVFAIL, transport);
      return fail;
    }
  }

  private byte[] fastPath(Snapshot current, byte[] p, int length, Transport transport) {
    int opcode = (p[2] >> 3) & 0xF;
    if (opcode != 0 || u16(p, 4) != 1 || u16(p, 6) != 0 || u16(p, 8) != 0 || u16(p, 10) > 1) {
      return null;
    }
    int pos = HEADER;
    while (true) {
      if (pos >= length) {
        return null;
      }
      int labelLength = p[pos] & 0xff;
      if (labelLength == 0) {
        pos++;
        break;
      }
      if (labelLength > 63) {
        return null; // compression pointers have no place in a question
      }
      pos += 1 + labelLength;
    }
    int nameEnd = pos;
    if (nameEnd - HEADER > 255 || pos + 4 > length) {
      return null;
    }
    int qtype = u16(p, pos);
    if (u16(p, pos + 2) != DClass.IN) {
      return null;
    }
    pos += 4;
    boolean edns = false;
    boolean dnssecOk = false;
    int limit = AnswerBuilder.NO_EDNS_UDP_LIMIT;
    if (u16(p, 10) == 1) {
      if (pos + 11 > length || p[pos] != 0 || u16(p, pos + 1) != TYPE_OPT || p[pos + 6] != 0) {
        return null; // not a plain version-0 OPT: let dnsjava judge it
      }
      edns = true;
      dnssecOk = (p[pos + 7] & 0x80) != 0;
      limit = Math.max(AnswerBuilder.NO_EDNS_UDP_LIMIT, Math.min(u16(p, pos + 3), maxUdpPayload));
      pos += 11 + u16(p, pos + 9);
    }
    if (pos != length) {
      return null;
    }
    if (transport == Transport.TCP) {
      limit = AnswerBuilder.TCP_LIMIT;
    }
    CacheKey key = CacheKey.of(p, nameEnd, qtype, edns, limit);
    Template template = current.cache.get(key);
    if (template == null) {
      template = buildTemplate(current.index, p, nameEnd, qtype, edns, limit);
      if (current.cache.size() < MAX_CACHED_RESPONSES) {
        current.cache.putIfAbsent(key, template);
      }
    }
    byte[] out = template.bytes.clone();
    out[0] = p[0];
    out[1] = p[1];
    out[2] |= (byte) (p[2] & 0x01); // RD
    out[3] |= (byte) (p[3] & 0x10); // CD
    System.arraycopy(p, HEADER, out, HEADER, nameEnd - HEADER);
    if (dnssecOk && template.doFlagOffset > 0) {
      out[template.doFlagOffset] |= (byte) 0x80;
    }
    observer.answered(qtype, template.rcode, transport);
    return out;
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
    return new Template(bytes, bytes[3] & 0xF, endsWithPlainOpt ? n - 4 : -1);
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
      byte b = bytes[i];
      if (b >= 'A' && b <= 'Z') {
        bytes[i] = (byte) (b + 32);
      }
    }
  }

  private static int u16(byte[] p, int offset) {
    return ((p[offset] & 0xff) << 8) | (p[offset + 1] & 0xff);
  }

  private record Template(byte[] bytes, int rcode, int doFlagOffset) {}

  private static final class Snapshot {
    final ZoneIndex index;
    final ConcurrentHashMap<CacheKey, Template> cache = new ConcurrentHashMap<>();

    Snapshot(ZoneIndex index) {
      this.index = index;
    }
  }

  /** Lower-cased question name, type, EDNS flag and size limit, as one byte string. */
  private static final class CacheKey {
    final byte[] bytes;
    final int hash;

    private CacheKey(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    static CacheKey of(byte[] p, int nameEnd, int qtype, boolean edns, int limit) {
      int nameLength = nameEnd - HEADER;
      byte[] key = new byte[nameLength + 5];
      System.arraycopy(p, HEADER, key, 0, nameLength);
      toLowerAscii(key);
      key[nameLength] = (byte) (qtype >> 8);
      key[nameLength + 1] = (byte) qtype;
      key[nameLength + 2] = (byte) (edns ? 1 : 0);
      key[nameLength + 3] = (byte) (limit >> 8);
      key[nameLength + 4] = (byte) limit;
      return new CacheKey(key);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CacheKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
