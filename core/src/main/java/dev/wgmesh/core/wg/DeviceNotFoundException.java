package dev.wgmesh.core.wg;

import java.io.IOException;

/** No WireGuard device of that name exists (no UAPI socket, no kernel interface). */
public class DeviceNotFoundException extends IOException {
  private final String deviceName;

  public DeviceNotFoundException(String deviceName, String message) {
    super(message);
    this.deviceName = deviceName;
  }

  public String deviceName() {
    return deviceName;
  }
}
