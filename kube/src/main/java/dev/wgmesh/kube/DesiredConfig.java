package dev.wgmesh.kube;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import java.util.Objects;

/**
 * What a node daemon brings its interface to: a {@code WireGuardNodeConfig}'s name and generation
 * and the spec to apply (for the agent, merged with the mesh's peer sets).
 */
public record DesiredConfig(String name, Long generation, WireGuardNodeConfigSpec spec) {
  public static DesiredConfig of(WireGuardNodeConfig config) {
    return new DesiredConfig(config.getMetadata().getName(), config.getMetadata().getGeneration(), config.getSpec());
  }

  /** Same name, generation and spec; false for null. */
  public boolean sameAs(DesiredConfig other) {
    return other != null && Objects.equals(name, other.name) && Objects.equals(generation, other.generation)
        && Objects.equals(spec, other.spec);
  }
}
