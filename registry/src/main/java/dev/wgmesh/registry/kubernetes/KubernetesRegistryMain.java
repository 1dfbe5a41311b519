package dev.wgmesh.registry.kubernetes;

import dev.wgmesh.core.util.Shutdown;
import java.time.Duration;
import dev.wgmesh.core.wg.WireGuardDevices;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.registry.RegistryMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@link KubernetesRegistry} with the real parts until SIGTERM. */
public final class KubernetesRegistryMain {
  private static final Logger log = LoggerFactory.getLogger(KubernetesRegistryMain.class);

  private KubernetesRegistryMain() {}

  /** @param settings with {@code namespace} null: the client's default (in a pod: its own namespace) */
  public static int run(KubernetesRegistry.Settings settings, String iface, RegistryMetrics metrics) throws InterruptedException {
    if (settings.mesh() == null || settings.mesh().isBlank()) {
      return fail(2, "--mesh is required with --kubernetes");
    }
    try {
      WireGuardDevices.requireValidName(iface);
    } catch (IllegalArgumentException e) {
      return fail(2, "--interface: " + e.getMessage());
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    String namespace = settings.namespace() != null ? settings.namespace() : client.getNamespace();
    if (namespace == null) {
      client.close();
      return fail(2, "no namespace: set POD_NAMESPACE (from the downward API) or pass --namespace");
    }
    KubernetesRegistry.Settings s = new KubernetesRegistry.Settings(settings.mesh(), namespace, settings.zone(), settings.listen(),
        settings.dnsPort(), settings.relayListen(), settings.relayPort(), settings.maxHandshakeAge(), settings.refresh(),
        settings.maxUdpPayload(), settings.udpWorkers(), settings.reconcileInterval(), settings.statusMinInterval(), settings.resync());
    KubernetesRegistry registry = new KubernetesRegistry(s, client, InterfaceReconciler.onHost(iface), metrics, Clock.systemUTC());
    registry.start();
    log.info("registry of mesh {} on interface {}: key from Secret {}/{}, peers from WireGuardNodeConfig {}, API server {}",
        s.mesh(), iface, namespace, RegistryKey.secretName(s.mesh()), s.configName(), client.getConfiguration().getMasterUrl());
    Shutdown.awaitSignal("registry", Duration.ofSeconds(15), () -> {
      log.info("stopping");
      registry.close();
      client.close();
    });
    return 0;
  }

  private static int fail(int code, String message) {
    System.err.println("wgmesh registry: " + message);
    return code;
  }
}
