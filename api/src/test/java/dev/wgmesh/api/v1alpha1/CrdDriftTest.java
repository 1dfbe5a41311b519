package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs checked in under crds/ (which the Helm chart copies) must be exactly what the
 * crd-generator plugin makes from the Java types in this build. When they are not, the fix is to
 * regenerate them with the update-crds profile (see crds/README.md), never to edit them by hand.
 */
class CrdDriftTest {

  @Test
  void generatorWroteTheExpectedFiles() throws IOException {
    assertEquals(new TreeSet<>(Crds.FILES), ymlFiles(Crds.generatedDir()),
        "CRDs generated into " + Crds.generatedDir());
  }

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    Path generated = Crds.generatedDir();
    Path committed = Crds.committedDir();
    List<String> problems = new ArrayList<>();
    Set<String> generatedNames = ymlFiles(generated);
    Set<String> committedNames = Files.isDirectory(committed) ? ymlFiles(committed) : Set.of();
    for (String name : generatedNames) {
      if (!committedNames.contains(name)) {
        problems.add(name + " is missing from crds/");
        continue;
      }
      String want = normalize(Crds.read(generated.resolve(name)));
      String have = normalize(Crds.read(committed.resolve(name)));
      if (!want.equals(have)) {
        problems.add(name + " differs from the generated file, " + firstDifference(want, have));
      }
    }
    for (String name : committedNames) {
      if (!generatedNames.contains(name)) {
        problems.add(name + " is in crds/ but no longer generated: delete it");
      }
    }
    if (!problems.isEmpty()) {
      fail("crds/ is out of date: run `" + Crds.REGENERATE + "` from the repository root to regenerate it"
          + " (add -o to build offline), and commit the result.\n  "
          + String.join("\n  ", problems) + "\n(generated: " + generated + ", committed: " + committed + ")");
    }
  }

  @Test
  void committedDirectoryHasAReadme() {
    assertTrue(Files.isRegularFile(Crds.committedDir().resolve("README.md")), "crds/README.md");
  }

  private static Set<String> ymlFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** Line endings only: a checkout with CRLF must not count as drift. */
  private static String normalize(String text) {
    return text.replace("\r\n", "\n");
  }

  private static String firstDifference(String want, String have) {
    String[] w = want.split("\n", -1);
    String[] h = have.split("\n", -1);
    for (int i = 0; i < Math.max(w.length, h.length); i++) {
      String wl = i < w.length ? w[i] : "<end of file>";
      String hl = i < h.length ? h[i] : "<end of file>";
      if (!wl.equals(hl)) {
        return "first at line " + (i + 1) + ":\n    generated: " + wl.strip() + "\n    crds/:     " + hl.strip();
      }
    }
    return "in line endings or whitespace";
  }
}
