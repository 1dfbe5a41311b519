package dev.wgmesh.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The wgmesh product jar (cli/target/wgmesh.jar, which both images ship), as the demo, the system
 * lab tests and the benchmarks start it: by path, in a JVM of its own ({@code java <options> -jar
 * wgmesh.jar <command> ...}), the way bin/wgmesh and the images run it. Their own classes never run
 * inside it.
 */
public record ProductJar(Path path) {
  /** The system property that names the product jar. */
  public static final String PROPERTY = "wgmesh.jar";
  /** Small-footprint JVM options for the lab's daemons (a registry among them: no heap limit). */
  public static final List<String> SMALL = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  /**
   * The agent's JVM options, as bin/wgmesh and the chart's {@code agent.javaOpts} give them (the
   * same text there); measured by {@code bench/convergence} (rss-kubernetes), see BENCHMARKS.md.
   * The launchers also give it {@link #AGENT_ENVIRONMENT}.
   */
  public static final List<String> AGENT = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
      "-XX:CompileThresholdScaling=20", "-XX:ReservedCodeCacheSize=16m", "-Xms8m", "-Xmx64m", "-XX:NewSize=2m", "-XX:MaxNewSize=4m",
      "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:MaxMetaspaceSize=64m", "-Dsun.reflect.inflationThreshold=2147483647");
  /** The agent's environment as bin/wgmesh and the image's launcher set it: two glibc malloc arenas, not 8 per CPU. */
  public static final java.util.Map<String, String> AGENT_ENVIRONMENT = java.util.Map.of("MALLOC_ARENA_MAX", "2");

  /** {@code -Dwgmesh.jar}, else cli/target/wgmesh.jar above the working directory; fails with how to build it. */
  public static ProductJar locate() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null) {
      Path jar = Path.of(configured).toAbsolutePath();
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException("the product jar " + jar + " (-D" + PROPERTY + ") does not exist: build it with"
            + " ./mvnw -pl cli -am package -DskipTests");
      }
      return new ProductJar(jar);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path jar = dir.resolve("cli/target/wgmesh.jar");
      if (Files.isRegularFile(jar)) {
        return new ProductJar(jar);
      }
    }
    throw new IllegalStateException("cannot find the product jar cli/target/wgmesh.jar: build it with"
        + " ./mvnw -pl cli -am package -DskipTests, or name it with -D" + PROPERTY + "=<path>");
  }

  /** {@code java <jvmOptions> -jar wgmesh.jar args...}, with the JDK that runs the caller. */
  public List<String> command(List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", path.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The same with the small-footprint options. */
  public List<String> command(String... args) {
    return command(SMALL, args);
  }
}
