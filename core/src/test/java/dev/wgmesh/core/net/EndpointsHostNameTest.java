package dev.wgmesh.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointsHostNameTest {
  @Test
  void namesStayUnresolvedAndLiteralsAreParsed() {
    InetSocketAddress named = Endpoints.parseHostOrAddress("vpn.example.com:51820");
    assertTrue(named.isUnresolved(), "validation never resolves names");
    assertEquals("vpn.example.com:51820", Endpoints.format(named));
    InetSocketAddress literal = Endpoints.parseHostOrAddress("203.0.113.5:51820");
    assertFalse(literal.isUnresolved());
    assertEquals("[2001:db8::1]:51820", Endpoints.format(Endpoints.parseHostOrAddress("[2001:db8::1]:51820")));
  }

  @Test
  void badHostsAndPortsAreRejected() {
    for (String bad : new String[] {"vpn.example.com", "vpn..example.com:1", "-bad.example:1", "host:0", "host:70000", "host:port", ":51820", "999.1.1.1:1"}) {
      assertThrows(IllegalArgumentException.class, () -> Endpoints.parseHostOrAddress(bad), bad);
    }
  }
}
