package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RegistryObjectNamesTest {
  /** kube-apiserver's rules: a Service's name (RFC 1035 label), a Secret's (DNS-1123 subdomain). */
  private static final Pattern RFC1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final String HASHED = ".*-[0-9a-f]{" + RegistryObjectNames.HASH_LENGTH + "}";

  @Test
  void validNamesStayAsTheyWere() {
    assertEquals("prod-registry", RegistryObjectNames.object("prod", null));
    assertEquals("prod-registry-key", RegistryObjectNames.secret("prod", null));
    assertEquals("prod-registry-eu", RegistryObjectNames.object("prod", "eu"));
    assertEquals("prod-registry-eu-key", RegistryObjectNames.secret("prod", "eu"));
    String m54 = "m".repeat(54);
    assertEquals(m54 + "-registry", RegistryObjectNames.object(m54, null), "63 characters: still a label");
  }

  @Test
  void dotsAreHashedNotJustReplaced() {
    String dotted = RegistryObjectNames.object("prod.eu-west", null);
    assertTrue(dotted.startsWith("prod-eu-west-registry-"), dotted);
    assertTrue(dotted.matches(HASHED), dotted);
    assertValid(dotted);
    assertNotEquals(RegistryObjectNames.object("prod-eu-west", null), dotted, "the mesh prod-eu-west has its own registry");
    assertNotEquals(RegistryObjectNames.object("prod.eu.west", null), dotted);
    assertNotEquals(RegistryObjectNames.object("prod-eu.west", null), dotted);
    String named = RegistryObjectNames.object("prod.eu-west", "a");
    assertTrue(named.startsWith("prod-eu-west-registry-a-"), named);
    assertNotEquals(RegistryObjectNames.object("prod-eu-west", "a"), named);
    assertEquals(named + "-key", RegistryObjectNames.secret("prod.eu-west", "a"));
    assertEquals(dotted, RegistryObjectNames.object("prod.eu-west", null), "deterministic");
  }

  @Test
  void aLeadingDigitGetsALetter() {
    String name = RegistryObjectNames.object("9lives", null);
    assertTrue(name.startsWith("m-9lives-registry-"), name);
    assertValid(name);
  }

  @Test
  void longestMeshNames() {
    // 253 characters: the longest DNS subdomain, as a mesh may be named.
    String dots = ("a".repeat(62) + ".").repeat(4).substring(0, 252) + "z";
    String plain = "x".repeat(253);
    String digits = "1".repeat(253);
    for (String mesh : List.of(dots, plain, digits)) {
      assertEquals(253, mesh.length());
      assertTrue(DNS1123_SUBDOMAIN.matcher(mesh).matches());
      for (String registry : new String[] {null, "eu", "r".repeat(12)}) {
        String object = RegistryObjectNames.object(mesh, registry);
        assertValid(object);
        assertEquals(63, object.length(), object);
        assertTrue(object.matches(HASHED), object);
        assertTrue(DNS1123_SUBDOMAIN.matcher(RegistryObjectNames.secret(mesh, registry)).matches());
      }
    }
    // Two long names that differ only after the readable prefix.
    String a = "a".repeat(200) + "1";
    String b = "a".repeat(200) + "2";
    assertEquals(RegistryObjectNames.object(a, null).substring(0, 49), RegistryObjectNames.object(b, null).substring(0, 49));
    assertNotEquals(RegistryObjectNames.object(a, null), RegistryObjectNames.object(b, null));
  }

  @Test
  void noCollisions() {
    // Meshes and registries whose plain names would collide once dots become dashes or once cut short.
    List<String> meshes = new ArrayList<>(List.of("prod", "prod-eu", "prod.eu", "prod-eu-west", "prod.eu-west", "prod.eu.west",
        "prod-eu.west", "9lives", "m-9lives", "a", "a-b", "a.b", "a.b.c", "a-b.c", "a.b-c", "x-registry", "x.registry"));
    for (int i = 0; i < 30; i++) {
      meshes.add("long-mesh-name-".repeat(5) + i);
      meshes.add("long.mesh.name.".repeat(5) + i);
      meshes.add("d" + ".e".repeat(100) + i);
    }
    List<String> registries = new ArrayList<>();
    registries.add(null);
    registries.addAll(List.of("eu", "us", "b", "b-c", "eu-west-1", "r".repeat(12), "0123456789ab", "a"));
    Map<String, String> seen = new HashMap<>();
    for (String mesh : meshes) {
      for (String registry : registries) {
        String object = RegistryObjectNames.object(mesh, registry);
        assertValid(object);
        String who = mesh + " / " + registry;
        String before = seen.put(object, who);
        assertTrue(before == null, object + " is the name of both " + before + " and " + who);
        // Secrets are object + "-key": as distinct as the object names.
        assertFalse(seen.containsKey(RegistryObjectNames.secret(mesh, registry)));
      }
    }
  }

  @Test
  void hashedNeverLooksPlain() {
    // A plain name ends in -registry or -registry-<registry of at most 12>; a hashed one in 13 hex digits.
    String hashed = RegistryObjectNames.object("a.b", "0123456789ab");
    assertTrue(hashed.matches(HASHED), hashed);
    assertFalse(hashed.matches(".*-registry(-[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?)?"), hashed);
    assertTrue(RegistryObjectNames.object("a", "registry-name-13").matches(HASHED), "a registry name over 12 is hashed too");
  }

  @Test
  void meshNamesOverALabelValueAreAProblem() {
    assertTrue(RegistryObjectNames.meshNameProblem("prod.eu-west").isEmpty());
    assertTrue(RegistryObjectNames.meshNameProblem("m".repeat(63)).isEmpty());
    String problem = RegistryObjectNames.meshNameProblem("m".repeat(64)).orElseThrow();
    assertTrue(problem.contains("64 characters") && problem.contains(WireGuardMesh.MESH_LABEL), problem);
    assertTrue(RegistryObjectNames.meshNameProblem("x".repeat(253)).isPresent());
  }

  @Test
  void hashIsHelmsSha256sum() {
    // echo -n prod.eu-west | sha256sum
    assertEquals("6ca8d9248e651", RegistryObjectNames.hash("prod.eu-west", 13));
  }

  private static void assertValid(String name) {
    assertTrue(name.length() <= 63 && RFC1035_LABEL.matcher(name).matches(), name + " is no RFC 1035 label");
  }
}
