package dev.wgmesh.core.wg;

import java.io.IOException;

/**
 * Read and change one WireGuard interface. Implementations: {@link UapiDevice} (the userspace
 * control socket of wireguard-go and boringtun) and {@link WgCommandDevice} (the {@code wg} tool,
 * for the kernel module). {@link WireGuardDevices#open(String)} picks one.
 *
 * <p>Callers need nothing beyond this interface: {@link #read()} reports all the device tells
 * that the project uses, including whether each peer has a preshared key (never the key).
 */
public interface WireGuardDevice {
  /** The interface name, e.g. "wg0". */
  String name();

  DeviceState read() throws IOException;

  void apply(DeviceChange change) throws IOException;
}
