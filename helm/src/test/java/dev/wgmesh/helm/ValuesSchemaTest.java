package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad values fail at install (template) time, with a message that names the value and what is wrong. */
class ValuesSchemaTest {
  static Stream<Arguments> badValues() {
    return Stream.of(
        // values.schema.json
        Arguments.of(Map.of("mesh.registry.exposure", "Foo"), "/mesh/registry/exposure", "value must be one of 'HostNetwork', 'LoadBalancer'"),
        Arguments.of(Map.of("mesh.network", "banana"), "/mesh/network", "'banana' does not match pattern"),
        Arguments.of(Map.of("mesh.network", "10.88.0.0/33"), "/mesh/network", "does not match pattern"),
        Arguments.of(Map.of("mesh.network", "300.1.2.0/24"), "/mesh/network", "does not match pattern"),
        Arguments.of(Map.of("mesh.networkV6", "fd00:88::/129"), "/mesh/networkV6", "does not match pattern"),
        Arguments.of(Map.of("mesh.relay", "Sometimes"), "/mesh/relay", "value must be one of 'Auto', 'Disabled'"),
        Arguments.of(Map.of("mesh.listenPort", 70000), "/mesh/listenPort", "maximum"),
        Arguments.of(Map.of("mesh.listenPort", 0), "/mesh/listenPort", "minimum"),
        Arguments.of(Map.of("mesh.registry.port", 65536), "/mesh/registry/port", "maximum"),
        Arguments.of(Map.of("operator.metricsPort", 99999), "/operator/metricsPort", "maximum"),
        Arguments.of(Map.of("mesh.mtu", 576), "/mesh/mtu", "minimum"),
        Arguments.of(Map.of("mesh.listenPort", "fifty"), "/mesh/listenPort", "got string, want integer"),
        Arguments.of(Map.of("mesh.registry.endpoint", "203.0.113.10"), "/mesh/registry/endpoint", "does not match pattern"),
        Arguments.of(Map.of("mesh.registry.exposre", "LoadBalancer"), "/mesh/registry", "additional properties 'exposre' not allowed"),
        Arguments.of(Map.of("mesh.name", "Prod_Mesh"), "/mesh/name", "does not match pattern"),
        Arguments.of(Map.of("mesh.name", "m".repeat(55)), "/mesh/name", "maxLength: got 55, want 54"),
        Arguments.of(Map.of("agent.interface", "a-much-too-long-interface"), "/agent/interface", "does not match pattern"),
        Arguments.of(Map.of("agent.stateDir", "relative/path"), "/agent/stateDir", "does not match pattern"),
        Arguments.of(Map.of("image.pullPolicy", "Sometimes"), "/image/pullPolicy", "value must be one of"),
        Arguments.of(Map.of("image.tag", "bad tag"), "/image/tag", "does not match pattern"),
        // templates (checks that span values)
        Arguments.of(Map.of("namespace.create", true), "namespace.create=true needs namespace.name", ""),
        Arguments.of(Map.of("namespace.create", true, "namespace.name", "wgmesh"), "is the release namespace", ""),
        Arguments.of(Map.of("mesh.registry.exposure", "LoadBalancer", "mesh.registry.nodeName", "node-1"),
            "applies only to mesh.registry.exposure=HostNetwork", ""),
        Arguments.of(Map.of("mesh.registries[0].name", "eu", "mesh.registries[1].name", "eu"), "the name \"eu\" is used twice", ""),
        Arguments.of(Map.of("mesh.registries[0].name", "EU"), "registries", "name"),
        Arguments.of(Map.of("mesh.registries[0].name", "eu", "mesh.registries[0].port", 70000), "registries", "port"),
        Arguments.of(Map.of("mesh.registries[0].name", "eu", "mesh.registries[0].exposure", "NodePort"), "registries", "exposure"),
        Arguments.of(Map.of("mesh.registries[0].name", "eu", "mesh.registries[0].endpoint", "203.0.113.5"), "registries", "endpoint"),
        Arguments.of(Map.of("mesh.registries[0].exposure", "HostNetwork"), "registries", "name"));
  }

  @ParameterizedTest
  @MethodSource("badValues")
  void badValuesFailWithAClearMessage(Map<String, Object> values, String where, String what) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Chart.template(values));
    assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what),
        "expected '" + where + "' and '" + what + "' in: " + e.getMessage());
  }

  @Test
  void tooOldKubernetesIsRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new Helm(Chart.DIR).template().withName("wgmesh").withNamespace("wgmesh").withKubeVersion("1.29.0").call());
    assertTrue(e.getMessage().contains("chart requires kubeVersion: >=1.31.0-0"), e.getMessage());
  }
}
