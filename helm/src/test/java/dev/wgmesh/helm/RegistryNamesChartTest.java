package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.RegistryObjectNames;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's registry RBAC names the objects the operator creates: its template
 * {@code wgmesh.registryObject} and {@link RegistryObjectNames} compute the same names, also where
 * they are hashed (a dot in the mesh name, a leading digit, a name too long for a label).
 */
class RegistryNamesChartTest {
  /** Mesh names as the CRD allows them (DNS subdomains of at most 54 characters), plain and hashed. */
  static final List<String> MESHES = List.of("prod", "prod.eu-west", "prod-eu-west", "9lives", "a.b.c", "m".repeat(54),
      "x.".repeat(26) + "yz", "0.0");

  @Test
  void singleRegistries() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("mesh.name", MESHES.get(0));
    for (int i = 1; i < MESHES.size(); i++) {
      values.put("registry.extraMeshes[" + (i - 1) + "]", MESHES.get(i));
    }
    List<String> expectedConfigs = MESHES.stream().map(m -> RegistryObjectNames.object(m, null)).toList();
    assertTrue(expectedConfigs.contains("prod-registry") && expectedConfigs.stream().anyMatch(n -> n.startsWith("prod-eu-west-registry-")),
        expectedConfigs.toString());
    assertNames(values, expectedConfigs);
  }

  @Test
  void namedRegistries() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("mesh.name", "prod.eu-west");
    values.put("mesh.registries[0].name", "eu");
    values.put("mesh.registries[1].name", "us-east-1");
    values.put("registry.extraMeshes[0].name", "9lives");
    values.put("registry.extraMeshes[0].registries[0]", "r".repeat(12));
    values.put("registry.extraMeshes[1].name", "lab");
    values.put("registry.extraMeshes[1].registries[0]", "a");
    assertNames(values, List.of(RegistryObjectNames.object("prod.eu-west", "eu"), RegistryObjectNames.object("prod.eu-west", "us-east-1"),
        RegistryObjectNames.object("9lives", "r".repeat(12)), "lab-registry-a"));
  }

  @Test
  void theCreatedMeshKeepsItsName() {
    String mesh = Chart.template(Map.of("mesh.name", "prod.eu-west")).lines()
        .dropWhile(l -> !l.startsWith("kind: WireGuardMesh")).filter(l -> l.startsWith("  name: ")).findFirst().orElseThrow();
    assertEquals("  name: \"prod.eu-west\"", mesh);
  }

  /** The registry's Secrets and config statuses, as its Role and ClusterRole name them. */
  private static void assertNames(Map<String, Object> values, List<String> configs) {
    List<String> secrets = new ArrayList<>();
    List<String> statuses = new ArrayList<>();
    for (Chart.Doc doc : Chart.parse(Chart.template(values))) {
      if (doc.object() instanceof Role role && role.getMetadata().getName().equals("wgmesh-registry")) {
        role.getRules().stream().filter(r -> r.getResources().contains("secrets")).map(PolicyRule::getResourceNames).forEach(secrets::addAll);
      }
      if (doc.object() instanceof ClusterRole role && role.getMetadata().getName().equals("wgmesh-registry")) {
        role.getRules().stream().filter(r -> r.getResources().contains("wireguardnodeconfigs/status"))
            .map(PolicyRule::getResourceNames).forEach(statuses::addAll);
      }
    }
    assertEquals(configs, statuses, "the configs whose status the registry writes");
    assertEquals(configs.stream().map(c -> c + "-key").toList(), secrets, "the Secrets the registry reads");
  }
}
