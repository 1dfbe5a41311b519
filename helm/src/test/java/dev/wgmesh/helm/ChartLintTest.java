package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.marcnuri.helm.LintResult;
import dev.wgmesh.helm.Chart.Scenario;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** helm lint --strict, with the values of every scenario (merged into a copy's values.yaml: lint takes no --set). */
class ChartLintTest {
  @ParameterizedTest
  @EnumSource(Scenario.class)
  void lintStrictPasses(Scenario scenario, @TempDir Path work) throws Exception {
    LintResult result = Chart.lint(scenario.values, work);
    assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
    List<String> problems = result.getMessages().stream().filter(m -> !m.startsWith("[INFO]")).toList();
    assertEquals(List.of(), problems);
  }
}
