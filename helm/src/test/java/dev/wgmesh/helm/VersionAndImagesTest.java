package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wgmesh.helm.Chart.Scenario;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One place for image names and tags: values.yaml names them, Chart.yaml's appVersion (the Maven
 * version) tags them, images/build builds exactly those. The Dockerfiles are checked by reading
 * (no Docker daemon here).
 */
class VersionAndImagesTest {
  @Test
  void chartVersionsAreTheMavenVersion() throws IOException {
    JsonNode chart = Chart.YAML.readTree(Chart.DIR.resolve("Chart.yaml").toFile());
    assertEquals(Chart.VERSION, chart.path("appVersion").asText(), "Chart.yaml appVersion must equal the Maven project version");
    assertEquals(Chart.VERSION, chart.path("version").asText(), "Chart.yaml version must equal the Maven project version");
    assertEquals("v2", chart.path("apiVersion").asText());
  }

  record Run(int exit, String out) {}

  static Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("bash", Chart.IMAGES.resolve("build").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "images/build did not finish");
    return new Run(p.exitValue(), out);
  }

  static List<String> chartImages(Map<String, Object> values) {
    var docs = Chart.parse(Chart.template(values));
    String operator = Chart.one(docs, Deployment.class, "wgmesh-operator").getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    String node = Chart.one(docs, DaemonSet.class, "wgmesh-agent").getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    return List.of(operator, node);
  }

  @Test
  void buildScriptBuildsTheImagesTheChartUses() throws Exception {
    Run defaults = run(Map.of(), "--print");
    assertEquals(0, defaults.exit(), defaults.out());
    assertEquals(chartImages(Map.of()), defaults.out().lines().toList());

    Run custom = run(Map.of("REGISTRY", "registry.example:5000/team", "TAG", "1.2.3"), "--print");
    assertEquals(chartImages(Map.of("image.registry", "registry.example:5000/team", "image.tag", "1.2.3")),
        custom.out().lines().toList());
    // The registry image the operator is told about is the node image.
    var docs = Chart.render(Scenario.DEFAULTS);
    List<String> args = Chart.one(docs, Deployment.class, "wgmesh-operator").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertTrue(args.contains("--registry-image=" + defaults.out().lines().toList().get(1)), args.toString());
  }

  @Test
  void buildScriptSaysItNeedsDocker() throws Exception {
    Run r = run(Map.of("DOCKER_HOST", "unix:///nonexistent/docker.sock", "PATH", "/usr/bin:/bin"));
    assertNotEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("needs Docker") || r.out().contains("needs a running Docker daemon"), r.out());
  }

  static String dockerfile(String name) {
    return Chart.read(Chart.IMAGES.resolve(name));
  }

  static List<String> fromLines(String dockerfile) {
    return dockerfile.lines().filter(l -> l.startsWith("FROM ")).toList();
  }

  @Test
  void dockerfilesAreMultiStageBuildsOfTheLauncherJar() throws IOException {
    String cliPom = Chart.read(Chart.DIR.resolveSibling("..").resolve("cli/pom.xml").normalize());
    assertTrue(cliPom.contains("<finalName>wgmesh</finalName>"), "cli builds target/wgmesh.jar");
    for (String name : List.of("operator.Dockerfile", "node.Dockerfile")) {
      String d = dockerfile(name);
      List<String> from = fromLines(d);
      assertEquals(2, from.size(), name + ": a build stage and a runtime stage");
      assertTrue(from.get(0).endsWith(" AS build"), name);
      assertTrue(d.contains("ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17"), name + ": Maven + JDK 17");
      assertTrue(d.contains("./mvnw -B -q -pl cli -am package -DskipTests"), name);
      assertTrue(d.contains("cp cli/target/wgmesh.jar /wgmesh.jar"), name);
      assertTrue(d.contains("COPY --from=build /wgmesh.jar /opt/wgmesh/wgmesh.jar"), name);
      assertTrue(d.contains("openjdk-17-jre-headless"), name + ": JRE 17");
      assertTrue(d.contains("ENTRYPOINT [\"wgmesh\"]"), name);
      assertTrue(d.contains("COPY --chmod=0755 images/wgmesh /usr/local/bin/wgmesh"), name);
      assertTrue(d.startsWith("# syntax=docker/dockerfile:1"), name + ": BuildKit syntax (cache mounts, COPY --chmod)");
      String ignore = dockerfile(name + ".dockerignore");
      assertTrue(ignore.lines().anyMatch(l -> l.equals("**/target")), name + ": target/ stays out of the context");
    }
    Path launcher = Chart.IMAGES.resolve("wgmesh");
    assertTrue(Files.isExecutable(launcher));
    assertTrue(Chart.read(launcher).contains("exec java ${JAVA_OPTS:-} -jar /opt/wgmesh/wgmesh.jar \"$@\""));
  }

  @Test
  void nodeImageCarriesTheWireGuardTools() {
    String d = dockerfile("node.Dockerfile");
    for (String pkg : List.of("wireguard-tools", "wireguard-go", "iproute2", "iptables")) {
      assertTrue(Pattern.compile("\\s" + Pattern.quote(pkg) + "\\s").matcher(d).find(), "node image installs " + pkg);
    }
  }

  @Test
  void operatorImageRunsAsTheUserTheChartExpects() {
    String d = dockerfile("operator.Dockerfile");
    Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(d);
    assertTrue(user.find(), "operator image has a numeric non-root USER");
    long uid = Long.parseLong(user.group(1));
    assertNotEquals(0, uid);
    Long chartUid = Chart.one(Chart.render(Scenario.DEFAULTS), Deployment.class, "wgmesh-operator")
        .getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser();
    assertEquals(chartUid, uid);
    assertTrue(!dockerfile("operator.Dockerfile").contains("wireguard"), "the operator image needs no WireGuard tools");
  }
}
