package dev.wgmesh.api.v1alpha1;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the generated CRDs and their checked-in copies are, and how to read them. */
final class Crds {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static final String MESHES = "wireguardmeshes.wgmesh.dev-v1.yml";
  static final String PEERS = "wireguardpeers.wgmesh.dev-v1.yml";
  static final String NODE_CONFIGS = "wireguardnodeconfigs.wgmesh.dev-v1.yml";
  static final String PEER_SETS = "wireguardpeersets.wgmesh.dev-v1.yml";
  static final List<String> FILES = List.of(MESHES, PEERS, NODE_CONFIGS, PEER_SETS);

  static final String REGENERATE = "./mvnw -B -pl api -Pupdate-crds process-classes";

  private Crds() {}

  /** target/classes/META-INF/fabric8, where the crd-generator plugin writes at process-classes. */
  static Path generatedDir() {
    return dir("wgmesh.generatedCrds", "target/classes/META-INF/fabric8");
  }

  /** The repository's crds/ directory. */
  static Path committedDir() {
    return dir("wgmesh.crds", "../crds");
  }

  private static Path dir(String property, String fallback) {
    return Path.of(System.getProperty(property, fallback)).toAbsolutePath().normalize();
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static CustomResourceDefinition generated(String file) {
    return SERIALIZATION.unmarshal(read(generatedDir().resolve(file)), CustomResourceDefinition.class);
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
      if (schema == null) {
        throw new AssertionError(name + " has no items schema, in " + path);
      }
    }
    return schema;
  }
}
