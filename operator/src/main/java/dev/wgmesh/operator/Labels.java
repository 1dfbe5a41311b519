package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import java.util.LinkedHashMap;
import java.util.Map;

/** The labels the operator puts on what it creates, in one place. */
public final class Labels {
  /** Names the mesh an object belongs to; informers map events back to the mesh with it. */
  public static final String MESH = WireGuardMesh.MESH_LABEL;
  public static final String NAME = "app.kubernetes.io/name";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "wgmesh-operator";

  private Labels() {}

  /** The labels of an object the operator manages for {@code mesh}. */
  public static Map<String, String> managed(String mesh, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, "wgmesh");
    labels.put(COMPONENT, component);
    labels.put(MANAGED_BY, OPERATOR);
    labels.put(MESH, mesh);
    return labels;
  }
}
