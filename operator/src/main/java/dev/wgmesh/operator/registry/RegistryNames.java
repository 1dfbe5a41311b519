package dev.wgmesh.operator.registry;

import dev.wgmesh.operator.Labels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names and labels of the registry's namespaced objects. They are what the Helm chart's RBAC and
 * the registry in Kubernetes mode expect: the key Secret is {@code <mesh>-registry-key}.
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

  public static String secret(String mesh) {
    return mesh + "-registry-key";
  }

  public static String deployment(String mesh) {
    return mesh + "-registry";
  }

  public static String service(String mesh) {
    return mesh + "-registry";
  }

  public static Map<String, String> labels(String mesh) {
    return Labels.managed(mesh, COMPONENT);
  }

  /** What the Deployment selects its pods by (a subset of {@link #labels}, fixed for the Deployment's life). */
  public static Map<String, String> selector(String mesh) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(Labels.NAME, "wgmesh");
    selector.put(Labels.COMPONENT, COMPONENT);
    selector.put(Labels.MESH, mesh);
    return selector;
  }

  /**
   * The registry's WireGuard interface on its node: unique per mesh (two registries may share a
   * host network) and at most 15 characters (IFNAMSIZ).
   */
  public static String interfaceName(String mesh) {
    String plain = "wgreg-" + mesh;
    return plain.length() <= 15 ? plain : "wgreg-" + shortHash(mesh).substring(0, 9);
  }

  static String shortHash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
