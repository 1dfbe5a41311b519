package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.kube.KubernetesOptions;
import dev.wgmesh.kube.NodeMain;
import dev.wgmesh.registry.RegistryMetrics;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@link KubernetesRegistry} with the real parts until SIGTERM ({@link NodeMain}). */
public final class KubernetesRegistryMain {
  private static final Logger log = LoggerFactory.getLogger(KubernetesRegistryMain.class);

  private KubernetesRegistryMain() {}

  /**
   * @param settings built for the mesh of {@code options}, without a namespace: it comes from
   *     {@code options}, else from the client (in a pod: its own namespace)
   */
  public static int run(KubernetesOptions.Namespaced options, KubernetesRegistry.Settings settings, RegistryMetrics metrics)
      throws InterruptedException {
    return NodeMain.run("registry", options, (client, reconciler) -> {
      String namespace = options.namespace(client)
          .orElseThrow(() -> new NodeMain.Failure(2, "no namespace: set POD_NAMESPACE (from the downward API) or pass --namespace"));
      KubernetesRegistry registry = new KubernetesRegistry(settings.withNamespace(namespace), client, reconciler, metrics, Clock.systemUTC());
      registry.start();
      log.info("registry of mesh {} on interface {}: key from Secret {}/{}, peers from WireGuardNodeConfig {}, API server {}",
          settings.mesh(), reconciler.iface(), namespace, settings.secretName(), settings.configName(),
          client.masterUrl());
      return registry::close;
    });
  }
}
