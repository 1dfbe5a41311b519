package dev.wgmesh.kube;

import dev.wgmesh.kube.client.KubeApi;

import dev.wgmesh.testapiserver.Identity;
import dev.wgmesh.testapiserver.StrictApiServer;
import dev.wgmesh.kube.client.HttpKubeApi;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * An API server that can be away and come back (the strict test API server on a fixed port), and
 * a client that fails fast while it is away; for tests of what the node daemons do in an outage.
 */
public final class ApiServers {
  private ApiServers() {}

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A strict test API server on {@code port} of the loopback address: the CRDs, no objects. */
  public static StrictApiServer apiServer(int port, String... meshes) {
    return StrictApiServer.builder().meshes(meshes).listen(InetAddress.getLoopbackAddress(), port).start();
  }

  /**
   * A client that is {@code who}, of the API server at {@code port}, whether or not one answers
   * there: short timeouts, no retries. Its token is valid on every instance of the test API server.
   */
  public static KubeApi client(int port, Identity who) {
    return HttpKubeApi.of("http://127.0.0.1:" + port, who.token());
  }

  /** The node daemons' client of {@code api}, as {@code who}. */
  public static KubeApi client(StrictApiServer api, Identity who) {
    return HttpKubeApi.of(api.url(), api.token(who));
  }
}
