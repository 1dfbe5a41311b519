package dev.wgmesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.testapiserver.StrictApiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code wgmesh operator} as a process: it reconciles, serves metrics, and SIGTERM stops it cleanly. */
class OperatorProcessTest {

  @Test
  void theCommandRunsAgainstAnApiServerAndStopsOnSigterm() throws Exception {
    try (MockCluster cluster = new MockCluster()) {
      MeshOperatorTest.meshWithNodes(cluster, 2);
      Path log = Files.createTempFile("wgmesh-operator", ".log");
      ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), OperatorCommand.class.getName(),
          "--namespace", MockCluster.NAMESPACE, "--no-leader-election", "--metrics", "127.0.0.1:0")
          .redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(cluster.api.environment(StrictApiServer.OPERATOR));
      Process process = builder.start();
      try {
        MeshOperatorTest.awaitMeshOf(cluster, "n1", "n2");
        Matcher metricsAt = await().atMost(MeshOperatorTest.TIMEOUT).until(
            () -> Pattern.compile("metrics at http://([0-9.:]+)/metrics").matcher(read(log)), Matcher::find);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAt.group(1) + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("wgmesh_operator_mesh_object_writes_total{kind=\"node-config\",operation=\"create\"} 3.0"), metrics.body());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAt.group(1) + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());

        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
        String output = read(log);
        assertTrue(output.contains("operator stopped"), output);
        assertTrue(!output.contains("Exception"), output);
      } finally {
        process.destroyForcibly();
        Files.deleteIfExists(log);
      }
    }
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log);
  }
}
