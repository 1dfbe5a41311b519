package dev.wgmesh.kube;

import dev.wgmesh.core.util.Shutdown;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import dev.wgmesh.kube.client.HttpKubeApi;
import dev.wgmesh.kube.client.KubeApi;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a node daemon's Kubernetes mode with the real parts until SIGTERM: checks the options, makes
 * the client ({@link HttpKubeApi#fromEnvironment}: in-cluster config, or KUBERNETES_MASTER) and the interface, starts the
 * daemon, and stops it on the signal.
 */
public final class NodeMain {
  private static final Logger log = LoggerFactory.getLogger(NodeMain.class);

  private NodeMain() {}

  /** A started daemon. */
  @FunctionalInterface
  public interface Running {
    void stop();
  }

  /** Makes and starts the daemon. */
  @FunctionalInterface
  public interface Starter {
    Running start(KubeApi client, InterfaceReconciler reconciler) throws Failure;
  }

  /** The daemon cannot start: a message for the command line and its exit code. */
  public static final class Failure extends Exception {
    private final int exitCode;

    public Failure(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }
  }

  /**
   * @param daemon "agent" or "registry"
   * @return the exit code: 0 after SIGTERM, 2 for bad options, else the starter's
   */
  public static int run(String daemon, KubernetesOptions options, Starter starter) throws InterruptedException {
    Optional<String> problem = options.problem();
    if (problem.isPresent()) {
      return fail(daemon, 2, problem.get());
    }
    KubeApi client;
    try {
      client = HttpKubeApi.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      return fail(daemon, 2, e.getMessage());
    }
    Running running;
    try {
      running = starter.start(client, InterfaceReconciler.onHost(options.interfaceName()));
    } catch (Failure e) {
      client.close();
      return fail(daemon, e.exitCode, e.getMessage());
    }
    Shutdown.awaitSignal(daemon, Duration.ofSeconds(15), () -> {
      log.info("stopping");
      running.stop();
      client.close();
    });
    return 0;
  }

  private static int fail(String daemon, int code, String message) {
    System.err.println("wgmesh " + daemon + ": " + message);
    return code;
  }
}
