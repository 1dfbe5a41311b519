package dev.wgmesh.operator;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How one operator instance runs: where its namespaced objects live, what the registry pods run,
 * and whether it competes for leadership. Tests and the demo use {@link #defaults(String)} and the
 * {@code with...} methods; {@link OperatorCommand} builds it from flags.
 *
 * @param namespace the operator's namespace: the registry's Deployment, Service and key Secret, and
 *     the leader-election Lease
 * @param registryImage the image of the registry pods (the node image, entrypoint {@code wgmesh})
 * @param registryImagePullPolicy their image pull policy
 * @param registryServiceAccount the ServiceAccount of the registry pods (created by the Helm chart)
 * @param leaderElection whether to take a Lease before reconciling (off: this instance reconciles at once)
 * @param leaseName the Lease's name, in {@code namespace}
 * @param identity this instance's name in the Lease (the pod name in a cluster)
 * @param leaseDuration how long a Lease outlives its holder's last renewal
 * @param metrics where reconcile and write counters go
 * @param onLostLeadership what to do when leadership is lost other than by {@code stop()}: by
 *     default exit, so that Kubernetes restarts the pod and no two instances ever reconcile at once
 */
public record OperatorSettings(
    String namespace,
    String registryImage,
    String registryImagePullPolicy,
    String registryServiceAccount,
    boolean leaderElection,
    String leaseName,
    String identity,
    Duration leaseDuration,
    OperatorMetrics metrics,
    Runnable onLostLeadership) {

  public static final String DEFAULT_NAMESPACE = "wgmesh-system";
  public static final String DEFAULT_LEASE_NAME = "wgmesh-operator";
  public static final String DEFAULT_REGISTRY_SERVICE_ACCOUNT = "wgmesh-registry";

  public OperatorSettings {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(registryImage, "registryImage");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(onLostLeadership, "onLostLeadership");
  }

  /** No leader election, the default registry image, fresh metrics. */
  public static OperatorSettings defaults(String namespace) {
    return new OperatorSettings(namespace, defaultRegistryImage(), "IfNotPresent", DEFAULT_REGISTRY_SERVICE_ACCOUNT,
        false, DEFAULT_LEASE_NAME, defaultIdentity(), Duration.ofSeconds(15), new OperatorMetrics(),
        OperatorSettings::exitProcess);
  }

  /** {@code wgmesh-node:<version of this build>}, the image the Helm chart and images/build tag. */
  public static String defaultRegistryImage() {
    String version = OperatorSettings.class.getPackage().getImplementationVersion();
    return "wgmesh-node:" + (version == null ? "latest" : version);
  }

  /** POD_NAME in a cluster (the Downward API), else the host name, else a random id. */
  public static String defaultIdentity() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
    } catch (UnknownHostException e) {
      return UUID.randomUUID().toString();
    }
  }

  public OperatorSettings withRegistryImage(String image, String pullPolicy) {
    return new OperatorSettings(namespace, image, pullPolicy, registryServiceAccount, leaderElection, leaseName, identity,
        leaseDuration, metrics, onLostLeadership);
  }

  public OperatorSettings withRegistryServiceAccount(String serviceAccount) {
    return new OperatorSettings(namespace, registryImage, registryImagePullPolicy, serviceAccount, leaderElection, leaseName,
        identity, leaseDuration, metrics, onLostLeadership);
  }

  public OperatorSettings withLeaderElection(String leaseName, String identity, Duration leaseDuration) {
    return new OperatorSettings(namespace, registryImage, registryImagePullPolicy, registryServiceAccount, true, leaseName,
        identity, leaseDuration, metrics, onLostLeadership);
  }

  public OperatorSettings withMetrics(OperatorMetrics metrics) {
    return new OperatorSettings(namespace, registryImage, registryImagePullPolicy, registryServiceAccount, leaderElection,
        leaseName, identity, leaseDuration, metrics, onLostLeadership);
  }

  public OperatorSettings withOnLostLeadership(Runnable onLostLeadership) {
    return new OperatorSettings(namespace, registryImage, registryImagePullPolicy, registryServiceAccount, leaderElection,
        leaseName, identity, leaseDuration, metrics, onLostLeadership);
  }

  /** From another thread: System.exit blocks its caller until the shutdown hooks are done. */
  private static void exitProcess() {
    Thread exit = new Thread(() -> System.exit(1), "wgmesh-lost-leadership");
    exit.start();
  }
}
