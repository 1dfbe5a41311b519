package dev.wgmesh.core.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.relay.RelayFrame.MalformedFrameException;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RelayFrameTest {
  @Test
  void roundTripsIpv4AndIpv6() throws Exception {
    byte[] payload = {1, 2, 3, 4, 5};
    for (String[] pair : new String[][] {{"10.99.0.1", "10.99.0.2"}, {"fd00::1", "fd00::2"}}) {
      RelayFrame f = new RelayFrame(RelayFrame.Type.DATA, InetAddress.getByName(pair[0]), InetAddress.getByName(pair[1]), payload);
      byte[] wire = f.encode();
      assertEquals(RelayFrame.HEADER_LENGTH + payload.length, wire.length);
      RelayFrame back = RelayFrame.decode(wire, wire.length);
      assertEquals(f, back);
      assertEquals(InetAddress.getByName(pair[1]), RelayFrame.decodeHeader(wire, wire.length).destination());
    }
  }

  @Test
  void headerLayoutIsAsDocumented() throws Exception {
    byte[] wire = new RelayFrame(RelayFrame.Type.PUNCH, InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"), new byte[0]).encode();
    assertArrayEquals(new byte[] {'W', 'M', 1, 3}, java.util.Arrays.copyOf(wire, 4));
    assertEquals((byte) 0xff, wire[4 + 10]);
    assertEquals(10, wire[4 + 12]);
    assertEquals(2, wire[20 + 15]);
  }

  @Test
  void rejectsShortForeignUnknownAndFutureFrames() {
    assertThrows(MalformedFrameException.class, () -> RelayFrame.decode(new byte[10], 10));
    byte[] wire = new byte[40];
    MalformedFrameException magic = assertThrows(MalformedFrameException.class, () -> RelayFrame.decode(wire, 40));
    assertTrue(magic.getMessage().contains("magic"));
    wire[0] = 'W';
    wire[1] = 'M';
    wire[2] = 9;
    assertTrue(assertThrows(MalformedFrameException.class, () -> RelayFrame.decode(wire, 40)).getMessage().contains("version"));
    wire[2] = 1;
    wire[3] = 77;
    assertTrue(assertThrows(MalformedFrameException.class, () -> RelayFrame.decode(wire, 40)).getMessage().contains("type"));
  }

  @Test
  void randomBytesNeverThrowAnythingButMalformed() {
    Random random = new Random(3);
    for (int i = 0; i < 50_000; i++) {
      byte[] b = new byte[random.nextInt(80)];
      random.nextBytes(b);
      if (b.length > 3 && random.nextBoolean()) {
        b[0] = 'W';
        b[1] = 'M';
        b[2] = 1;
      }
      try {
        RelayFrame.decode(b, b.length);
      } catch (MalformedFrameException expected) {
        // fine: the only failure allowed
      }
    }
  }
}
