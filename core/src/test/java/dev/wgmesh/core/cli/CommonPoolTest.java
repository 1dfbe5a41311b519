package dev.wgmesh.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A wgmesh process on one or two CPUs does not start a thread per API request ({@link
 * Cli#shareCommonPool()}). Each case runs in a JVM of its own that believes it has one CPU, as a
 * container with a CPU limit of 1 does, and sends requests as the Kubernetes client does (the JDK's
 * HTTP client, asynchronously).
 */
class CommonPoolTest {
  private static final int REQUESTS = 40;

  @Test
  void onOneCpuTheRequestsOfAWgmeshProcessShareThePoolsThreads() throws Exception {
    long started = threadsStartedBy("shared");
    assertTrue(started < 10, "threads started for " + REQUESTS + " requests: " + started);
  }

  /** What the set-up is for: without it this JVM starts a thread for every response. */
  @Test
  void withoutTheSetUpEveryResponseStartsAThread() throws Exception {
    long started = threadsStartedBy("default");
    assertTrue(started >= REQUESTS, "threads started for " + REQUESTS + " requests: " + started);
  }

  @Test
  void aParallelismTheUserSetIsKept() throws Exception {
    List<String> out = probe("-D" + Cli.COMMON_POOL_PARALLELISM + "=1", "parallelism");
    assertEquals("1", out.get(out.size() - 1));
  }

  private static long threadsStartedBy(String mode) throws Exception {
    List<String> out = probe(null, mode);
    return Long.parseLong(out.get(out.size() - 1));
  }

  private static List<String> probe(String option, String mode) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=1", "-cp", System.getProperty("java.class.path")));
    if (option != null) {
      command.add(option);
    }
    command.addAll(List.of(Probe.class.getName(), mode));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the probe did not end");
    assertEquals(0, process.exitValue(), output);
    return output.strip().lines().toList();
  }

  /** The child JVM: the set-up (or not), then requests; prints the threads it started meanwhile, or the pool's parallelism. */
  static final class Probe {
    public static void main(String[] args) throws IOException {
      if (!args[0].equals("default")) {
        Cli.shareCommonPool();
      }
      if (args[0].equals("parallelism")) {
        System.out.println(java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
        return;
      }
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", exchange -> {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).build();
      client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join(); // the client's own threads, once
      long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
      for (int i = 0; i < REQUESTS; i++) {
        client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join();
      }
      System.out.println(ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before);
      server.stop(0);
    }
  }
}
