package dev.wgmesh.testapiserver;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The RBAC objects of the wgmesh chart (helm/wgmesh) as {@code helm template} renders them, read
 * with helm-java (Helm's own library, offline). The registry's Roles name its meshes
 * ({@code mesh.name}, {@code registry.extraMeshes}), so a test renders the chart with the meshes
 * it uses.
 */
public final class ChartRbac {
  /** The release namespace the tests install into (the operator's, the agents' and the registry's). */
  public static final String NAMESPACE = "wgmesh-system";
  public static final String OPERATOR = "wgmesh-operator";
  public static final String AGENT = "wgmesh-agent";
  public static final String REGISTRY = "wgmesh-registry";
  /** The read-only ClusterRole for wgmesh objects. */
  public static final String VIEW = "wgmesh-view";
  /** The kube-apiserver version the chart is rendered for (the one it was verified against). */
  static final String KUBE_VERSION = "1.36.0";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Map<String, List<HasMetadata>> CACHE = new ConcurrentHashMap<>();

  private ChartRbac() {}

  /** The chart's directory: the system property {@code wgmesh.chart}, else helm/wgmesh above the working directory. */
  public static Path chartDirectory() {
    String configured = System.getProperty("wgmesh.chart");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path chart = dir.resolve("helm/wgmesh");
      if (Files.isRegularFile(chart.resolve("Chart.yaml"))) {
        return chart;
      }
    }
    throw new IllegalStateException("cannot find the chart helm/wgmesh above " + Path.of("").toAbsolutePath()
        + " (set -Dwgmesh.chart=<dir>)");
  }

  /** The chart's Roles, ClusterRoles and bindings, with its defaults but for the meshes named. */
  public static List<HasMetadata> render(List<String> meshes) {
    return render(meshes, Map.of());
  }

  /**
   * The same, and for meshes with several registries, each registry of theirs by name (as a
   * user lists them in {@code registry.extraMeshes}).
   */
  public static List<HasMetadata> render(List<String> meshes, Map<String, List<String>> namedRegistries) {
    Map<String, Object> values = new TreeMap<>();
    if (!meshes.isEmpty()) {
      values.put("mesh.name", meshes.get(0));
      for (int i = 1; i < meshes.size(); i++) {
        values.put("registry.extraMeshes[" + (i - 1) + "]", meshes.get(i));
      }
    }
    int extra = Math.max(0, meshes.size() - 1);
    for (Map.Entry<String, List<String>> mesh : namedRegistries.entrySet()) {
      values.put("registry.extraMeshes[" + extra + "].name", mesh.getKey());
      for (int r = 0; r < mesh.getValue().size(); r++) {
        values.put("registry.extraMeshes[" + extra + "].registries[" + r + "]", mesh.getValue().get(r));
      }
      extra++;
    }
    return CACHE.computeIfAbsent(values.toString(), k -> parse(template(values)));
  }

  private static String template(Map<String, Object> values) {
    TemplateCommand t = new Helm(chartDirectory()).template().withName("wgmesh").withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    return t.call();
  }

  private static List<HasMetadata> parse(String manifests) {
    List<HasMetadata> rbac = new ArrayList<>();
    for (String doc : manifests.split("(?m)^---\\s*$")) {
      if (!doc.contains("kind:") || !doc.contains("rbac.authorization.k8s.io")) {
        continue;
      }
      Object o = SERIALIZATION.unmarshal(doc);
      if (o instanceof ClusterRole || o instanceof Role || o instanceof ClusterRoleBinding || o instanceof RoleBinding) {
        rbac.add((HasMetadata) o);
      }
    }
    return List.copyOf(rbac);
  }
}
