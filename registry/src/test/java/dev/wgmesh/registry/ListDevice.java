package dev.wgmesh.registry;

import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerState;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.util.List;
import java.util.Optional;

/** A read-only WireGuard device for tests, whose peers are a list the test changes at will. */
record ListDevice(List<PeerState> peers) implements WireGuardDevice {
  @Override
  public String name() {
    return "wg-test";
  }

  @Override
  public DeviceState read() {
    return new DeviceState("wg-test", Optional.empty(), Optional.empty(), 51820, 0, peers);
  }

  @Override
  public void apply(DeviceChange change) {
    throw new UnsupportedOperationException();
  }
}
