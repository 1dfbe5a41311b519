package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Reads the registry's answers about one peer, trusting nothing: an answer must be for the
 * question asked, the SRV must name the key asked for, a TXT "pub=" (when present) must carry that
 * key, and the address must be usable. Pure functions over dnsjava messages; the I/O lives in
 * {@code RegistryClient}. (wgsd-client takes the first answer and first additional on faith.)
 */
public final class RegistryAnswers {
  private RegistryAnswers() {}

  /**
   * What an SRV answer says: the port and target, and the address when the additional section
   * carried it (otherwise the caller asks for the target's A/AAAA).
   */
  public sealed interface SrvResult {
    record Complete(InetSocketAddress endpoint, List<InetSocketAddress> hostCandidates) implements SrvResult {}

    record NeedsAddress(Name target, int port) implements SrvResult {}

    record Done(Lookup lookup) implements SrvResult {}
  }

  public static Name instanceName(WireGuardKey key, String zone) {
    return name(DnsSdNames.instanceName(key, zone));
  }

  public static SrvResult readSrv(WireGuardKey key, String zone, Message response) {
    Name question = instanceName(key, zone);
    Optional<Lookup> problem = checkEnvelope(question, Type.SRV, response);
    if (problem.isPresent()) {
      return new SrvResult.Done(problem.get());
    }
    List<org.xbill.DNS.Record> answers = response.getSection(Section.ANSWER);
    if (answers.isEmpty()) {
      return new SrvResult.Done(new Lookup.NotFound());
    }
    SRVRecord srv = null;
    List<SRVRecord> candidates = new ArrayList<>();
    for (org.xbill.DNS.Record r : answers) {
      if (!(r instanceof SRVRecord s) || !r.getName().equals(question)) {
        return new SrvResult.Done(new Lookup.Failed("answer holds a " + Type.string(r.getType()) + " record for " + r.getName() + ", not the SRV asked for"));
      }
      if (s.getPriority() == HostCandidates.PRIORITY && HostCandidates.indexOf(s.getTarget(), key, zone).isPresent()) {
        candidates.add(s);
      } else if (srv == null) {
        srv = s; // the observed mapping comes first (priority 0, target B32.ZONE)
      } else {
        return new SrvResult.Done(new Lookup.Failed("answer holds two SRV records for the observed endpoint"));
      }
    }
    if (srv == null) {
      return new SrvResult.Done(new Lookup.Failed("answer holds host candidates but no observed endpoint"));
    }
    if (srv.getPort() == 0) {
      return new SrvResult.Done(new Lookup.Failed("SRV names port 0"));
    }
    Name target = srv.getTarget();
    if (!target.getLabelString(0).equalsIgnoreCase(DnsSdNames.label(key))) {
      return new SrvResult.Done(new Lookup.Failed("SRV target " + target + " names another key"));
    }
    for (org.xbill.DNS.Record r : response.getSection(Section.ADDITIONAL)) {
      if (r instanceof TXTRecord txt && r.getName().equals(question) && !txtKeyMatches(txt, key)) {
        return new SrvResult.Done(new Lookup.Failed("TXT pub= names another key"));
      }
    }
    int port = srv.getPort();
    Optional<InetAddress> address = addressIn(response.getSection(Section.ADDITIONAL), target);
    if (address.isEmpty()) {
      return new SrvResult.NeedsAddress(target, port);
    }
    List<InetSocketAddress> hosts = new ArrayList<>();
    for (SRVRecord c : candidates) {
      // A candidate without its address (left out to fit the answer) or with an unusable one is skipped.
      addressIn(response.getSection(Section.ADDITIONAL), c.getTarget())
          .filter(a -> c.getPort() != 0 && HostCandidates.unusable(a).isEmpty())
          .ifPresent(a -> hosts.add(new InetSocketAddress(a, c.getPort())));
    }
    return usable(address.get())
        .map(reason -> (SrvResult) new SrvResult.Done(new Lookup.Failed(reason)))
        .orElseGet(() -> new SrvResult.Complete(new InetSocketAddress(address.get(), port), List.copyOf(hosts)));
  }

  /** Reads an A or AAAA answer for the SRV target (the fallback when additional was empty). */
  public static Lookup readAddress(Name target, int type, int port, Message response) {
    Optional<Lookup> problem = checkEnvelope(target, type, response);
    if (problem.isPresent()) {
      return problem.get();
    }
    List<org.xbill.DNS.Record> answers = response.getSection(Section.ANSWER);
    for (org.xbill.DNS.Record r : answers) {
      if (r.getType() != type || !r.getName().equals(target)) {
        return new Lookup.Failed("answer holds a " + Type.string(r.getType()) + " record for " + r.getName() + ", not the address asked for");
      }
    }
    Optional<InetAddress> address = addressIn(answers, target);
    if (address.isEmpty()) {
      return new Lookup.NotFound();
    }
    return usable(address.get())
        .map(reason -> (Lookup) new Lookup.Failed(reason))
        .orElseGet(() -> new Lookup.Found(new InetSocketAddress(address.get(), port)));
  }

  /** Checks that the message is a complete, successful response to exactly this question. */
  static Optional<Lookup> checkEnvelope(Name question, int type, Message response) {
    if (response == null) {
      return Optional.of(new Lookup.Failed("no answer"));
    }
    if (!response.getHeader().getFlag(Flags.QR)) {
      return Optional.of(new Lookup.Failed("not a response"));
    }
    if (response.getHeader().getFlag(Flags.TC)) {
      return Optional.of(new Lookup.Failed("answer truncated"));
    }
    org.xbill.DNS.Record q = response.getQuestion();
    if (q == null || !q.getName().equals(question) || q.getType() != type) {
      return Optional.of(new Lookup.Failed("answer is for another question"));
    }
    int rcode = response.getRcode();
    if (rcode == Rcode.NXDOMAIN) {
      return Optional.of(new Lookup.NotFound());
    }
    if (rcode != Rcode.NOERROR) {
      return Optional.of(new Lookup.Failed("registry answered " + Rcode.string(rcode)));
    }
    return Optional.empty();
  }

  private static boolean txtKeyMatches(TXTRecord txt, WireGuardKey key) {
    for (String s : txt.getStrings()) {
      if (s.startsWith("pub=")) {
        return s.substring(4).equals(key.toBase64());
      }
    }
    return true; // no pub= at all: nothing to contradict
  }

  private static Optional<InetAddress> addressIn(List<org.xbill.DNS.Record> records, Name owner) {
    for (org.xbill.DNS.Record r : records) {
      if (r.getName().equals(owner)) {
        if (r instanceof ARecord a) {
          return Optional.of(a.getAddress());
        }
        if (r instanceof AAAARecord aaaa) {
          return Optional.of(aaaa.getAddress());
        }
      }
    }
    return Optional.empty();
  }

  /** Why an address cannot be a peer's endpoint, or empty when it can. */
  static Optional<String> usable(InetAddress address) {
    if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
      return Optional.of("endpoint address " + address.getHostAddress() + " is not a unicast address");
    }
    byte[] raw = address.getAddress();
    if (raw.length == 4 && (raw[0] & 0xff) == 255 && (raw[3] & 0xff) == 255) {
      return Optional.of("endpoint address " + address.getHostAddress() + " is a broadcast address");
    }
    return Optional.empty();
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
