package dev.wgmesh.registry.dns;

import dev.wgmesh.core.dnssd.HostCandidates;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Builds the response to one parsed query from a {@link ZoneIndex}: a pure function, so every
 * answer can be checked record by record without a socket. Each record type has its own small
 * handler, as in wgsd: {@link #addSrvAdditionals} and {@link #addNsAdditionals} pick the extra
 * records, the rest is the generic authoritative logic (NXDOMAIN/NODATA with the SOA).
 */
public final class AnswerBuilder {
  /** The UDP payload size we advertise in EDNS, and the cap on what we send (DNS flag day 2020). */
  public static final int DEFAULT_MAX_UDP_PAYLOAD = 1232;
  public static final int NO_EDNS_UDP_LIMIT = 512;
  public static final int TCP_LIMIT = 65535;

  private AnswerBuilder() {}

  public static Message respond(Message query, ZoneIndex index, int advertisedPayload) {
    OPTRecord queryOpt = query.getOPT();
    if (queryOpt != null && queryOpt.getVersion() != 0) {
      // BADVERS is an extended rcode: its upper bits travel in the OPT record.
      Message response = header(query);
      copyQuestion(query, response);
      response.getHeader().setRcode(Rcode.BADVERS & 0xF);
      return withOpt(response, queryOpt, advertisedPayload, Rcode.BADVERS >>> 4);
    }
    return withOpt(answer(query, index), queryOpt, advertisedPayload, 0);
  }

  private static Message header(Message query) {
    Header qh = query.getHeader();
    Message response = new Message(qh.getID());
    Header rh = response.getHeader();
    rh.setFlag(Flags.QR);
    rh.setOpcode(qh.getOpcode());
    copyFlag(qh, rh, Flags.RD);
    copyFlag(qh, rh, Flags.CD);
    return response;
  }

  private static Message answer(Message query, ZoneIndex index) {
    Header qh = query.getHeader();
    Message response = header(query);
    Header rh = response.getHeader();
    if (qh.getOpcode() != Opcode.QUERY) {
      copyQuestion(query, response);
      rh.setRcode(Rcode.NOTIMP);
      return response;
    }
    if (query.getSection(Section.QUESTION).size() != 1) {
      rh.setRcode(Rcode.FORMERR);
      return response;
    }
    copyQuestion(query, response);
    org.xbill.DNS.Record question = query.getQuestion();
    Name name = question.getName();
    int type = question.getType();
    if (question.getDClass() != DClass.IN && question.getDClass() != DClass.ANY) {
      rh.setRcode(Rcode.REFUSED);
      return response;
    }
    if (!index.inZone(name) || type == Type.AXFR || type == Type.IXFR) {
      // Not our zone (we are no resolver), or a transfer we do not offer.
      rh.setRcode(Rcode.REFUSED);
      return response;
    }
    rh.setFlag(Flags.AA);
    if (!index.exists(name)) {
      rh.setRcode(Rcode.NXDOMAIN);
      response.addRecord(index.soa(), Section.AUTHORITY);
      return response;
    }
    List<List<org.xbill.DNS.Record>> answers = type == Type.ANY ? index.all(name) : nullableToList(index.find(name, type));
    if (answers.isEmpty()) {
      response.addRecord(index.soa(), Section.AUTHORITY); // NODATA
      return response;
    }
    for (List<org.xbill.DNS.Record> set : answers) {
      set.forEach(r -> response.addRecord(r, Section.ANSWER));
    }
    if (type == Type.SRV) {
      addSrvAdditionals(answers.get(0), index, response);
    } else if (type == Type.NS) {
      addNsAdditionals(answers.get(0), index, response);
    }
    return response;
  }

  /**
   * SRV: the target's A/AAAA first (wgsd-client reads only the first additional record, and
   * requires it to be an address), then the instance's TXT with the peer's key for validation.
   */
  static void addSrvAdditionals(List<org.xbill.DNS.Record> srvSet, ZoneIndex index, Message response) {
    for (org.xbill.DNS.Record r : srvSet) {
      Name target = ((SRVRecord) r).getTarget();
      addAll(index.find(target, Type.A), response);
      addAll(index.find(target, Type.AAAA), response);
    }
    addAll(index.find(srvSet.get(0).getName(), Type.TXT), response);
  }

  static void addNsAdditionals(List<org.xbill.DNS.Record> nsSet, ZoneIndex index, Message response) {
    for (org.xbill.DNS.Record r : nsSet) {
      Name target = ((NSRecord) r).getTarget();
      addAll(index.find(target, Type.A), response);
      addAll(index.find(target, Type.AAAA), response);
    }
  }

  /**
   * Makes an SRV answer fit {@code limit} bytes by leaving out host candidates from the last
   * (their SRV records, priority {@link HostCandidates#PRIORITY}, and their addresses), never the
   * observed mapping: dnsjava would otherwise drop the whole SRV set and set TC, and a client
   * that reads the first answer, as wgsd-client does, would get nothing. Other answers are
   * returned as they are (dnsjava truncates them at RRset boundaries).
   */
  public static Message fit(Message response, int limit) {
    List<org.xbill.DNS.Record> answer = response.getSection(Section.ANSWER);
    if (answer.size() < 2 || response.getQuestion() == null || response.getQuestion().getType() != Type.SRV
        || response.toWire().length <= limit) {
      return response;
    }
    Message fitted = response.clone();
    List<org.xbill.DNS.Record> candidates = answer.stream()
        .filter(r -> r instanceof SRVRecord srv && srv.getPriority() == HostCandidates.PRIORITY).toList();
    for (int i = candidates.size() - 1; i >= 0 && fitted.toWire().length > limit; i--) {
      SRVRecord srv = (SRVRecord) candidates.get(i);
      fitted.removeRecord(srv, Section.ANSWER);
      for (org.xbill.DNS.Record extra : List.copyOf(fitted.getSection(Section.ADDITIONAL))) {
        if (extra.getName().equals(srv.getTarget())) {
          fitted.removeRecord(extra, Section.ADDITIONAL);
        }
      }
    }
    return fitted;
  }

  /** The response to an UPDATE: its header and zone section, and the rcode (RFC 2136 section 3.8). */
  public static Message updateResponse(Message update, int rcode) {
    Message response = header(update);
    for (org.xbill.DNS.Record zone : update.getSection(Section.ZONE)) {
      response.addRecord(zone, Section.ZONE);
    }
    response.getHeader().setRcode(rcode);
    return response;
  }

  /** A FORMERR for a message whose header could be read but whose body could not. */
  public static Message formatError(Header queryHeader) {
    Message response = new Message(queryHeader.getID());
    Header rh = response.getHeader();
    rh.setFlag(Flags.QR);
    rh.setOpcode(queryHeader.getOpcode());
    copyFlag(queryHeader, rh, Flags.RD);
    rh.setRcode(Rcode.FORMERR);
    return response;
  }

  /** The UDP size limit for a response to this query (RFC 6891): 512 without EDNS. */
  public static int udpLimit(Message query, int maxUdpPayload) {
    OPTRecord opt = query.getOPT();
    if (opt == null) {
      return NO_EDNS_UDP_LIMIT;
    }
    return Math.max(NO_EDNS_UDP_LIMIT, Math.min(opt.getPayloadSize(), maxUdpPayload));
  }

  private static void addAll(List<org.xbill.DNS.Record> set, Message response) {
    if (set != null) {
      set.forEach(r -> response.addRecord(r, Section.ADDITIONAL));
    }
  }

  private static List<List<org.xbill.DNS.Record>> nullableToList(List<org.xbill.DNS.Record> set) {
    return set == null ? List.of() : List.of(set);
  }

  private static void copyQuestion(Message query, Message response) {
    org.xbill.DNS.Record question = query.getQuestion();
    if (question != null) {
      response.addRecord(question, Section.QUESTION);
    }
  }

  private static void copyFlag(Header from, Header to, int flag) {
    if (from.getFlag(flag)) {
      to.setFlag(flag);
    }
  }

  /**
   * Appends our OPT record last (clients that read "the first additional record", as wgsd-client
   * does, must find the address there), copying the DNSSEC OK bit as RFC 3225 asks.
   */
  private static Message withOpt(Message response, OPTRecord queryOpt, int advertisedPayload, int extendedRcode) {
    if (queryOpt != null) {
      int flags = queryOpt.getFlags() & ExtendedFlags.DO;
      response.addRecord(new OPTRecord(advertisedPayload, extendedRcode, 0, flags), Section.ADDITIONAL);
    }
    return response;
  }
}
