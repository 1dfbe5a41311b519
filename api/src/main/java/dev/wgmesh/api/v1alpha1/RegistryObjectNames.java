package dev.wgmesh.api.v1alpha1;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The names of a registry's objects, derived from the mesh's name and the registry's: the one
 * place that computes them. The operator creates the objects by them, the registry finds its node
 * config and key Secret by them, and the Helm chart's {@code wgmesh.registryObject} template
 * computes the same names for the registry's RBAC {@code resourceNames} ({@code helm}'s
 * {@code RegistryNamesChartTest} compares the two).
 *
 * <p>A mesh's name is a DNS subdomain (dots allowed, up to 253 characters, it may start with a
 * digit), but a Service's name must be an RFC 1035 label: lower-case letters, digits and '-', at
 * most 63 characters, starting with a letter. The Deployment, the Service and the
 * WireGuardNodeConfig of a registry share one name that is such a label:
 * <ul>
 *   <li>{@code <mesh>-registry} for the single registry, {@code <mesh>-registry-<name>} for one of
 *       {@code registries}, when that is a valid label (the names wgmesh always used);
 *   <li>otherwise a readable prefix (the same text with every character outside [a-z0-9-] made a
 *       '-', an {@code m-} before a leading digit, cut to 49 characters) and '-' and 13 hex digits
 *       of the SHA-256 of {@code <mesh>} resp. {@code <mesh>/<name>}: e.g. {@code prod.eu-west}
 *       gives {@code prod-eu-west-registry-} and a hash, never {@code prod-eu-west-registry},
 *       which is the name of the mesh {@code prod-eu-west}'s registry.
 * </ul>
 * A hashed name never equals a plain one: it ends in 13 hex digits, and a plain name ends in
 * {@code -registry} or in {@code -registry-} and a registry name of at most 12 characters (hex
 * digits cannot spell "registry"). Two hashed names are equal only if 52 bits of SHA-256 are.
 * The key Secret is the object name and {@code -key} (a Secret's name is a DNS subdomain).
 *
 * <p>What cannot be made valid: the mesh's name itself is the value of the label
 * {@value WireGuardMesh#MESH_LABEL} on every object of the mesh (agents select their peer sets by
 * it), and a label value has at most 63 characters; {@link #meshNameProblem} says so for a longer
 * name, and the operator reports it as a condition of the mesh instead of writing objects.
 */
public final class RegistryObjectNames {
  /** The longest name of a label (a DNS label, an RFC 1035 label) and of a label value. */
  public static final int MAX_LABEL_LENGTH = 63;
  /** Hex digits of the hash in a hashed name: more than the longest registry name (12), see the class comment. */
  public static final int HASH_LENGTH = 13;
  private static final Pattern RFC1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

  private RegistryObjectNames() {}

  /**
   * The name of a registry's Deployment, Service and WireGuardNodeConfig, an RFC 1035 label for any
   * mesh name; {@code registry} is null for the single registry (see the class comment).
   */
  public static String object(String mesh, String registry) {
    String plain = registry == null ? mesh + "-registry" : mesh + "-registry-" + registry;
    boolean plainRegistry = registry == null
        || (registry.length() <= WireGuardMeshSpec.MAX_REGISTRY_NAME_LENGTH && DNS1123_LABEL.matcher(registry).matches());
    if (plainRegistry && isRfc1035Label(plain)) {
      return plain;
    }
    String readable = plain.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    if (readable.isEmpty() || !Character.isLetter(readable.charAt(0))) {
      readable = "m-" + readable;
    }
    int room = MAX_LABEL_LENGTH - 1 - HASH_LENGTH;
    readable = readable.substring(0, Math.min(room, readable.length())).replaceAll("-+$", "");
    // '/' is in no Kubernetes name: "<mesh>/<registry>" and "<mesh>" never read the same.
    return readable + "-" + hash(registry == null ? mesh : mesh + "/" + registry, HASH_LENGTH);
  }

  /** The name of a registry's key Secret: {@link #object} and {@code -key}. */
  public static String secret(String mesh, String registry) {
    return object(mesh, registry) + "-key";
  }

  /** Whether {@code name} is an RFC 1035 label, as kube-apiserver requires of a Service's name. */
  public static boolean isRfc1035Label(String name) {
    return name.length() <= MAX_LABEL_LENGTH && RFC1035_LABEL.matcher(name).matches();
  }

  /**
   * Why objects cannot be named after this mesh, empty when they can: its name is the value of
   * the label {@value WireGuardMesh#MESH_LABEL}, which holds at most 63 characters.
   */
  public static Optional<String> meshNameProblem(String mesh) {
    if (mesh.length() <= MAX_LABEL_LENGTH && LABEL_VALUE.matcher(mesh).matches()) {
      return Optional.empty();
    }
    return Optional.of("the mesh name has " + mesh.length() + " characters: it is the value of the label " + WireGuardMesh.MESH_LABEL
        + " on the mesh's objects, which holds at most " + MAX_LABEL_LENGTH + "; rename the mesh");
  }

  /**
   * The first {@code length} hex digits of the SHA-256 of {@code text} (UTF-8), as Helm's sha256sum
   * prints them: also the operator's hashed interface names and its registry objects' spec hash.
   */
  public static String hash(String text, int length) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, length);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
