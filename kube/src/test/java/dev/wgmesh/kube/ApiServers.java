package dev.wgmesh.kube;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;

/**
 * An API server that can be away and come back (fabric8's mock in CRUD mode on a fixed port), and
 * a client that fails fast while it is away; for tests of what the node daemons do in an outage.
 */
public final class ApiServers {
  private ApiServers() {}

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A CRUD mock API server on {@code port} of the loopback address, empty. */
  public static KubernetesMockServer apiServer(int port) {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), port);
    return server;
  }

  /** A client of the API server at {@code port}, whether or not one answers there: short timeouts, no retries. */
  public static KubernetesClient client(int port) {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + port)
        .withNamespace("default")
        .withAutoConfigure(false)
        .withConnectionTimeout(1000)
        .withRequestTimeout(2000)
        .withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(200)
        .build()).build();
  }
}
