package dev.wgmesh.operator;

import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.cli.Cli;
import dev.wgmesh.core.cli.DurationConverter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wgmesh operator}: reconcile WireGuardMeshes and WireGuardPeers into WireGuardNodeConfigs. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Kubernetes operator that builds meshes from the CRDs.",
      "",
      "Allocates tunnel addresses, renders one WireGuardNodeConfig per node and one for the registry, runs each mesh's "
          + "registry, and reports status, conditions and Events. It finds the API server as kubectl does (in-cluster "
          + "service account, KUBECONFIG, ~/.kube/config)."
    })
public final class OperatorCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(OperatorCommand.class);

  @Option(names = "--namespace", defaultValue = "${env:POD_NAMESPACE:-" + OperatorSettings.DEFAULT_NAMESPACE + "}",
      description = "Namespace of the registry's Deployment, Service and key Secret, and of the Lease (default: $POD_NAMESPACE, else ${DEFAULT-VALUE})")
  String namespace;

  @Option(names = "--registry-image", paramLabel = "<image>",
      description = "Image of the registry pods (default: wgmesh-node:<this version>)")
  String registryImage;

  @Option(names = "--registry-image-pull-policy", defaultValue = "IfNotPresent", paramLabel = "<policy>",
      description = "Pull policy of the registry image (default: ${DEFAULT-VALUE})")
  String registryImagePullPolicy;

  @Option(names = "--registry-service-account", defaultValue = OperatorSettings.DEFAULT_REGISTRY_SERVICE_ACCOUNT,
      description = "ServiceAccount of the registry pods (default: ${DEFAULT-VALUE})")
  String registryServiceAccount;

  @Option(names = "--leader-election", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Reconcile only while holding a Lease in the namespace, so replicas can stand by (default: on)")
  boolean leaderElection;

  @Option(names = "--lease-name", defaultValue = OperatorSettings.DEFAULT_LEASE_NAME,
      description = "Name of the leader-election Lease (default: ${DEFAULT-VALUE})")
  String leaseName;

  @Option(names = "--lease-duration", defaultValue = "15s", paramLabel = "<duration>", converter = DurationConverter.class,
      description = "How long a Lease outlives its holder's last renewal (default: ${DEFAULT-VALUE})")
  Duration leaseDuration;

  @Option(names = "--identity", paramLabel = "<name>",
      description = "This instance's name in the Lease and in Events (default: $POD_NAME, else host name and pid)")
  String identity;

  @Option(names = "--metrics", defaultValue = "127.0.0.1:9587", paramLabel = "<ip:port|off>",
      description = "Serve Prometheus metrics at http://<ip:port>/metrics and a health check at /healthz (default: ${DEFAULT-VALUE})")
  String metricsListen;

  /** Runs this command alone (the {@code wgmesh} launcher is the usual way in). */
  public static void main(String[] args) {
    Cli.main(new OperatorCommand(), args);
  }

  @Override
  public Integer call() throws Exception {
    OperatorSettings settings;
    InetSocketAddress metricsAt = null;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      return fail(2, e.getMessage());
    }
    try {
      if (!metricsListen.equals("off")) {
        metricsAt = Endpoints.parse(metricsListen);
      }
    } catch (IllegalArgumentException e) {
      return fail(2, "--metrics: " + e.getMessage());
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    OperatorMetrics metrics = settings.metrics();
    Operator operator;
    try {
      operator = MeshOperator.start(client, settings);
    } catch (RuntimeException e) {
      close(metrics, client);
      return fail(1, "cannot start: " + rootMessage(e));
    }
    if (metricsAt != null) {
      try {
        InetSocketAddress at = metrics.serve(metricsAt, () -> operator.getRuntimeInfo().allEventSourcesAreHealthy());
        log.info("metrics at http://{}/metrics", Endpoints.format(at));
      } catch (IOException e) {
        operator.stop();
        close(metrics, client);
        return fail(1, "--metrics: " + e.getMessage());
      }
    }
    return runUntilSignalled(() -> {
      operator.stop();
      close(metrics, client);
    });
  }

  OperatorSettings settings() {
    OperatorSettings settings = OperatorSettings.defaults(namespace)
        .withRegistryImage(registryImage == null ? OperatorSettings.defaultRegistryImage() : registryImage, registryImagePullPolicy)
        .withRegistryServiceAccount(registryServiceAccount);
    if (leaderElection) {
      Duration lease = leaseDuration;
      if (lease.compareTo(Duration.ofSeconds(3)) < 0) {
        throw new IllegalArgumentException("--lease-duration must be at least 3s");
      }
      settings = settings.withLeaderElection(leaseName, identity == null ? OperatorSettings.defaultIdentity() : identity, lease);
    }
    return settings;
  }

  /** SIGTERM (Kubernetes stopping the pod) stops the operator: in-flight reconciles finish first. */
  private static int runUntilSignalled(Runnable shutdown) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch cleaned = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      log.info("stopping");
      stopped.countDown();
      try {
        cleaned.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "operator-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    stopped.await();
    try {
      shutdown.run();
    } finally {
      cleaned.countDown();
    }
    return 0;
  }

  private static void close(OperatorMetrics metrics, KubernetesClient client) {
    metrics.close();
    client.close();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + t.getMessage();
  }

  private static int fail(int code, String message) {
    System.err.println("wgmesh operator: " + message);
    return code;
  }
}
