package dev.wgmesh.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The wgmesh product as the demo and the system tests run it: the product jar, by path, in its own
 * JVM ({@code java -jar wgmesh.jar <command> ...}), as bin/wgmesh and the images run it. The
 * demo's own classes never run inside it.
 */
public final class Product {
  /** The system property that names the product jar. */
  public static final String JAR_PROPERTY = "wgmesh.jar";

  private Product() {}

  /** The product jar: {@code -Dwgmesh.jar}, else cli/target/wgmesh.jar above the working directory. */
  public static Path jar() {
    String configured = System.getProperty(JAR_PROPERTY);
    if (configured != null) {
      Path jar = Path.of(configured).toAbsolutePath();
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException("the product jar " + jar + " (-D" + JAR_PROPERTY + ") does not exist: build it with"
            + " ./mvnw -pl cli -am package -DskipTests");
      }
      return jar;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path jar = dir.resolve("cli/target/wgmesh.jar");
      if (Files.isRegularFile(jar)) {
        return jar;
      }
    }
    throw new IllegalStateException("cannot find the product jar cli/target/wgmesh.jar: build it with"
        + " ./mvnw -pl cli -am package -DskipTests, or name it with -D" + JAR_PROPERTY + "=<path>");
  }

  /** {@code java <small-footprint options> -jar wgmesh.jar args...}, with the JDK that runs the caller. */
  public static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
