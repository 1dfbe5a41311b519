package dev.wgmesh.testapiserver;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a request asks to do, in the terms RBAC authorizes: the verb, API group, namespace,
 * resource, subresource and name, read from the method and path the way kube-apiserver's request
 * info resolver does. Paths that name no resource (discovery: {@code /api}, {@code /apis/...},
 * {@code /version}) have {@code resource == null}.
 *
 * <p>Names of list and watch requests come from a {@code metadata.name=} field selector, as
 * kube-apiserver takes them since 1.30, so that {@code resourceNames} rules can allow them.
 */
public record RequestAttributes(String verb, String group, String version, String namespace, String resource,
    String subresource, String name, String path) {

  public boolean isResourceRequest() {
    return resource != null;
  }

  /** {@code resource} or {@code resource/subresource}, as RBAC rules name it. */
  public String resourceWithSubresource() {
    return subresource == null ? resource : resource + "/" + subresource;
  }

  public static RequestAttributes parse(String method, String rawPath) {
    String path = rawPath;
    String query = "";
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      path = rawPath.substring(0, q);
      query = rawPath.substring(q + 1);
    }
    Map<String, String> params = queryParameters(query);
    String[] parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    String group;
    String version;
    int rest;
    if (parts.length >= 2 && parts[0].equals("api")) {
      group = "";
      version = parts[1];
      rest = 2;
    } else if (parts.length >= 3 && parts[0].equals("apis")) {
      group = parts[1];
      version = parts[2];
      rest = 3;
    } else {
      return new RequestAttributes(nonResourceVerb(method), null, null, null, null, null, null, path);
    }
    String[] r = Arrays.copyOfRange(parts, rest, parts.length);
    if (r.length == 0) {
      return new RequestAttributes(nonResourceVerb(method), null, null, null, null, null, null, path);
    }
    String namespace = null;
    String resource;
    String name = null;
    String subresource = null;
    if (r[0].equals("namespaces") && r.length >= 3) {
      namespace = r[1];
      resource = r[2];
      name = r.length > 3 ? r[3] : null;
      subresource = r.length > 4 ? r[4] : null;
    } else {
      resource = r[0];
      name = r.length > 1 ? r[1] : null;
      subresource = r.length > 2 ? r[2] : null;
      if (resource.equals("namespaces") && name != null) {
        namespace = name; // a Namespace is authorized within itself
      }
    }
    boolean watch = "true".equals(params.get("watch")) || "1".equals(params.get("watch"));
    String verb = switch (method.toUpperCase()) {
      case "GET", "HEAD" -> name != null ? "get" : watch ? "watch" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name != null ? "delete" : "deletecollection";
      default -> method.toLowerCase();
    };
    if (name == null && (verb.equals("list") || verb.equals("watch"))) {
      name = nameFromFieldSelector(params.get("fieldSelector"));
    }
    return new RequestAttributes(verb, group, version, namespace, resource, subresource, name, path);
  }

  private static String nonResourceVerb(String method) {
    return switch (method.toUpperCase()) {
      case "GET", "HEAD" -> "get";
      case "POST" -> "post";
      case "PUT" -> "put";
      case "PATCH" -> "patch";
      case "DELETE" -> "delete";
      default -> method.toLowerCase();
    };
  }

  private static String nameFromFieldSelector(String selector) {
    if (selector == null) {
      return null;
    }
    for (String term : selector.split(",")) {
      String t = term.trim();
      if (t.startsWith("metadata.name=") && !t.startsWith("metadata.name!=")) {
        return t.substring(t.indexOf('=') + 1).replaceFirst("^=", "");
      }
    }
    return null;
  }

  private static Map<String, String> queryParameters(String query) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(key, value);
    }
    return params;
  }
}
