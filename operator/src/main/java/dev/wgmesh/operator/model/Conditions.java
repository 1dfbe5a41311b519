package dev.wgmesh.operator.model;

import dev.wgmesh.api.v1alpha1.Condition;

/** The condition types and reasons wgmesh uses, in one place. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String ADDRESS_CONFLICT = "AddressConflict";
  public static final String DUPLICATE_KEY = "DuplicateKey";
  public static final String INVALID_KEY = "InvalidKey";
  public static final String INVALID_SPEC = "InvalidSpec";
  /** The mesh's name cannot name its objects ({@code RegistryObjectNames.meshNameProblem}). */
  public static final String INVALID_NAME = "InvalidName";
  public static final String ALLOWED_IPS_OVERLAP = "AllowedIPsOverlap";
  public static final String NODE_NOT_FOUND = "NodeNotFound";
  public static final String NOT_SELECTED = "NotSelected";
  public static final String ADDRESS_POOL_EXHAUSTED = "AddressPoolExhausted";
  public static final String REGISTRY_READY = "RegistryReady";
  /** A registry has no endpoint and none can be derived: nodes cannot reach it. */
  public static final String REGISTRY_ENDPOINT_MISSING = "RegistryEndpointMissing";

  private Conditions() {}

  public static Condition isTrue(String type, String reason, String message) {
    return new Condition(type, Condition.TRUE, reason, message);
  }

  public static Condition isFalse(String type, String reason, String message) {
    return new Condition(type, Condition.FALSE, reason, message);
  }
}
