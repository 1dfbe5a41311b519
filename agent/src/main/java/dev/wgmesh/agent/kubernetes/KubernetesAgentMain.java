package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.core.util.Shutdown;
import dev.wgmesh.core.wg.WireGuardDevices;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs {@link KubernetesAgent} with the real parts until SIGTERM. */
public final class KubernetesAgentMain {
  private static final Logger log = LoggerFactory.getLogger(KubernetesAgentMain.class);

  private KubernetesAgentMain() {}

  /**
   * @return the exit code: 0 after SIGTERM, 1 when the agent cannot start (key unreadable), 2 for
   *     bad arguments
   */
  public static int run(String nodeName, String mesh, Path stateDir, String iface, Duration tick) throws InterruptedException {
    if (nodeName == null || nodeName.isBlank()) {
      return fail(2, "no node name: set NODE_NAME (from the downward API, spec.nodeName) or pass --node-name");
    }
    if (mesh == null || mesh.isBlank()) {
      return fail(2, "--mesh is required with --kubernetes");
    }
    try {
      WireGuardDevices.requireValidName(iface);
    } catch (IllegalArgumentException e) {
      return fail(2, "--interface: " + e.getMessage());
    }
    KubernetesClient client = new KubernetesClientBuilder().build(); // in-cluster config, or KUBERNETES_MASTER / kubeconfig
    KubernetesAgent agent = new KubernetesAgent(
        KubernetesAgent.Settings.defaults(nodeName, mesh, stateDir).withTick(tick), client, InterfaceReconciler.onHost(iface),
        AgentDiscovery::start, Clock.systemUTC());
    try {
      agent.start();
    } catch (IOException e) {
      agent.close();
      client.close();
      return fail(1, e.getMessage());
    }
    log.info("agent for node {} in mesh {} on interface {} (state in {}), API server {}", nodeName, mesh, iface, stateDir,
        client.getConfiguration().getMasterUrl());
    Shutdown.awaitSignal("agent", Duration.ofSeconds(15), () -> {
      log.info("stopping");
      agent.close();
      client.close();
    });
    return 0;
  }

  private static int fail(int code, String message) {
    System.err.println("wgmesh agent: " + message);
    return code;
  }
}
