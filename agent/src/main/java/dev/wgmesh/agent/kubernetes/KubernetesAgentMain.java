package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.kube.KubernetesOptions;
import dev.wgmesh.kube.NodeMain;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.wgmesh.agent.AgentObserver;
import java.util.concurrent.atomic.AtomicReference;

/** Runs {@link KubernetesAgent} with the real parts until SIGTERM ({@link NodeMain}). */
public final class KubernetesAgentMain {
  private static final Logger log = LoggerFactory.getLogger(KubernetesAgentMain.class);

  private KubernetesAgentMain() {}

  /**
   * @return the exit code: 0 after SIGTERM, 1 when the agent cannot start (key unreadable), 2 for
   *     bad arguments
   */
  public static int run(KubernetesOptions.Node options, Path stateDir, Duration tick, AgentObserver observer) throws InterruptedException {
    return NodeMain.run("agent", options, (client, reconciler) -> {
      AtomicReference<KubernetesAgent> self = new AtomicReference<>();
      KubernetesAgent agent = new KubernetesAgent(
          KubernetesAgent.Settings.defaults(options.nodeName(), options.mesh(), stateDir).withTick(tick), client, reconciler,
          (target, device) -> AgentDiscoveryLoop.start(target, device, observer, () -> self.get().nodeAddresses()), Clock.systemUTC());
      self.set(agent);
      try {
        agent.start();
      } catch (IOException e) {
        agent.close();
        throw new NodeMain.Failure(1, e.getMessage());
      }
      log.info("agent for node {} in mesh {} on interface {} (state in {}), API server {}", options.nodeName(), options.mesh(),
          reconciler.iface(), stateDir, client.masterUrl());
      return agent::close;
    });
  }
}
