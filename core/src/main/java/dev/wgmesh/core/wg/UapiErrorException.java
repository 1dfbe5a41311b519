package dev.wgmesh.core.wg;

import java.io.IOException;
import java.util.Map;

/**
 * The device answered a UAPI request with a non-zero {@code errno}. wireguard-go reports negative
 * values ({@code errno=-22}); other implementations may report positive ones, so both are accepted.
 */
public class UapiErrorException extends IOException {
  private static final Map<Integer, String> NAMES =
      Map.of(5, "EIO", 22, "EINVAL (invalid request)", 71, "EPROTO (protocol error)", 98, "EADDRINUSE (port in use)");

  private final int errno;

  public UapiErrorException(String operation, int errno) {
    super(operation + " failed: errno=" + errno + describe(errno));
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }

  private static String describe(int errno) {
    String name = NAMES.get(Math.abs(errno));
    return name == null ? "" : " " + name;
  }
}
