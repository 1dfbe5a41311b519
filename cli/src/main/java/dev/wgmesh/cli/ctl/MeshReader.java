package dev.wgmesh.cli.ctl;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;

/** Reads a mesh and everything that belongs to it, turning API trouble into messages a user can act on. */
final class MeshReader {
  private final KubernetesClient client;

  MeshReader(KubernetesClient client) {
    this.client = client;
  }

  MeshView read(String meshName) {
    List<WireGuardMesh> meshes = call(() -> client.resources(WireGuardMesh.class).list().getItems());
    WireGuardMesh mesh;
    if (meshName != null) {
      mesh = meshes.stream().filter(m -> m.getMetadata().getName().equals(meshName)).findFirst()
          .orElseThrow(() -> new CtlException("no WireGuardMesh named " + meshName + (meshes.isEmpty() ? "" : "; meshes: " + names(meshes))));
    } else if (meshes.size() == 1) {
      mesh = meshes.get(0);
    } else if (meshes.isEmpty()) {
      throw new CtlException("no WireGuardMesh in this cluster: create one (see examples/)");
    } else {
      throw new CtlException("several meshes (" + names(meshes) + "): choose one with --mesh");
    }
    String name = mesh.getMetadata().getName();
    List<WireGuardPeer> peers = call(() -> client.resources(WireGuardPeer.class).list().getItems()).stream()
        .filter(p -> name.equals(p.getSpec().getMesh())).toList();
    List<WireGuardNodeConfig> configs = call(() -> client.resources(WireGuardNodeConfig.class).list().getItems()).stream()
        .filter(c -> name.equals(c.getSpec().getMesh())).toList();
    return new MeshView(mesh, peers, configs);
  }

  private <T> T call(java.util.function.Supplier<T> request) {
    try {
      return request.get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw new CtlException("the wgmesh CRDs are not installed in this cluster (kubectl apply -f crds/, or install the Helm chart)");
      }
      if (e.getCode() == 401 || e.getCode() == 403) {
        throw new CtlException("the API server refused access (" + e.getCode() + "): your credentials may not read wgmesh.dev resources");
      }
      throw new CtlException("cannot reach the Kubernetes API server at " + client.getMasterUrl() + ": "
          + rootMessage(e) + " (is KUBECONFIG set and the cluster up?)");
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private static String names(List<WireGuardMesh> meshes) {
    return String.join(", ", meshes.stream().map(m -> m.getMetadata().getName()).toList());
  }

  /** A failure with a message meant for the user; no stack trace. */
  static final class CtlException extends RuntimeException {
    CtlException(String message) {
      super(message);
    }
  }
}
