package dev.wgmesh.registry.dns;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The records of one zone, indexed by owner name, built once per change of the served peers and
 * then only read by queries. It holds the DNS-SD records wgsd serves, plus SOA and NS at the apex:
 *
 * <pre>
 * _wireguard._udp.ZONE        PTR  B32._wireguard._udp.ZONE   (one per peer)
 * B32._wireguard._udp.ZONE    SRV  0 0 PORT B32.ZONE
 * B32._wireguard._udp.ZONE    TXT  "txtvers=1" "pub=BASE64" "allowed=CIDR,..."
 * B32.ZONE                    A | AAAA  ENDPOINT-ADDRESS
 * B32._wireguard._udp.ZONE    SRV  10 0 PORT cI.B32.ZONE     (host candidates, see HostCandidates)
 * cI.B32.ZONE                 A | AAAA  CANDIDATE-ADDRESS
 * </pre>
 *
 * Each answer carries only the candidates that fit the client's size limit ({@link
 * AnswerBuilder#fit}): a client without EDNS, wgsd-client among them, always gets the observed
 * mapping untruncated within 512 bytes.
 */
public final class ZoneIndex {
  /** Peer records change with every NAT mapping: never cache them (as wgsd). */
  static final long PEER_TTL = 0;
  /** Apex records are stable; negative answers must not be cached (SOA minimum 0). */
  static final long APEX_TTL = 60;
  private static final int MAX_TXT_STRING = 255;

  private final Name zone;
  private final Name serviceName;
  private final SOARecord soa;
  private final Map<Name, Map<Integer, RRset>> nodes;

  private ZoneIndex(Name zone, Name serviceName, SOARecord soa, Map<Name, Map<Integer, RRset>> nodes) {
    this.zone = zone;
    this.serviceName = serviceName;
    this.soa = soa;
    this.nodes = nodes;
  }

  /**
   * Builds the index.
   *
   * @param serial SOA serial; callers bump it whenever the served set changes
   * @param nameServerAddresses addresses of the registry inside the tunnel, for the NS glue
   */
  public static ZoneIndex build(String zoneText, List<ServedPeer> peers, long serial, List<InetAddress> nameServerAddresses) {
    Name zone = parseZone(zoneText);
    Name service = child(DnsSdNames.serviceName(zoneText));
    Name nsName = child("ns1." + zone);
    SOARecord soa =
        new SOARecord(zone, DClass.IN, APEX_TTL, nsName, child("hostmaster." + zone), serial, 3600, 600, 86400, 0);
    Builder builder = new Builder();
    builder.add(soa);
    builder.add(new NSRecord(zone, DClass.IN, APEX_TTL, nsName));
    for (InetAddress address : nameServerAddresses) {
      builder.add(addressRecord(nsName, APEX_TTL, address));
    }
    builder.emptyNonTerminal(new Name(service, 1)); // _udp.ZONE exists as an empty non-terminal
    builder.emptyNonTerminal(service);
    for (ServedPeer peer : peers) {
      Name instance = child(DnsSdNames.instanceName(peer.key(), zoneText));
      Name host = child(DnsSdNames.hostName(peer.key(), zoneText));
      builder.add(new PTRRecord(service, DClass.IN, PEER_TTL, instance));
      SRVRecord srv = new SRVRecord(instance, DClass.IN, PEER_TTL, 0, 0, peer.endpoint().getPort(), host);
      TXTRecord txt = new TXTRecord(instance, DClass.IN, PEER_TTL, txt(peer));
      org.xbill.DNS.Record address = addressRecord(host, PEER_TTL, peer.endpoint().getAddress());
      builder.add(srv);
      builder.add(txt);
      builder.add(address);
      for (org.xbill.DNS.Record r : HostCandidates.records(peer.key(), zoneText, peer.candidates(), PEER_TTL)) {
        builder.add(r);
      }
    }
    return new ZoneIndex(zone, service, soa, builder.nodes);
  }

  /**
   * The TXT strings of a peer's instance, as wgsd writes them. A TXT string holds at most 255
   * bytes, so a long AllowedIPs list continues in further "allowed=" strings, to be joined.
   */
  static List<String> txt(ServedPeer peer) {
    List<String> strings = new ArrayList<>(3);
    strings.add("txtvers=1");
    strings.add("pub=" + peer.key().toBase64());
    StringBuilder allowed = new StringBuilder("allowed=");
    for (IpPrefix prefix : peer.allowedIps()) {
      String cidr = prefix.toString();
      boolean empty = allowed.length() == "allowed=".length();
      if (allowed.length() + cidr.length() + 1 > MAX_TXT_STRING) {
        strings.add(allowed.toString());
        allowed = new StringBuilder("allowed=");
        empty = true;
      }
      allowed.append(empty ? "" : ",").append(cidr);
    }
    strings.add(allowed.toString());
    return strings;
  }

  static org.xbill.DNS.Record addressRecord(Name owner, long ttl, InetAddress address) {
    return address instanceof Inet4Address
        ? new ARecord(owner, DClass.IN, ttl, address)
        : new AAAARecord(owner, DClass.IN, ttl, address);
  }

  public static Name parseZone(String zoneText) {
    String normalised = DnsSdNames.zone(zoneText);
    if (normalised.equals(".") || normalised.contains("..") || normalised.startsWith(".")) {
      throw new IllegalArgumentException("'" + zoneText + "' is not a usable DNS zone name");
    }
    try {
      return Name.fromString(normalised);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("'" + zoneText + "' is not a valid DNS zone name: " + e.getMessage());
    }
  }

  private static Name child(String text) {
    try {
      return Name.fromString(text);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("bad DNS name " + text, e);
    }
  }

  public Name zone() {
    return zone;
  }

  public Name serviceName() {
    return serviceName;
  }

  public SOARecord soa() {
    return soa;
  }

  public boolean inZone(Name name) {
    return name.subdomain(zone);
  }

  /** True when the name exists, with records or as an empty non-terminal. */
  public boolean exists(Name name) {
    return nodes.containsKey(name);
  }

  /** The records of one type at a name, or null. */
  public RRset find(Name name, int type) {
    Map<Integer, RRset> node = nodes.get(name);
    return node == null ? null : node.get(type);
  }

  /** Every record set at a name (for ANY). */
  public List<RRset> all(Name name) {
    Map<Integer, RRset> node = nodes.get(name);
    return node == null ? List.of() : List.copyOf(node.values());
  }

  public int names() {
    return nodes.size();
  }

  private static final class Builder {
    final Map<Name, Map<Integer, RRset>> nodes = new HashMap<>();

    void add(org.xbill.DNS.Record record) {
      nodes.computeIfAbsent(record.getName(), n -> new HashMap<>())
          .computeIfAbsent(record.getType(), t -> new RRset())
          .addRR(record);
    }

    void emptyNonTerminal(Name name) {
      nodes.computeIfAbsent(name, n -> new HashMap<>());
    }
  }

  static boolean isAddressType(int type) {
    return type == Type.A || type == Type.AAAA;
  }
}
