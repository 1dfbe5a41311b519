package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import dev.wgmesh.operator.OperatorSettings;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Each registry's Deployment: one pod running {@code wgmesh registry --kubernetes --mesh <mesh>}
 * (and {@code --registry-name <name>} for a named one), which reads its key from its Secret and
 * its peers from its WireGuardNodeConfig.
 *
 * <ul>
 *   <li>HostNetwork exposure: the pod uses the host network of the registry's {@code nodeName}
 *       (pinned by {@code nodeName}, so no scheduler or taint gets in the way), so the source
 *       ports it observes are the nodes' real NAT mappings. No Service: nothing inside the
 *       cluster talks to the registry except through the tunnel.
 *   <li>LoadBalancer exposure: an ordinary pod network pod behind {@link RegistryServiceDependent}.
 * </ul>
 *
 * One replica with the Recreate strategy: two registries with one key would fight over the peers'
 * endpoints, and on a host network the new pod could not bind the port while the old one holds it.
 */
public final class RegistryDeploymentDependent extends HashedDependent<Deployment> {
  private final OperatorSettings settings;

  public RegistryDeploymentDependent(OperatorSettings settings) {
    super(Deployment.class);
    this.settings = settings;
  }

  @Override
  protected Optional<Deployment> build(WireGuardMesh mesh, WireGuardMeshSpec.RegistrySpec registry) {
    String meshName = mesh.getMetadata().getName();
    String name = registry.getName();
    boolean hostNetwork = registry.hostNetwork();
    int port = registry.portOrDefault();

    // The zone is passed, so the registry never needs to read the mesh (its RBAC does not allow it).
    List<String> args = new ArrayList<>(List.of("registry", "--kubernetes", "--mesh", meshName));
    if (name != null) {
      args.addAll(List.of("--registry-name", name));
    }
    args.addAll(List.of("--interface", RegistryNames.interfaceName(meshName, name), "--zone", registry.getZone()));
    List<ContainerPort> ports = new ArrayList<>();
    ports.add(new ContainerPortBuilder().withName("wireguard").withProtocol("UDP").withContainerPort(port).build());
    if (!hostNetwork) {
      // On a host network the metrics would listen on the node's public address: there they keep
      // the registry's default, loopback only.
      args.add("--metrics");
      args.add("0.0.0.0:" + RegistryNames.METRICS_PORT);
      ports.add(new ContainerPortBuilder().withName("metrics").withProtocol("TCP").withContainerPort(RegistryNames.METRICS_PORT).build());
    }

    return Optional.of(new DeploymentBuilder()
        .withNewMetadata()
        .withName(RegistryNames.object(meshName, name))
        .withNamespace(settings.namespace())
        .withLabels(RegistryNames.labels(meshName, name))
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewStrategy().withType("Recreate").endStrategy()
        .withNewSelector().withMatchLabels(RegistryNames.selector(meshName, name)).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(RegistryNames.labels(meshName, name)).endMetadata()
        .withNewSpec()
        .withServiceAccountName(settings.registryServiceAccount())
        .withHostNetwork(hostNetwork)
        .withDnsPolicy(hostNetwork ? "ClusterFirstWithHostNet" : "ClusterFirst")
        .withNodeName(hostNetwork ? registry.getNodeName() : null)
        .withTerminationGracePeriodSeconds(10L)
        .withNewSecurityContext().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .addNewContainer()
        .withName("registry")
        .withImage(settings.registryImage())
        .withImagePullPolicy(settings.registryImagePullPolicy())
        .withCommand("wgmesh")
        .withArgs(args)
        .withEnv(env())
        .withPorts(ports)
        // Root with NET_ADMIN only, as the agent: creating the interface takes NET_ADMIN, which
        // Kubernetes grants to root only; every other capability is dropped.
        .withNewSecurityContext()
        .withRunAsUser(0L)
        .withRunAsNonRoot(false)
        .withPrivileged(false)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").withAdd("NET_ADMIN").endCapabilities()
        .endSecurityContext()
        .withNewResources()
        .addToRequests("cpu", new Quantity("20m"))
        .addToRequests("memory", new Quantity("96Mi"))
        .addToLimits("memory", new Quantity("256Mi"))
        .endResources()
        .addNewVolumeMount().withName("tun").withMountPath("/dev/net/tun").endVolumeMount()
        .addNewVolumeMount().withName("wireguard-run").withMountPath("/var/run/wireguard").endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        // userspace WireGuard (wireguard-go) where the kernel has no module
        .addNewVolume().withName("tun").withNewHostPath().withPath("/dev/net/tun").withType("CharDevice").endHostPath().endVolume()
        .addNewVolume().withName("wireguard-run").withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("1Mi")).endEmptyDir().endVolume()
        .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir().endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build());
  }

  private static List<EnvVar> env() {
    return List.of(
        fieldRef("POD_NAMESPACE", "metadata.namespace"),
        fieldRef("POD_NAME", "metadata.name"),
        fieldRef("NODE_NAME", "spec.nodeName"),
        new EnvVarBuilder().withName("JAVA_OPTS").withValue("-XX:MaxRAMPercentage=75").build());
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef().endValueFrom().build();
  }
}
