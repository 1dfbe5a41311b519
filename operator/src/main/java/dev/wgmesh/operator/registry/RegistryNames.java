package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import dev.wgmesh.operator.Labels;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names and labels of the registries' namespaced objects. The names are {@link RegistryObjectNames}'
 * (what the Helm chart's RBAC and the registry in Kubernetes mode expect): the key Secret is
 * {@code <mesh>-registry-key} for the single registry, {@code <mesh>-registry-<name>-key} for a
 * named one, hashed where that is no valid name; {@code name} is null for the single registry.
 */
public final class RegistryNames {
  public static final String COMPONENT = "registry";
  /** Data key of the Secret: the private key as {@code wg genkey} prints it (then base64 as all Secret data). */
  public static final String PRIVATE_KEY = "privateKey";
  /** Data key of the Secret: the matching public key, for people; the registry derives its own. */
  public static final String PUBLIC_KEY = "publicKey";
  /** Annotation holding a hash of the desired spec: detects every change, whatever defaults the API server adds. */
  public static final String SPEC_HASH = "wgmesh.dev/spec-hash";
  /** The registry's metrics port (its --metrics default), exposed on the pod network only. */
  public static final int METRICS_PORT = 9586;

  private RegistryNames() {}

  /** Label naming a registry of spec.registries on its objects and pods (absent for the single registry). */
  public static final String REGISTRY = "wgmesh.dev/registry";

  public static String secret(String mesh, String name) {
    return RegistryObjectNames.secret(mesh, name);
  }

  /** The Deployment, the Service and the node config share the name, an RFC 1035 label. */
  public static String object(String mesh, String name) {
    return RegistryObjectNames.object(mesh, name);
  }

  public static Map<String, String> labels(String mesh, String name) {
    Map<String, String> labels = Labels.managed(mesh, COMPONENT);
    if (name != null) {
      labels.put(REGISTRY, name);
    }
    return labels;
  }

  /**
   * What the Deployment selects its pods by (a subset of {@link #labels}, fixed for the
   * Deployment's life): the single registry's selector is what it always was, so upgrades keep
   * its Deployment; a named registry's adds its name, so that registries of one mesh never select
   * each other's pods.
   */
  public static Map<String, String> selector(String mesh, String name) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(Labels.NAME, "wgmesh");
    selector.put(Labels.COMPONENT, COMPONENT);
    selector.put(Labels.MESH, mesh);
    if (name != null) {
      selector.put(REGISTRY, name);
    }
    return selector;
  }

  /**
   * A registry's WireGuard interface on its node: unique per registry (registries may share a
   * host network) and at most 15 characters (IFNAMSIZ): {@code wgreg-<mesh>} for the single
   * registry, {@code wgr-<mesh>.<name>} for a named one (a registry name has no dot, so the two
   * parts are never ambiguous), each when it fits, else {@code wgreg-} and 9 hex digits of a hash.
   */
  public static String interfaceName(String mesh, String name) {
    String plain = name == null ? "wgreg-" + mesh : "wgr-" + mesh + "." + name;
    if (plain.length() <= 15) {
      return plain;
    }
    // '/' is in no object name, so a named registry's hash never equals a single registry's.
    return "wgreg-" + RegistryObjectNames.hash(name == null ? mesh : mesh + "/" + name, 9);
  }
}
