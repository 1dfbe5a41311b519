package dev.wgmesh.core.dnssd;

import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.WireGuardKey;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * A node's host candidates in DNS: the addresses of its own interfaces (a LAN address, a global
 * IPv6 address, a cloud VM's private IP) with its WireGuard port, which its peers may try before
 * the NAT mapping the registry observed. One layout, shared by the registry that serves the
 * records and the agent that reports and reads them.
 *
 * <pre>
 * B32._wireguard._udp.ZONE  SRV  0 0 PORT B32.ZONE             the observed mapping, first (as wgsd)
 * B32._wireguard._udp.ZONE  SRV 10 0 PORT cI.B32.ZONE          host candidate I = 0, 1, ...
 * cI.B32.ZONE               A | AAAA  ADDRESS
 * </pre>
 *
 * wgsd-client reads only the first answer and the first additional record, so the observed
 * mapping stays in both places and the candidates come after it; DNS-SD clients that follow SRV
 * priorities prefer the mapping as well.
 *
 * <p>Reporting: an agent sends a DNS UPDATE (RFC 2136) for the zone, through the tunnel, whose
 * update section deletes its instance's SRV set and adds the candidate SRV and address records
 * above (and nothing else). The registry takes it as "these are all my host candidates now" from
 * the node whose tunnel address sent it, which WireGuard has authenticated; {@link #read} checks
 * the layout, the registry checks the sender.
 */
public final class HostCandidates {
  /** At most this many candidates per node are accepted and served. */
  public static final int MAX = 8;
  /** The SRV priority of host candidates; the observed mapping has 0. */
  public static final int PRIORITY = 10;

  private HostCandidates() {}

  /** What an UPDATE said, or why it cannot be taken. */
  public sealed interface Report {
    record Candidates(WireGuardKey key, List<InetSocketAddress> endpoints) implements Report {}

    /** @param rcode FORMERR, NOTAUTH or REFUSED */
    record Rejected(int rcode, String reason) implements Report {}
  }

  /** {@code cI.B32.ZONE}: the target of host candidate {@code index}. */
  public static Name target(WireGuardKey key, String zone, int index) {
    return name("c" + index + "." + DnsSdNames.hostName(key, zone));
  }

  /** The index of a candidate target of {@code key}, or empty when the name is not one. */
  public static Optional<Integer> indexOf(Name target, WireGuardKey key, String zone) {
    if (target.labels() < 3) {
      return Optional.empty();
    }
    String first = target.getLabelString(0).toLowerCase(java.util.Locale.ROOT);
    if (first.length() != 2 || first.charAt(0) != 'c' || first.charAt(1) < '0' || first.charAt(1) > '9') {
      return Optional.empty();
    }
    int index = first.charAt(1) - '0';
    return index < MAX && target.equals(target(key, zone, index)) ? Optional.of(index) : Optional.empty();
  }

  /** The SRV and address records of a node's candidates, in order, at most {@link #MAX}. */
  public static List<org.xbill.DNS.Record> records(WireGuardKey key, String zone, List<InetSocketAddress> endpoints, long ttl) {
    Name instance = name(DnsSdNames.instanceName(key, zone));
    List<org.xbill.DNS.Record> out = new ArrayList<>();
    for (int i = 0; i < Math.min(endpoints.size(), MAX); i++) {
      InetSocketAddress e = endpoints.get(i);
      Name target = target(key, zone, i);
      out.add(new SRVRecord(instance, DClass.IN, ttl, PRIORITY, 0, e.getPort(), target));
      out.add(address(target, ttl, e.getAddress()));
    }
    return out;
  }

  /** The UPDATE an agent sends to report its candidates (an empty list withdraws them). */
  public static Message update(WireGuardKey key, String zone, List<InetSocketAddress> endpoints) {
    Update update = new Update(name(DnsSdNames.zone(zone)));
    update.delete(name(DnsSdNames.instanceName(key, zone)), Type.SRV);
    for (org.xbill.DNS.Record r : records(key, zone, endpoints, 0)) {
      update.add(r);
    }
    return update;
  }

  /**
   * Reads an UPDATE as a report of one node's candidates: the zone must be ours, and the update
   * section must delete one instance's SRV set and add only that instance's candidate records
   * (every SRV with its address, ports 1-65535, usable unicast addresses).
   */
  public static Report read(Message message, String zone) {
    if (message.getHeader().getOpcode() != Opcode.UPDATE) {
      return new Report.Rejected(Rcode.FORMERR, "not an UPDATE");
    }
    List<org.xbill.DNS.Record> zones = message.getSection(Section.ZONE);
    if (zones.size() != 1 || zones.get(0).getType() != Type.SOA) {
      return new Report.Rejected(Rcode.FORMERR, "an UPDATE names exactly one zone");
    }
    if (!zones.get(0).getName().equals(name(DnsSdNames.zone(zone)))) {
      return new Report.Rejected(Rcode.NOTAUTH, "zone " + zones.get(0).getName() + " is not served here");
    }
    if (!message.getSection(Section.PREREQ).isEmpty()) {
      return new Report.Rejected(Rcode.REFUSED, "prerequisites are not supported");
    }
    List<org.xbill.DNS.Record> changes = message.getSection(Section.UPDATE);
    if (changes.isEmpty() || changes.get(0).getType() != Type.SRV || changes.get(0).getDClass() != DClass.ANY) {
      return new Report.Rejected(Rcode.REFUSED, "a candidate report starts by deleting the instance's SRV set");
    }
    Name instance = changes.get(0).getName();
    WireGuardKey key;
    try {
      if (instance.labels() < 4 || !name(DnsSdNames.instanceName(DnsSdNames.keyOf(instance.getLabelString(0)), zone)).equals(instance)) {
        return new Report.Rejected(Rcode.REFUSED, instance + " is not a peer instance of the zone");
      }
      key = DnsSdNames.keyOf(instance.getLabelString(0));
    } catch (InvalidKeyException e) {
      return new Report.Rejected(Rcode.REFUSED, e.getMessage());
    }
    Map<Integer, Integer> ports = new LinkedHashMap<>();
    Map<Integer, InetAddress> addresses = new LinkedHashMap<>();
    for (org.xbill.DNS.Record r : changes.subList(1, changes.size())) {
      if (r.getDClass() != DClass.IN) {
        return new Report.Rejected(Rcode.REFUSED, "only additions may follow the delete");
      }
      if (r instanceof SRVRecord srv) {
        Optional<Integer> index = indexOf(srv.getTarget(), key, zone);
        if (!r.getName().equals(instance) || index.isEmpty() || srv.getPort() == 0 || ports.putIfAbsent(index.get(), srv.getPort()) != null) {
          return new Report.Rejected(Rcode.REFUSED, r.getName() + " SRV " + srv.rdataToString() + " is not a candidate of this instance");
        }
      } else if ((r instanceof ARecord || r instanceof AAAARecord)) {
        Optional<Integer> index = indexOf(r.getName(), key, zone);
        InetAddress a = r instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) r).getAddress();
        if (index.isEmpty() || addresses.putIfAbsent(index.get(), a) != null) {
          return new Report.Rejected(Rcode.REFUSED, r.getName() + " is not a candidate of this instance");
        }
        Optional<String> unusable = unusable(a);
        if (unusable.isPresent()) {
          return new Report.Rejected(Rcode.REFUSED, unusable.get());
        }
      } else {
        return new Report.Rejected(Rcode.REFUSED, "a candidate report holds SRV and A/AAAA records only, not " + Type.string(r.getType()));
      }
    }
    if (!ports.keySet().equals(addresses.keySet())) {
      return new Report.Rejected(Rcode.REFUSED, "every candidate SRV needs exactly one address record");
    }
    List<InetSocketAddress> endpoints = new ArrayList<>();
    ports.forEach((i, port) -> endpoints.add(new InetSocketAddress(addresses.get(i), port)));
    return new Report.Candidates(key, List.copyOf(endpoints));
  }

  /**
   * Why an address cannot be a host candidate, or empty when it can: loopback, link-local,
   * wildcard and multicast addresses reach nobody else.
   */
  public static Optional<String> unusable(InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isMulticastAddress() || a.isLinkLocalAddress()) {
      return Optional.of(a.getHostAddress() + " is not a unicast address other nodes can reach");
    }
    byte[] raw = a.getAddress();
    if (raw.length == 4 && (raw[3] & 0xff) == 255 && (raw[0] & 0xff) == 255) {
      return Optional.of(a.getHostAddress() + " is a broadcast address");
    }
    return Optional.empty();
  }

  /** Global IPv6 (2000::/3): reaches other IPv6 hosts without NAT. */
  public static boolean isGlobalIpv6(InetAddress a) {
    return a instanceof Inet6Address && (a.getAddress()[0] & 0xe0) == 0x20;
  }

  /** An IPv4 host address (private or not): reachable directly on the same network. */
  public static boolean isIpv4(InetAddress a) {
    return a instanceof Inet4Address;
  }

  private static org.xbill.DNS.Record address(Name owner, long ttl, InetAddress address) {
    return address instanceof Inet4Address
        ? new ARecord(owner, DClass.IN, ttl, address)
        : new AAAARecord(owner, DClass.IN, ttl, address);
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("bad DNS name " + text, e);
    }
  }
}
