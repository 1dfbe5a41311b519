package dev.wgmesh.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.agent.discovery.RegistryAnswers.SrvResult;
import dev.wgmesh.core.dnssd.DnsSdNames;
import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Answers as a hostile or broken registry might send them; only a clean one is believed. */
class RegistryAnswersTest {
  static final String ZONE = "mesh.example.";
  final WireGuardKey key = KeyPair.generate().publicKey();
  final WireGuardKey other = KeyPair.generate().publicKey();
  final Name instance = RegistryAnswers.instanceName(key, ZONE);
  final Name host = name(DnsSdNames.hostName(key, ZONE));

  static Name name(String s) {
    try {
      return Name.fromString(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  Message response(Name question, int type) {
    Message m = new Message();
    m.getHeader().setFlag(Flags.QR);
    m.addRecord(org.xbill.DNS.Record.newRecord(question, type, DClass.IN), Section.QUESTION);
    return m;
  }

  Message goodSrv() throws Exception {
    Message m = response(instance, Type.SRV);
    m.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 41000, host), Section.ANSWER);
    m.addRecord(new ARecord(host, DClass.IN, 0, InetAddress.getByName("203.0.113.7")), Section.ADDITIONAL);
    m.addRecord(new TXTRecord(instance, DClass.IN, 0, List.of("txtvers=1", "pub=" + key.toBase64(), "allowed=10.0.0.2/32")), Section.ADDITIONAL);
    return m;
  }

  @Test
  void cleanAnswerGivesTheEndpoint() throws Exception {
    SrvResult r = RegistryAnswers.readSrv(key, ZONE, goodSrv());
    assertEquals(new SrvResult.Complete(new InetSocketAddress("203.0.113.7", 41000), List.of()), r);
  }

  @Test
  void hostCandidatesFollowTheMappingAndOnesWithoutAnAddressAreSkipped() throws Exception {
    Message m = goodSrv();
    List<InetSocketAddress> reported = List.of(new InetSocketAddress("10.201.0.3", 51820), new InetSocketAddress("2001:db8:200::3", 51820),
        new InetSocketAddress("10.9.9.9", 51820));
    List<org.xbill.DNS.Record> records = HostCandidates.records(key, ZONE, reported, 0);
    for (int i = 0; i < records.size(); i += 2) {
      m.addRecord(records.get(i), Section.ANSWER);
      if (i < 4) {
        m.addRecord(records.get(i + 1), Section.ADDITIONAL); // the third address was left out to fit
      }
    }
    assertEquals(new SrvResult.Complete(new InetSocketAddress("203.0.113.7", 41000), reported.subList(0, 2)),
        RegistryAnswers.readSrv(key, ZONE, m));
  }

  @Test
  void candidatesOfAnotherKeyAreNotCandidates() throws Exception {
    Message m = goodSrv();
    List<org.xbill.DNS.Record> records = HostCandidates.records(other, ZONE, List.of(new InetSocketAddress("10.201.0.66", 51820)), 0);
    m.addRecord(new SRVRecord(instance, DClass.IN, 0, HostCandidates.PRIORITY, 0, 51820, records.get(1).getName()), Section.ANSWER);
    m.addRecord(records.get(1), Section.ADDITIONAL);
    assertInstanceOf(Lookup.Failed.class, ((SrvResult.Done) RegistryAnswers.readSrv(key, ZONE, m)).lookup());
  }

  @Test
  void ipv6AddressInAdditionalWorks() throws Exception {
    Message m = response(instance, Type.SRV);
    m.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 51820, host), Section.ANSWER);
    m.addRecord(new AAAARecord(host, DClass.IN, 0, InetAddress.getByName("2001:db8::7")), Section.ADDITIONAL);
    assertEquals(new SrvResult.Complete(new InetSocketAddress("2001:db8::7", 51820), List.of()), RegistryAnswers.readSrv(key, ZONE, m));
  }

  @Test
  void missingAdditionalAsksForTheAddressSeparately() throws Exception {
    Message m = response(instance, Type.SRV);
    m.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 41000, host), Section.ANSWER);
    assertEquals(new SrvResult.NeedsAddress(host, 41000), RegistryAnswers.readSrv(key, ZONE, m));
    Message a = response(host, Type.A);
    a.addRecord(new ARecord(host, DClass.IN, 0, InetAddress.getByName("198.51.100.3")), Section.ANSWER);
    assertEquals(new Lookup.Found(new InetSocketAddress("198.51.100.3", 41000)), RegistryAnswers.readAddress(host, Type.A, 41000, a));
  }

  @Test
  void nxdomainAndEmptyAnswerMeanNotFound() {
    Message nx = response(instance, Type.SRV);
    nx.getHeader().setRcode(Rcode.NXDOMAIN);
    assertEquals(new SrvResult.Done(new Lookup.NotFound()), RegistryAnswers.readSrv(key, ZONE, nx));
    assertEquals(new SrvResult.Done(new Lookup.NotFound()), RegistryAnswers.readSrv(key, ZONE, response(instance, Type.SRV)));
  }

  static void assertFailed(SrvResult r, String containing) {
    SrvResult.Done done = assertInstanceOf(SrvResult.Done.class, r);
    Lookup.Failed failed = assertInstanceOf(Lookup.Failed.class, done.lookup());
    assertTrue(failed.reason().contains(containing), failed.reason());
  }

  @Test
  void nonSrvAnswerIsRejected() throws Exception {
    Message m = response(instance, Type.SRV);
    m.addRecord(new CNAMERecord(instance, DClass.IN, 0, name("evil.example.")), Section.ANSWER);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, m), "CNAME");
  }

  @Test
  void srvForAnotherKeyIsRejected() throws Exception {
    Message m = response(instance, Type.SRV);
    Name otherHost = name(DnsSdNames.hostName(other, ZONE));
    m.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 41000, otherHost), Section.ANSWER);
    m.addRecord(new ARecord(otherHost, DClass.IN, 0, InetAddress.getByName("203.0.113.66")), Section.ADDITIONAL);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, m), "another key");
  }

  @Test
  void txtWithAnotherKeyIsRejected() throws Exception {
    Message m = goodSrv();
    m.removeAllRecords(Section.ADDITIONAL);
    m.addRecord(new ARecord(host, DClass.IN, 0, InetAddress.getByName("203.0.113.7")), Section.ADDITIONAL);
    m.addRecord(new TXTRecord(instance, DClass.IN, 0, List.of("txtvers=1", "pub=" + other.toBase64())), Section.ADDITIONAL);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, m), "pub=");
  }

  @Test
  void answerToAnotherQuestionIsRejected() throws Exception {
    Message m = goodSrv();
    m.removeAllRecords(Section.QUESTION);
    m.addRecord(org.xbill.DNS.Record.newRecord(RegistryAnswers.instanceName(other, ZONE), Type.SRV, DClass.IN), Section.QUESTION);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, m), "another question");
  }

  @Test
  void truncatedServfailQueryAndEmptyMessagesAreRejected() throws Exception {
    Message tc = goodSrv();
    tc.getHeader().setFlag(Flags.TC);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, tc), "truncated");
    Message servfail = response(instance, Type.SRV);
    servfail.getHeader().setRcode(Rcode.SERVFAIL);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, servfail), "SERVFAIL");
    Message notResponse = goodSrv();
    notResponse.getHeader().unsetFlag(Flags.QR);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, notResponse), "not a response");
    assertFailed(RegistryAnswers.readSrv(key, ZONE, new Message()), "");
    assertFailed(RegistryAnswers.readSrv(key, ZONE, null), "no answer");
  }

  @Test
  void unusableAddressesAndPortZeroAreRejected() throws Exception {
    for (String bad : new String[] {"0.0.0.0", "224.0.0.1", "255.255.255.255", "::"}) {
      Message m = response(instance, Type.SRV);
      m.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 41000, host), Section.ANSWER);
      InetAddress address = InetAddress.getByName(bad);
      m.addRecord(address.getAddress().length == 4
          ? new ARecord(host, DClass.IN, 0, address) : new AAAARecord(host, DClass.IN, 0, address), Section.ADDITIONAL);
      assertFailed(RegistryAnswers.readSrv(key, ZONE, m), "address");
    }
    Message port0 = response(instance, Type.SRV);
    port0.addRecord(new SRVRecord(instance, DClass.IN, 0, 0, 0, 0, host), Section.ANSWER);
    assertFailed(RegistryAnswers.readSrv(key, ZONE, port0), "port 0");
  }

  @Test
  void addressAnswerOfWrongTypeIsRejected() throws Exception {
    Message m = response(host, Type.A);
    m.addRecord(new CNAMERecord(host, DClass.IN, 0, name("elsewhere.example.")), Section.ANSWER);
    assertInstanceOf(Lookup.Failed.class, RegistryAnswers.readAddress(host, Type.A, 1, m));
  }

  @Test
  void mixedCaseNamesInTheAnswerAreAccepted() throws Exception {
    Message m = response(name(instance.toString().toUpperCase()), Type.SRV);
    Name upperHost = name(host.toString().toUpperCase());
    m.addRecord(new SRVRecord(name(instance.toString().toUpperCase()), DClass.IN, 0, 0, 0, 41000, upperHost), Section.ANSWER);
    m.addRecord(new ARecord(host, DClass.IN, 0, InetAddress.getByName("203.0.113.7")), Section.ADDITIONAL);
    assertInstanceOf(SrvResult.Complete.class, RegistryAnswers.readSrv(key, ZONE, m));
  }
}
