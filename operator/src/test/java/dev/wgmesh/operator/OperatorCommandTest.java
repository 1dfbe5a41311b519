package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OperatorCommandTest {

  static OperatorCommand parse(String... args) {
    OperatorCommand command = new OperatorCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void defaultsElectALeaderInTheNamespace() {
    OperatorCommand command = parse("--namespace", "wgmesh");
    OperatorSettings settings = command.settings();
    assertEquals("wgmesh", settings.namespace());
    assertTrue(settings.leaderElection());
    assertEquals("wgmesh-operator", settings.leaseName());
    assertEquals(Duration.ofSeconds(15), settings.leaseDuration());
    assertEquals("wgmesh-registry", settings.registryServiceAccount());
    assertTrue(settings.registryImage().startsWith("wgmesh-node:"));
    assertEquals("127.0.0.1:9587", command.metricsListen);
  }

  @Test
  void flagsAsTheChartAndTheLabTestsPassThem() {
    OperatorSettings settings = parse("--namespace=ns", "--registry-image=registry.example/wgmesh-node:1.2.3",
        "--metrics=0.0.0.0:9090", "--no-leader-election").settings();
    assertFalse(settings.leaderElection());
    assertEquals("registry.example/wgmesh-node:1.2.3", settings.registryImage());
    assertEquals("IfNotPresent", settings.registryImagePullPolicy());
    OperatorSettings leased = parse("--lease-name", "other", "--identity", "pod-1", "--lease-duration", "30s").settings();
    assertEquals("other", leased.leaseName());
    assertEquals("pod-1", leased.identity());
    assertEquals(Duration.ofSeconds(30), leased.leaseDuration());
  }

  @Test
  void badFlagsAreUsageErrors() {
    CommandLine cli = new CommandLine(new OperatorCommand());
    cli.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
    assertEquals(2, cli.execute("--metrics", "nowhere", "--no-leader-election"));
    assertEquals(2, cli.execute("--lease-duration", "1s"));
  }

  @Test
  void metricsAndHealthAreServed() throws IOException, InterruptedException {
    try (OperatorMetrics metrics = new OperatorMetrics()) {
      AtomicBoolean healthy = new AtomicBoolean(true);
      InetSocketAddress at = metrics.serve(new InetSocketAddress("127.0.0.1", 0), healthy::get);
      metrics.meshObjectWritten("node-config", "create");
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, scraped.statusCode());
      assertTrue(scraped.body().contains("wgmesh_operator_mesh_object_writes_total{kind=\"node-config\",operation=\"create\"} 1.0"), scraped.body());
      assertTrue(scraped.body().contains("wgmesh_operator_reconcile_seconds"), scraped.body());
      URI health = URI.create("http://127.0.0.1:" + at.getPort() + "/healthz");
      assertEquals(200, http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      healthy.set(false);
      assertEquals(503, http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }
}
