package dev.wgmesh.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's JVM options and environment are written in three places that must agree: the
 * launcher {@code bin/wgmesh}, the chart's {@code agent.javaOpts} (with the image's launcher,
 * which sets the environment) and {@link ProductJar#AGENT} / {@link ProductJar#AGENT_ENVIRONMENT},
 * which the labs and the benchmarks run the agent with.
 */
class AgentOptionsAgreeTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  static String one(Path file, String regex) throws IOException {
    Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(Files.readString(file));
    assertTrue(m.find(), file + " has no line matching " + regex);
    String found = m.group(1);
    assertTrue(!m.find(), file + " has more than one line matching " + regex);
    return found;
  }

  static List<String> words(String options) {
    return List.of(options.trim().split("\\s+"));
  }

  @Test
  void launcherChartAndLabsRunTheAgentWithTheSameJvmOptions() throws IOException {
    String launcher = one(ROOT.resolve("bin/wgmesh"), "^\\s*WGMESH_JAVA_OPTS=\"([^\"]*)\"\\s*$");
    String chart = one(ROOT.resolve("helm/wgmesh/values.yaml"), "^agent:\\n(?:  .*\\n|\\s*\\n)*?  javaOpts:\\s*\"([^\"]*)\"\\s*$");
    assertEquals(ProductJar.AGENT, words(launcher), "bin/wgmesh against ProductJar.AGENT");
    assertEquals(ProductJar.AGENT, words(chart), "the chart's agent.javaOpts against ProductJar.AGENT");
  }

  @Test
  void bothLaunchersGiveTheAgentTheSameEnvironment() throws IOException {
    for (Path launcher : List.of(ROOT.resolve("bin/wgmesh"), ROOT.resolve("images/wgmesh"))) {
      String value = one(launcher, "^\\s*export MALLOC_ARENA_MAX=(\\S+)\\s*$");
      assertEquals(Map.of("MALLOC_ARENA_MAX", value), ProductJar.AGENT_ENVIRONMENT, launcher.toString());
    }
  }
}
