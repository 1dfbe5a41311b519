package dev.wgmesh.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointsTest {

  @Test
  void parsesIpv4() {
    InetSocketAddress endpoint = Endpoints.parse("192.0.2.1:51820");
    assertInstanceOf(Inet4Address.class, endpoint.getAddress());
    assertEquals("192.0.2.1", endpoint.getAddress().getHostAddress());
    assertEquals(51820, endpoint.getPort());
    assertFalse(endpoint.isUnresolved());
  }

  @Test
  void parsesBracketedIpv6() {
    InetSocketAddress endpoint = Endpoints.parse("[2001:db8::5]:51820");
    assertInstanceOf(Inet6Address.class, endpoint.getAddress());
    assertEquals(IpPrefix.parseAddress("2001:db8::5"), endpoint.getAddress());
    assertEquals(51820, endpoint.getPort());
  }

  @ParameterizedTest
  @CsvSource({
      "192.0.2.1:51820, 192.0.2.1:51820",
      "  203.0.113.7:1  , 203.0.113.7:1",
      "[2001:db8::5]:51820, [2001:db8::5]:51820",
      "[2001:0db8:0:0:0:0:0:5]:0, [2001:db8::5]:0",
      "[::1]:65535, [::1]:65535",
  })
  void formatsAsWireGuardDoes(String input, String expected) {
    assertEquals(expected, Endpoints.format(Endpoints.parse(input)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "192.0.2.1", "192.0.2.1:", ":51820", "192.0.2.1:65536", "192.0.2.1:-1", "192.0.2.1:port",
      "2001:db8::5:51820", "[2001:db8::5]", "[2001:db8::5]:", "example.com:51820", "300.0.0.1:1",
  })
  void rejectsInvalid(String text) {
    assertThrows(IllegalArgumentException.class, () -> Endpoints.parse(text));
  }

  @Test
  void rejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> Endpoints.parse(null));
  }
}
