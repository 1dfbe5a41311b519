package dev.wgmesh.kube;

import dev.wgmesh.core.wg.WireGuardDevices;
import dev.wgmesh.kube.client.KubeApi;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of a node daemon's Kubernetes mode, for {@code @Mixin}: {@code --kubernetes},
 * {@code --mesh} and {@code --interface}, with {@code --node-name} for the agent ({@link Node}) and
 * {@code --namespace} for the registry ({@link Namespaced}). {@link #problem()} checks them.
 */
public abstract class KubernetesOptions {
  @Option(names = "--kubernetes",
      description = "Kubernetes mode: create and configure the interface from the operator's resources and report status there "
          + "(what comes from where: see above). The API server is the pod's (KUBERNETES_SERVICE_HOST and _PORT, the "
          + "ServiceAccount's token and CA bundle), or KUBERNETES_MASTER with KUBERNETES_AUTH_TOKEN where those are set; "
          + "no kubeconfig file is read")
  boolean enabled;

  @Option(names = "--mesh", description = "Kubernetes mode: the WireGuardMesh to serve")
  String mesh;

  @Option(names = "--interface", defaultValue = "wgmesh0",
      description = "Kubernetes mode: the WireGuard interface to create and configure (default: ${DEFAULT-VALUE})")
  String interfaceName;

  public boolean enabled() {
    return enabled;
  }

  public String mesh() {
    return mesh;
  }

  public String interfaceName() {
    return interfaceName;
  }

  /** What is wrong with the options, as a usage error says it; empty when they are usable. */
  public Optional<String> problem() {
    if (mesh == null || mesh.isBlank()) {
      return Optional.of("--mesh is required with --kubernetes");
    }
    try {
      WireGuardDevices.requireValidName(interfaceName);
    } catch (IllegalArgumentException e) {
      return Optional.of("--interface: " + e.getMessage());
    }
    return Optional.empty();
  }

  /** The agent's: it runs for one node. */
  public static final class Node extends KubernetesOptions {
    @Option(names = "--node-name", defaultValue = "${env:NODE_NAME}",
        description = "Kubernetes mode: this node's name (default: $NODE_NAME, from the downward API)")
    String nodeName;

    public String nodeName() {
      return nodeName;
    }

    @Override
    public Optional<String> problem() {
      if (nodeName == null || nodeName.isBlank()) {
        return Optional.of("no node name: set NODE_NAME (from the downward API, spec.nodeName) or pass --node-name");
      }
      return super.problem();
    }
  }

  /** The registry's: it reads a Secret in its namespace. */
  public static final class Namespaced extends KubernetesOptions {
    @Option(names = "--namespace", defaultValue = "${env:POD_NAMESPACE}",
        description = "Kubernetes mode: the namespace of the key Secret (default: $POD_NAMESPACE, else the client's)")
    String namespace;

    /** The namespace given, else the client's (in a pod: its own). */
    public Optional<String> namespace(KubeApi client) {
      return Optional.ofNullable(namespace == null || namespace.isBlank() ? client.namespace().orElse(null) : namespace);
    }
  }
}
