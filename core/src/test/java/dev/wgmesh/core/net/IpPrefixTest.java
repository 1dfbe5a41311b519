package dev.wgmesh.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {

  @ParameterizedTest
  @CsvSource({
      "10.0.0.0/24, 10.0.0.0/24",
      "10.1.2.3, 10.1.2.3/32",
      " 192.0.2.0/32 , 192.0.2.0/32",
      "0.0.0.0/0, 0.0.0.0/0",
      "fd00::1/128, fd00::1/128",
      "fd00:0:0:0:0:0:0:1/64, fd00::1/64",
      "FD00::ABCD/64, fd00::abcd/64",
      "::/0, ::/0",
      "::1, ::1/128",
      "2001:db8::, 2001:db8::/128",
      "2001:db8:0:1:1:1:1:1/128, 2001:db8:0:1:1:1:1:1/128",
      "2001:0:0:1:0:0:0:1/128, 2001:0:0:1::1/128",
      "2001:0:0:1:1:0:0:1/128, 2001::1:1:0:0:1/128",
      "2001:db8:0:0:1:0:0:1/128, 2001:db8::1:0:0:1/128",
  })
  void parsesAndPrintsCanonicalText(String input, String expected) {
    assertEquals(expected, IpPrefix.parse(input).toString());
    assertEquals(IpPrefix.parse(expected), IpPrefix.parse(input));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "10.0.0.0/", "256.0.0.0/8", "10.0.0/8",
      "fd00::/129", "example.com/24", "localhost", "10.0.0.0/24/1", "fd00:::1/64", "1.2.3.4.5",
  })
  void rejectsInvalid(String text) {
    assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text));
  }

  @Test
  void rejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "0.0.0.0", "255.255.255.255", "192.0.2.09", "010.1.2.3", " 198.51.100.7 ", "[203.0.113.1]"})
  void parsesIpv4AsTheJdkDoes(String text) throws Exception {
    String literal = text.strip().replace("[", "").replace("]", "");
    InetAddress jdk;
    try {
      jdk = InetAddress.getByName(literal);
    } catch (Exception e) {
      assertThrows(IllegalArgumentException.class, () -> IpPrefix.parseAddress(text));
      return;
    }
    assertEquals(jdk, IpPrefix.parseAddress(text));
    assertEquals(jdk.getHostAddress(), IpPrefix.parseAddress(text).getHostAddress());
  }

  @Test
  void neverResolvesNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parseAddress("wg.example"));
    assertTrue(e.getMessage().contains("not an IP address"));
  }

  @Test
  void network() {
    assertEquals(IpPrefix.parse("10.1.2.0/24"), IpPrefix.parse("10.1.2.3/24").network());
    assertEquals(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("10.255.255.255/8").network());
    assertEquals(IpPrefix.parse("10.1.2.3/32"), IpPrefix.parse("10.1.2.3/32").network());
    assertEquals(IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("192.0.2.1/0").network());
    assertEquals(IpPrefix.parse("10.1.2.0/23"), IpPrefix.parse("10.1.3.255/23").network());
    assertEquals("fd00:1::/32", IpPrefix.parse("fd00:1:2:3::5/32").network().toString());
    assertEquals("fd00:1:2:2::/63", IpPrefix.parse("fd00:1:2:3::5/63").network().toString());
    IpPrefix network = IpPrefix.parse("fd00:1:2:3::5/64").network();
    assertEquals("fd00:1:2:3::/64", network.toString());
    assertEquals(network, network.network());
  }

  @Test
  void hostBitsMatterForEquality() {
    assertNotEquals(IpPrefix.parse("10.0.0.1/24"), IpPrefix.parse("10.0.0.0/24"));
    assertNotEquals(IpPrefix.parse("10.0.0.0/24"), IpPrefix.parse("10.0.0.0/25"));
    assertEquals(IpPrefix.parse("10.0.0.0/24").hashCode(), IpPrefix.parse("10.0.0.0/24").hashCode());
  }

  @Test
  void contains() {
    IpPrefix net = IpPrefix.parse("10.1.0.0/16");
    assertTrue(net.contains(IpPrefix.parseAddress("10.1.0.0")));
    assertTrue(net.contains(IpPrefix.parseAddress("10.1.255.255")));
    assertFalse(net.contains(IpPrefix.parseAddress("10.2.0.0")));
    assertFalse(net.contains(IpPrefix.parseAddress("fd00::1")), "another family is never contained");
    assertTrue(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parseAddress("203.0.113.9")));
    assertFalse(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parseAddress("::1")));
    IpPrefix v6 = IpPrefix.parse("fd00:1::/32");
    assertTrue(v6.contains(IpPrefix.parseAddress("fd00:1:ffff::1")));
    assertFalse(v6.contains(IpPrefix.parseAddress("fd00:2::1")));
    assertTrue(IpPrefix.parse("10.0.0.7/31").contains(IpPrefix.parseAddress("10.0.0.6")));
    assertFalse(IpPrefix.parse("10.0.0.7/31").contains(IpPrefix.parseAddress("10.0.0.8")));
  }

  @Test
  void overlaps() {
    assertTrue(IpPrefix.parse("10.0.0.0/8").overlaps(IpPrefix.parse("10.1.0.0/16")));
    assertTrue(IpPrefix.parse("10.1.0.0/16").overlaps(IpPrefix.parse("10.0.0.0/8")));
    assertTrue(IpPrefix.parse("10.1.0.0/16").overlaps(IpPrefix.parse("10.1.0.0/16")));
    assertFalse(IpPrefix.parse("10.1.0.0/16").overlaps(IpPrefix.parse("10.2.0.0/16")));
    assertFalse(IpPrefix.parse("10.0.0.0/25").overlaps(IpPrefix.parse("10.0.0.128/25")));
    assertFalse(IpPrefix.parse("0.0.0.0/0").overlaps(IpPrefix.parse("::/0")));
    assertTrue(IpPrefix.parse("fd00::/8").overlaps(IpPrefix.parse("fd12::1/128")));
    assertFalse(IpPrefix.parse("fd00::/16").overlaps(IpPrefix.parse("fd01::/16")));
  }

  @Test
  void families() {
    assertTrue(IpPrefix.parse("10.0.0.0/8").isIpv4());
    assertFalse(IpPrefix.parse("fd00::/8").isIpv4());
  }

  @Test
  void hostTextIsCompressedForIpv6() {
    assertEquals("2001:db8::5", IpPrefix.hostText(IpPrefix.parseAddress("2001:0db8:0000:0000:0000:0000:0000:0005")));
    assertEquals("192.0.2.1", IpPrefix.hostText(IpPrefix.parseAddress("192.0.2.1")));
  }
}
