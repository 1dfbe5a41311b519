package dev.wgmesh.registry.kubernetes;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.HashMap;
import java.util.Base64;
import java.util.Map;

/**
 * The registry's key pair from the operator's Secret {@code <mesh>-registry-key}, key
 * {@value #DATA_KEY}: the base64 private key as {@code wg genkey} prints it (the Secret's data
 * encodes that text once more, as Secrets do); 32 raw bytes are accepted too. Messages never
 * quote the Secret's content.
 */
public final class RegistryKey {
  public static final String DATA_KEY = "privateKey";

  private RegistryKey() {}

  /** The fields of a Secret read as JSON that {@link #parse} uses: its name, data and stringData. */
  public static Secret secret(JsonNode json) {
    Secret secret = new Secret();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(json.path("metadata").path("name").asText(null));
    meta.setNamespace(json.path("metadata").path("namespace").asText(null));
    secret.setMetadata(meta);
    secret.setData(strings(json.get("data")));
    secret.setStringData(strings(json.get("stringData")));
    return secret;
  }

  private static Map<String, String> strings(JsonNode object) {
    if (object == null || !object.isObject()) {
      return null;
    }
    Map<String, String> out = new HashMap<>();
    object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
    return out;
  }

  /** @throws IllegalArgumentException naming the Secret and what is wrong with it */
  public static KeyPair parse(Secret secret) {
    String name = secret.getMetadata() == null ? "?" : secret.getMetadata().getName();
    byte[] raw = null;
    Map<String, String> data = secret.getData();
    if (data != null && data.get(DATA_KEY) != null) {
      try {
        raw = Base64.getDecoder().decode(data.get(DATA_KEY).strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Secret " + name + ": data." + DATA_KEY + " is not base64");
      }
    } else if (secret.getStringData() != null && secret.getStringData().get(DATA_KEY) != null) {
      raw = secret.getStringData().get(DATA_KEY).getBytes(US_ASCII);
    }
    if (raw == null) {
      throw new IllegalArgumentException("Secret " + name + " has no " + DATA_KEY);
    }
    try {
      WireGuardKey key = raw.length == WireGuardKey.LENGTH ? WireGuardKey.of(raw) : WireGuardKey.fromBase64(new String(raw, US_ASCII));
      return KeyPair.fromPrivate(key);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Secret " + name + ": " + DATA_KEY + " is not a WireGuard private key: " + e.getMessage());
    }
  }
}
