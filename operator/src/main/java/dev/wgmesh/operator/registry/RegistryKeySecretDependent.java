package dev.wgmesh.operator.registry;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.core.key.InvalidKeyException;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import dev.wgmesh.api.v1alpha1.WireGuardMeshSpec;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.KubernetesBulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Each registry's private key, in the Secret {@code <mesh>-registry-key} (or
 * {@code <mesh>-registry-<name>-key}) of the operator's namespace. A {@link Creator} only, never an Updater: the key is generated once, when the Secret
 * is missing, and never rewritten (a new key would cut every node off the registry). The Secret is
 * immutable, owned by the mesh (deleted with it), and read only by the registry; the key goes into
 * no other object and no log.
 */
public final class RegistryKeySecretDependent extends KubernetesDependentResource<Secret, WireGuardMesh>
    implements Creator<Secret, WireGuardMesh>, GarbageCollected<WireGuardMesh>, KubernetesBulkDependentResource<Secret, WireGuardMesh> {
  private final String namespace;

  public RegistryKeySecretDependent(String namespace) {
    super(Secret.class);
    this.namespace = namespace;
  }

  /**
   * One Secret per registry: the existing one as it is, a new key only where the Secret is missing
   * (JOSDK then creates it; there is no update). The Secret of a registry no longer in the spec is
   * deleted.
   */
  @Override
  public Map<ResourceID, Secret> desiredResources(WireGuardMesh mesh, Context<WireGuardMesh> context) {
    Map<ResourceID, Secret> existing = getSecondaryResources(mesh, context);
    Map<ResourceID, Secret> desired = new LinkedHashMap<>();
    for (WireGuardMeshSpec.RegistrySpec registry : mesh.getSpec().effectiveRegistries()) {
      ResourceID id = new ResourceID(RegistryNames.secret(mesh.getMetadata().getName(), registry.getName()), namespace);
      desired.put(id, existing.containsKey(id) ? existing.get(id) : generated(mesh.getMetadata().getName(), registry.getName()));
    }
    return desired;
  }

  private Secret generated(String meshName, String registryName) {
    KeyPair pair = KeyPair.generate();
    return new SecretBuilder()
        .withNewMetadata()
        .withName(RegistryNames.secret(meshName, registryName))
        .withNamespace(namespace)
        .withLabels(RegistryNames.labels(meshName, registryName))
        .endMetadata()
        .withType("Opaque")
        .withImmutable(true)
        .addToData(RegistryNames.PRIVATE_KEY, encode(pair.privateKey().toBase64()))
        .addToData(RegistryNames.PUBLIC_KEY, encode(pair.publicKey().toBase64()))
        .build();
  }

  /** The key pair in a Secret; empty when the Secret is missing, invalid when its data is not a key. */
  public static Optional<KeyPair> keyPair(Secret secret) throws InvalidKeyException {
    String data = secret == null || secret.getData() == null ? null : secret.getData().get(RegistryNames.PRIVATE_KEY);
    if (data == null) {
      return Optional.empty();
    }
    String text;
    try {
      text = new String(Base64.getDecoder().decode(data), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException("the Secret's " + RegistryNames.PRIVATE_KEY + " is not base64");
    }
    return Optional.of(KeyPair.fromPrivate(WireGuardKey.fromBase64(text)));
  }

  private static String encode(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }
}
