package dev.wgmesh.core.wg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds a WireGuard device by interface name and picks the way to talk to it. */
public final class WireGuardDevices {
  /** Linux IFNAMSIZ is 16 including the terminating NUL. */
  public static final int MAX_NAME_LENGTH = 15;

  private WireGuardDevices() {}

  /**
   * A userspace device when its UAPI socket exists (wireguard-go, boringtun), else a kernel device
   * when {@code wg show <iface>} accepts the name.
   *
   * @throws DeviceNotFoundException when neither exists
   */
  public static WireGuardDevice open(String iface) throws IOException {
    return open(iface, List.of());
  }

  /**
   * As {@link #open(String)}, running {@code wg} behind {@code commandPrefix} (for example
   * {@code ip netns exec NS}). UAPI sockets are found without it: their path is shared by all
   * network namespaces.
   */
  public static WireGuardDevice open(String iface, List<String> commandPrefix) throws IOException {
    Path socket = UapiDevice.socketPathOf(iface);
    if (Files.exists(socket)) {
      return new UapiDevice(iface, socket);
    }
    List<String> probe = new ArrayList<>(commandPrefix);
    probe.addAll(List.of("wg", "show", iface));
    String failure;
    try {
      CommandRunner.Result result = CommandRunner.run(probe, "wg show " + iface, WgCommandDevice.TIMEOUT);
      if (result.succeeded()) {
        return new WgCommandDevice(iface, commandPrefix);
      }
      failure = WgCommandDevice.describeFailure(result);
    } catch (IOException e) {
      failure = e.getMessage(); // typically: wg is not installed
    }
    throw new DeviceNotFoundException(iface, "no WireGuard device named '" + iface + "': no UAPI socket at "
        + socket + " and `wg show " + iface + "` failed: " + failure);
  }

  /**
   * Checks an interface name as Linux does (1 to 15 characters, no '/', ':' or whitespace, not
   * "." or ".."); names become file names, so this also keeps paths inside the socket directory.
   */
  public static String requireValidName(String iface) {
    if (iface == null || iface.isEmpty() || iface.length() > MAX_NAME_LENGTH
        || iface.equals(".") || iface.equals("..") || !iface.chars().allMatch(WireGuardDevices::allowedInName)) {
      throw new IllegalArgumentException("'" + iface + "' is not a valid interface name (1 to " + MAX_NAME_LENGTH
          + " characters, no '/', ':' or whitespace)");
    }
    return iface;
  }

  private static boolean allowedInName(int c) {
    return c > ' ' && c < 127 && c != '/' && c != ':';
  }
}
