package dev.wgmesh.core.wg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WireGuardDevicesTest {

  @ParameterizedTest
  @ValueSource(strings = {"wg0", "wgmesh", "a", "wg-mesh.1_x", "fifteen-chars-x"})
  void acceptsLinuxInterfaceNames(String name) {
    assertEquals(name, WireGuardDevices.requireValidName(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "../x", "wg/0", "wg:0", "wg 0", "wg\t0", "sixteen-chars-xx", "wgé"})
  void rejectsOtherNames(String name) {
    assertThrows(IllegalArgumentException.class, () -> WireGuardDevices.requireValidName(name));
    assertThrows(IllegalArgumentException.class, () -> WireGuardDevices.open(name));
  }

  @Test
  void socketPathIsUnderTheSharedDirectory() {
    assertEquals(Path.of("/var/run/wireguard/wg0.sock"), UapiDevice.socketPathOf("wg0"));
    assertEquals(Path.of("/var/run/wireguard/wg0.sock"), UapiDevice.forInterface("wg0").socketPath());
  }

  /** Works with or without wg installed: either way the name is not a device. */
  @Test
  void missingDeviceIsReportedByName() {
    String name = "wgnone" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    DeviceNotFoundException e = assertThrows(DeviceNotFoundException.class, () -> WireGuardDevices.open(name));
    assertEquals(name, e.deviceName());
    assertTrue(e.getMessage().startsWith("no WireGuard device named '" + name + "': no UAPI socket at /var/run/wireguard/"
        + name + ".sock and `wg show " + name + "` failed: "), e.getMessage());
    DeviceNotFoundException withPrefix =
        assertThrows(DeviceNotFoundException.class, () -> WireGuardDevices.open(name, List.of("env")));
    assertEquals(name, withPrefix.deviceName());
  }
}
