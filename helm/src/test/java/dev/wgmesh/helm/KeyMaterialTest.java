package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.helm.Chart.Doc;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** No rendered object carries key material: private keys stay on their nodes (or in the operator's Secret). */
class KeyMaterialTest {
  /** Base64 of 32 bytes, as wg genkey/pubkey print keys: 43 characters and one '='. */
  static final Pattern WIREGUARD_KEY = Pattern.compile("(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])");
  static final Pattern PRIVATE_KEY_NAME = Pattern.compile("(?i)private[-_ ]?key");

  static List<String> findings(String text) {
    List<String> found = new ArrayList<>();
    Matcher m = WIREGUARD_KEY.matcher(text);
    while (m.find()) {
      found.add("key-like string " + m.group());
    }
    if (text.contains("PrivateKey") || text.contains("BEGIN PRIVATE") || text.contains("BEGIN OPENSSH")) {
      found.add("private key text");
    }
    return found;
  }

  static void keysNamed(Object node, String path, List<String> found) {
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        if (PRIVATE_KEY_NAME.matcher(key).find()) {
          found.add(path + "." + key);
        }
        keysNamed(e.getValue(), path + "." + key, found);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        keysNamed(l.get(i), path + "[" + i + "]", found);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void noRenderedObjectContainsKeyMaterial(Scenario scenario) {
    for (Doc d : Chart.render(scenario)) {
      assertEquals(List.of(), findings(d.yaml()), d.toString());
      List<String> named = new ArrayList<>();
      keysNamed(d.raw(), "", named);
      assertEquals(List.of(), named, d + ": fields named like a private key");
      assertFalse(d.object() instanceof Secret, d + ": the chart renders no Secret (the operator makes the registry's)");
      assertFalse(d.raw().containsKey("data") || d.raw().containsKey("stringData") || d.raw().containsKey("binaryData"), d.toString());
    }
  }

  @Test
  void noValuesOrTemplateFileContainsKeyMaterial() throws Exception {
    try (var files = java.nio.file.Files.walk(Chart.DIR)) {
      for (var f : (Iterable<java.nio.file.Path>) files.filter(java.nio.file.Files::isRegularFile)::iterator) {
        assertEquals(List.of(), findings(Chart.read(f)), f.toString());
      }
    }
  }

  /** The detector itself finds real keys (made here, at run time: no key is committed). */
  @Test
  void theDetectorFindsARealKey() throws Exception {
    byte[] encoded = KeyPairGenerator.getInstance("X25519").generateKeyPair().getPublic().getEncoded();
    String key = Base64.getEncoder().encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
    assertEquals(44, key.length());
    assertFalse(findings("publicKey: " + key + "\n").isEmpty());
    assertFalse(findings("  value: \"" + key + "\"").isEmpty());
    assertTrue(findings("pattern: \"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$\"").isEmpty());
    List<String> named = new ArrayList<>();
    keysNamed(Map.of("spec", Map.of("privateKey", "x")), "", named);
    assertEquals(List.of(".spec.privateKey"), named);
  }
}
