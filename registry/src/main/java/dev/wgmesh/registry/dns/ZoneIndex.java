package dev.wgmesh.registry.dns;

import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import dev.wgmesh.core.key.WireGuardKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The records of one zone, indexed by owner name. It holds the DNS-SD records wgsd serves, plus
 * SOA and NS at the apex:
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
 *
 * <p>The apex is fixed when the index is built; peers are added, replaced and removed one at a
 * time ({@link #put}, {@link #remove}), at a cost that does not depend on how many peers the zone
 * holds (the PTR set is gathered only when someone asks for it). One thread writes, any number
 * read: a reader sees each record set either before or after a change, and a peer's new address
 * and candidate records are in place before its SRV set points to them.
 */
public final class ZoneIndex {
  /** Peer records change with every NAT mapping: never cache them (as wgsd). */
  static final long PEER_TTL = 0;
  /** Apex records are stable; negative answers must not be cached (SOA minimum 0). */
  static final long APEX_TTL = 60;
  private static final int MAX_TXT_STRING = 255;

  private final String zoneText;
  private final Name zone;
  private final Name serviceName;
  private final Name nsName;
  /** Apex, NS glue and the empty non-terminals: never change. */
  private final Map<Name, Map<Integer, List<org.xbill.DNS.Record>>> fixed;
  private final ConcurrentHashMap<WireGuardKey, ServedPeer> peers = new ConcurrentHashMap<>();
  /** The names of the peers' records (instance, host, candidates) and their record sets. */
  private final ConcurrentHashMap<Name, Map<Integer, List<org.xbill.DNS.Record>>> peerNodes = new ConcurrentHashMap<>();
  private volatile SOARecord soa;
  /** The PTR set, gathered on demand; null after the set of peers changed. */
  private volatile List<org.xbill.DNS.Record> ptr;
  private long recordsBuilt;

  private ZoneIndex(String zoneText, long serial, List<InetAddress> nameServerAddresses) {
    this.zoneText = zoneText;
    this.zone = parseZone(zoneText);
    this.serviceName = child(DnsSdNames.serviceName(zoneText));
    this.nsName = child("ns1." + zone);
    this.soa = soa(serial);
    Map<Name, Map<Integer, List<org.xbill.DNS.Record>>> apex = new HashMap<>();
    add(apex, new NSRecord(zone, DClass.IN, APEX_TTL, nsName));
    for (InetAddress address : nameServerAddresses) {
      add(apex, addressRecord(nsName, APEX_TTL, address));
    }
    apex.computeIfAbsent(zone, n -> new HashMap<>());
    apex.put(new Name(serviceName, 1), Map.of()); // _udp.ZONE exists as an empty non-terminal
    apex.put(serviceName, Map.of()); // its PTR set is gathered from the peers
    this.fixed = apex;
  }

  /**
   * Builds the index.
   *
   * @param serial SOA serial; callers bump it whenever the served set changes
   * @param nameServerAddresses addresses of the registry inside the tunnel, for the NS glue
   */
  public static ZoneIndex build(String zoneText, List<ServedPeer> peers, long serial, List<InetAddress> nameServerAddresses) {
    ZoneIndex index = new ZoneIndex(zoneText, serial, nameServerAddresses);
    for (ServedPeer peer : peers) {
      index.put(peer, serial);
    }
    return index;
  }

  /**
   * Adds a peer or replaces its records, and sets the SOA serial; returns the names whose records
   * changed (the peer's old and new names). Costs the peer's own records, whatever the zone holds.
   */
  public synchronized List<Name> put(ServedPeer peer, long serial) {
    Map<Name, Map<Integer, List<org.xbill.DNS.Record>>> fresh = new LinkedHashMap<>();
    Name instance = child(DnsSdNames.instanceName(peer.key(), zoneText));
    Name host = child(DnsSdNames.hostName(peer.key(), zoneText));
    add(fresh, new SRVRecord(instance, DClass.IN, PEER_TTL, 0, 0, peer.endpoint().getPort(), host));
    add(fresh, new TXTRecord(instance, DClass.IN, PEER_TTL, txt(peer)));
    add(fresh, addressRecord(host, PEER_TTL, peer.endpoint().getAddress()));
    for (org.xbill.DNS.Record r : HostCandidates.records(peer.key(), zoneText, peer.candidates(), PEER_TTL)) {
      add(fresh, r);
    }
    // Addresses first, the SRV set that points to them last: a reader never meets a target
    // without its address.
    fresh.forEach((name, node) -> {
      if (!name.equals(instance)) {
        peerNodes.put(name, node);
      }
    });
    peerNodes.put(instance, fresh.get(instance));
    ServedPeer old = peers.put(peer.key(), peer);
    List<Name> touched = new ArrayList<>(fresh.keySet());
    if (old == null) {
      ptr = null;
    } else {
      for (Name name : names(old)) {
        if (!fresh.containsKey(name)) {
          peerNodes.remove(name);
          touched.add(name);
        }
      }
    }
    soa = soa(serial);
    return touched;
  }

  /** Removes a peer's records and sets the SOA serial; returns the names that went. */
  public synchronized List<Name> remove(WireGuardKey key, long serial) {
    ServedPeer old = peers.remove(key);
    if (old == null) {
      return List.of();
    }
    List<Name> names = names(old);
    names.forEach(peerNodes::remove);
    ptr = null;
    soa = soa(serial);
    return names;
  }

  /** The owner names of a peer's records: instance, host and one per candidate. */
  private List<Name> names(ServedPeer peer) {
    List<Name> names = new ArrayList<>();
    names.add(child(DnsSdNames.instanceName(peer.key(), zoneText)));
    names.add(child(DnsSdNames.hostName(peer.key(), zoneText)));
    for (int i = 0; i < Math.min(peer.candidates().size(), HostCandidates.MAX); i++) {
      names.add(HostCandidates.target(peer.key(), zoneText, i));
    }
    return names;
  }

  /** How many records this index has built so far: the work of its updates, for tests and benchmarks. */
  public synchronized long recordsBuilt() {
    return recordsBuilt;
  }

  private SOARecord soa(long serial) {
    return new SOARecord(zone, DClass.IN, APEX_TTL, nsName, child("hostmaster." + zone), serial, 3600, 600, 86400, 0);
  }

  /**
   * Adds a record to its set. Plain lists, not dnsjava's RRset, whose duplicate check costs O(n)
   * per record (the PTR set of 5000 peers took tens of seconds); a peer's records are distinct
   * by construction.
   */
  private void add(Map<Name, Map<Integer, List<org.xbill.DNS.Record>>> nodes, org.xbill.DNS.Record record) {
    recordsBuilt++;
    nodes.computeIfAbsent(record.getName(), n -> new HashMap<>())
        .computeIfAbsent(record.getType(), t -> new ArrayList<>())
        .add(record);
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
    return fixed.containsKey(name) || peerNodes.containsKey(name);
  }

  /** The record set of one type at a name, or null. */
  public List<org.xbill.DNS.Record> find(Name name, int type) {
    if (type == Type.SOA && name.equals(zone)) {
      return List.of(soa);
    }
    if (type == Type.PTR && name.equals(serviceName)) {
      return ptr();
    }
    Map<Integer, List<org.xbill.DNS.Record>> node = fixed.get(name);
    if (node == null) {
      node = peerNodes.get(name);
    }
    return node == null ? null : node.get(type);
  }

  /** Every record set at a name (for ANY). */
  public List<List<org.xbill.DNS.Record>> all(Name name) {
    List<List<org.xbill.DNS.Record>> sets = new ArrayList<>();
    if (name.equals(zone)) {
      sets.add(List.of(soa));
    }
    List<org.xbill.DNS.Record> ptrs = name.equals(serviceName) ? ptr() : null;
    if (ptrs != null) {
      sets.add(ptrs);
    }
    Map<Integer, List<org.xbill.DNS.Record>> node = fixed.get(name);
    if (node == null) {
      node = peerNodes.get(name);
    }
    if (node != null) {
      sets.addAll(node.values());
    }
    return sets;
  }

  /** The PTR set of the service name: one record per peer, or null without peers. */
  private List<org.xbill.DNS.Record> ptr() {
    List<org.xbill.DNS.Record> set = ptr;
    if (set == null) {
      synchronized (this) { // no writer in between: the set matches the peers
        List<org.xbill.DNS.Record> all = new ArrayList<>(peers.size());
        for (ServedPeer peer : peers.values()) {
          all.add(new PTRRecord(serviceName, DClass.IN, PEER_TTL, child(DnsSdNames.instanceName(peer.key(), zoneText))));
        }
        set = all.isEmpty() ? null : List.copyOf(all);
        ptr = set;
      }
    }
    return set;
  }

  public int names() {
    return fixed.size() + peerNodes.size();
  }

  static boolean isAddressType(int type) {
    return type == Type.A || type == Type.AAAA;
  }
}
