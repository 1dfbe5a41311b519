package dev.wgmesh.demo;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The API server of a {@link KubernetesMesh}: a client for the set-up, and how each component's
 * process reaches it and as whom. The demo embeds fabric8's CRUD mock, which checks nobody; the
 * full-system lab test uses the strict test API server, where each component is its chart
 * ServiceAccount.
 */
public interface ClusterApi extends AutoCloseable {
  /** A client that may do anything, for setting the cluster up and looking at it. */
  KubernetesClient admin();

  /**
   * The environment of a component's process: where the API server is and its credentials as
   * ServiceAccount {@code serviceAccount} of the namespace, bound to {@code node} (null: none).
   */
  Map<String, String> environment(String serviceAccount, String node);

  @Override
  void close();

  /**
   * The mock server logs every request at INFO through java.util.logging, which would bury the
   * demo's output. Held in a field: java.util.logging keeps loggers weakly, and a collected one
   * forgets its level.
   */
  java.util.logging.Logger MOCK_LOG = quiet(java.util.logging.Logger.getLogger("io.fabric8.mockwebserver"));

  private static java.util.logging.Logger quiet(java.util.logging.Logger logger) {
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }

  /** fabric8's mock API server in CRUD mode, listening on {@code address}: no authentication, no authorization. */
  static ClusterApi crudMock(InetAddress address) {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init(address, 0);
    KubernetesClient client = server.createClient();
    return new ClusterApi() {
      @Override
      public KubernetesClient admin() {
        return client;
      }

      @Override
      public Map<String, String> environment(String serviceAccount, String node) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KUBERNETES_MASTER", "http://" + address.getHostAddress() + ":" + server.getPort());
        env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
        env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
        return env;
      }

      @Override
      public void close() {
        client.close();
        server.destroy();
      }
    };
  }
}
