package dev.wgmesh.core.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.wgmesh.core.net.Endpoints;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP endpoint every wgmesh daemon serves its metrics on: {@code /metrics} in the Prometheus
 * text format, {@code /healthz} (200 while healthy, else 503), and the daemon's own JSON documents
 * (the agent's {@code /peers}).
 */
public final class MetricsEndpoint implements AutoCloseable {
  private final HttpServer http;

  private MetricsEndpoint(HttpServer http) {
    this.http = http;
  }

  /**
   * Starts serving on {@code at} (port 0 picks one).
   *
   * @throws IOException with a one-line message naming the address when it cannot be bound
   */
  public static MetricsEndpoint serve(InetSocketAddress at, Supplier<String> scrape, BooleanSupplier healthy) throws IOException {
    return serve(at, scrape, healthy, Map.of());
  }

  /** The same, with a JSON document at each of {@code json}'s paths. */
  public static MetricsEndpoint serve(InetSocketAddress at, Supplier<String> scrape, BooleanSupplier healthy,
      Map<String, Supplier<String>> json) throws IOException {
    HttpServer http;
    try {
      http = HttpServer.create(at, 16);
    } catch (IOException e) {
      throw new IOException("cannot serve metrics on " + Endpoints.format(at) + ": " + e.getMessage(), e);
    }
    http.createContext("/metrics", exchange -> respond(exchange, 200, scrape.get(), "text/plain; version=0.0.4; charset=utf-8"));
    http.createContext("/healthz", exchange -> {
      boolean ok = healthy.getAsBoolean();
      respond(exchange, ok ? 200 : 503, ok ? "ok\n" : "unhealthy\n", "text/plain; charset=utf-8");
    });
    json.forEach((path, document) -> http.createContext(path, exchange -> respond(exchange, 200, document.get(), "application/json")));
    http.start();
    return new MetricsEndpoint(http);
  }

  /** The address actually bound. */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  private static void respond(HttpExchange exchange, int code, String body, String contentType) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
