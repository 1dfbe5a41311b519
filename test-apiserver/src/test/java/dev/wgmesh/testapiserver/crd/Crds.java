package dev.wgmesh.testapiserver.crd;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The wgmesh CRDs as generated into the api module's classes (/META-INF/fabric8/), for tests. */
final class Crds {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static final String MESHES = "wireguardmeshes.wgmesh.dev-v1.yml";
  static final String PEERS = "wireguardpeers.wgmesh.dev-v1.yml";
  static final String NODE_CONFIGS = "wireguardnodeconfigs.wgmesh.dev-v1.yml";
  static final String PEER_SETS = "wireguardpeersets.wgmesh.dev-v1.yml";
  static final List<String> FILES = List.of(MESHES, PEERS, NODE_CONFIGS, PEER_SETS);

  private Crds() {}

  static CustomResourceDefinition generated(String file) {
    try (InputStream in = WireGuardMesh.class.getResourceAsStream("/META-INF/fabric8/" + file)) {
      if (in == null) {
        throw new AssertionError("no /META-INF/fabric8/" + file + " on the class path (the api module's process-classes writes it)");
      }
      return SERIALIZATION.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CRD of a kind, e.g. "WireGuardPeer". */
  static CustomResourceDefinition ofKind(String kind) {
    return FILES.stream().map(Crds::generated).filter(c -> c.getSpec().getNames().getKind().equals(kind)).findFirst()
        .orElseThrow(() -> new AssertionError("no CRD for kind " + kind));
  }

  static JSONSchemaProps rootSchema(CustomResourceDefinition crd) {
    return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
  }

  /**
   * The schema at a dotted path below the root, e.g. "spec.registry.address"; "[]" steps into
   * array items: "spec.allowedIPs[]", "spec.peers[].publicKey".
   */
  static JSONSchemaProps at(CustomResourceDefinition crd, String path) {
    JSONSchemaProps schema = rootSchema(crd);
    for (String step : path.split("\\.")) {
      boolean items = step.endsWith("[]");
      String name = items ? step.substring(0, step.length() - 2) : step;
      JSONSchemaProps next = schema.getProperties() == null ? null : schema.getProperties().get(name);
      if (next == null) {
        throw new AssertionError("no property '" + name + "' on the way to " + path + " in " + crd.getMetadata().getName());
      }
      schema = items ? next.getItems().getSchema() : next;
    }
    return schema;
  }
}
