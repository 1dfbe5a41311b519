package dev.wgmesh.testapiserver;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Who makes a request, as an authenticator hands it to the authorizer: a user name, groups, and
 * extra claims. ServiceAccounts have the names and groups kube-apiserver gives them, and an agent's
 * token is bound to a Pod on its node, so it carries the node name claim.
 */
public record Identity(String user, List<String> groups, Map<String, List<String>> extra) {
  /** The claim that a bound ServiceAccount token carries for the node of its Pod. */
  public static final String NODE_NAME_CLAIM = "authentication.kubernetes.io/node-name";
  public static final String AUTHENTICATED = "system:authenticated";

  /** A cluster administrator (group system:masters): every request is allowed. Test set-up only. */
  public static final Identity ADMIN = new Identity("kubernetes-admin", List.of("system:masters", AUTHENTICATED), Map.of());

  public static Identity serviceAccount(String namespace, String name) {
    return new Identity("system:serviceaccount:" + namespace + ":" + name,
        List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, AUTHENTICATED), Map.of());
  }

  /** A ServiceAccount token bound to a Pod on {@code node}, as the kubelet projects it. */
  public static Identity serviceAccountOnNode(String namespace, String name, String node) {
    Identity sa = serviceAccount(namespace, name);
    return new Identity(sa.user(), sa.groups(), Map.of(NODE_NAME_CLAIM, List.of(node)));
  }

  /** A person with a kubeconfig, in the given groups. */
  public static Identity user(String name, String... groups) {
    List<String> all = new java.util.ArrayList<>(List.of(groups));
    all.add(AUTHENTICATED);
    return new Identity(name, List.copyOf(all), Map.of());
  }

  private static final String TOKEN_PREFIX = "wgmesh-test.";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * The bearer token of this identity: the identity itself, encoded, so that every instance of the
   * test API server (one that restarts on the same port, say) knows it, as a real cluster keeps
   * accepting a ServiceAccount's token across API server restarts. Unsigned: for tests only.
   */
  public String token() {
    try {
      return TOKEN_PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(this));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The identity a token stands for, or null for a token that is not one of {@link #token()}. */
  static Identity fromToken(String token) {
    if (token == null || !token.startsWith(TOKEN_PREFIX)) {
      return null;
    }
    try {
      return JSON.readValue(java.util.Base64.getUrlDecoder().decode(token.substring(TOKEN_PREFIX.length())), Identity.class);
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isAdmin() {
    return groups.contains("system:masters");
  }

  /** The ServiceAccount's namespace and name, or null for a user. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  String[] serviceAccount() {
    if (!user.startsWith("system:serviceaccount:")) {
      return null;
    }
    String[] parts = user.split(":");
    return parts.length == 4 ? new String[] {parts[2], parts[3]} : null;
  }
}
