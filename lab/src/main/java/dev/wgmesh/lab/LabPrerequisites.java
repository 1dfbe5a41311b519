package dev.wgmesh.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Checks what lab tests need, and fails loudly when something is missing. */
public final class LabPrerequisites implements ExecutionCondition {
  static final String SKIP_PROPERTY = "wgmesh.skipLabTests";
  /** The lab's tools: command to the Debian package that provides it (tools.tsv beside this class). */
  public static final Map<String, String> TOOLS = readTools();

  private static Map<String, String> readTools() {
    Map<String, String> tools = new LinkedHashMap<>();
    try (InputStream in = LabPrerequisites.class.getResourceAsStream("tools.tsv")) {
      if (in == null) {
        throw new IllegalStateException("tools.tsv is missing beside " + LabPrerequisites.class.getName());
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String[] parts = t.split("\\s+");
        tools.put(parts[0], parts[1]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Collections.unmodifiableMap(tools);
  }

  /** The Debian packages that provide the lab's tools, each once. */
  public static List<String> packages() {
    return TOOLS.values().stream().distinct().toList();
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (Boolean.getBoolean(SKIP_PROPERTY)) {
      return ConditionEvaluationResult.disabled("lab tests disabled by -DskipLabTests=true");
    }
    List<String> missing = missing();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "lab test cannot run: missing " + String.join(", ", missing)
              + " (run as root with: apt-get install " + String.join(" ", packages()) + ";"
              + " or pass -DskipLabTests=true to skip lab tests explicitly)");
    }
    return ConditionEvaluationResult.enabled("lab prerequisites present");
  }

  /** Names of what is missing; empty when the lab can run. */
  public static List<String> missing() {
    List<String> missing = new ArrayList<>();
    if (!isRoot()) {
      missing.add("root privileges");
    }
    if (!Files.exists(Path.of("/dev/net/tun"))) {
      missing.add("/dev/net/tun");
    }
    for (String tool : TOOLS.keySet()) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    return missing;
  }

  static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 && out.equals("0");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
