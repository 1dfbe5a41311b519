package dev.wgmesh.kube.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * {@link KubeApi} over the JDK's HTTP client and Jackson: plain requests for single objects,
 * lists and status patches, WebSocket watches (as kube-apiserver serves them, and as fabric8 used
 * them). Bearer token authentication; the token file of a ServiceAccount is read again for every
 * request, so that a rotated (bound) token is used as soon as the kubelet writes it.
 *
 * <p>Where the API server is ({@link #fromEnvironment}): {@code KUBERNETES_MASTER} (with
 * {@code KUBERNETES_AUTH_TOKEN}), else in a pod {@code KUBERNETES_SERVICE_HOST} and
 * {@code KUBERNETES_SERVICE_PORT} with the pod's ServiceAccount token, CA bundle and namespace.
 */
public final class HttpKubeApi implements KubeApi {
  static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final URI master;
  private final Supplier<String> token;
  private final String namespace;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  /**
   * @param master the API server's URL (http or https)
   * @param token the bearer token, asked for every request; null or blank: none
   * @param namespace the client's namespace, may be null
   * @param ssl for https; null: the JDK's default trust
   */
  public HttpKubeApi(URI master, Supplier<String> token, String namespace, SSLContext ssl) {
    this.master = URI.create(master.toString().replaceAll("/+$", ""));
    this.token = token;
    this.namespace = namespace == null || namespace.isBlank() ? null : namespace.strip();
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT);
    if (ssl != null) {
      b.sslContext(ssl);
    } else if (this.master.getScheme().equals("http")) {
      // The JDK's client wants a TLS context even for plain HTTP, and its default one parses the
      // JDK's whole CA store (about 2 MiB of a small JVM). Plain HTTP never uses it: one that
      // trusts nobody does.
      b.sslContext(trustingNobody());
    }
    this.http = b.build();
  }

  /** A client of the API server at {@code master} with a fixed token (tests, labs). */
  public static HttpKubeApi of(String master, String token) {
    return new HttpKubeApi(URI.create(master), () -> token, "default", null);
  }

  /**
   * The client the environment describes (see the class comment), as fabric8 configured it for
   * the node daemons before: {@code KUBERNETES_MASTER} / {@code KUBERNETES_AUTH_TOKEN} /
   * {@code KUBERNETES_NAMESPACE}, else the pod's ServiceAccount, else https://kubernetes.default.svc
   * (which fails, and is retried, like any unreachable API server).
   *
   * @throws IllegalArgumentException when the configuration cannot be used (a bad URL, an
   *     unreadable CA bundle): one line for the command line
   */
  public static HttpKubeApi fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, SERVICE_ACCOUNT);
  }

  /** As {@link #fromEnvironment(Map)}, with the pod's ServiceAccount files in {@code sa}. */
  static HttpKubeApi fromEnvironment(Map<String, String> env, Path sa) {
    boolean tryServiceAccount = !"false".equalsIgnoreCase(env.getOrDefault("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "true"));
    String master = env.get("KUBERNETES_MASTER");
    if (master == null || master.isBlank()) {
      String host = env.get("KUBERNETES_SERVICE_HOST");
      String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
      if (host != null && !host.isBlank()) {
        master = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
      } else {
        master = "https://kubernetes.default.svc";
      }
    } else if (!master.contains("://")) {
      master = "https://" + master;
    }
    URI uri;
    try {
      uri = URI.create(master.strip());
      if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("KUBERNETES_MASTER " + master + ": " + e.getMessage());
    }
    String fixed = env.get("KUBERNETES_AUTH_TOKEN");
    Path tokenFile = sa.resolve("token");
    Supplier<String> token = fixed != null && !fixed.isBlank() ? () -> fixed
        : tryServiceAccount ? () -> readOrNull(tokenFile) : () -> null;
    String namespace = env.get("KUBERNETES_NAMESPACE");
    if ((namespace == null || namespace.isBlank()) && tryServiceAccount) {
      namespace = readOrNull(sa.resolve("namespace"));
    }
    SSLContext ssl = null;
    if (uri.getScheme().equals("https")) {
      String caFile = env.get("KUBERNETES_CERTS_CA_FILE");
      Path ca = caFile != null && !caFile.isBlank() ? Path.of(caFile) : tryServiceAccount ? sa.resolve("ca.crt") : null;
      if (ca != null && Files.isReadable(ca)) {
        ssl = trusting(ca);
      }
    }
    return new HttpKubeApi(uri, token, namespace, ssl);
  }

  private static String readOrNull(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return null;
    }
  }

  /** TLS that trusts no server: for a client that only speaks plain HTTP. */
  static SSLContext trustingNobody() {
    X509TrustManager nobody = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("plain HTTP client: no TLS");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("plain HTTP client: no TLS");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(new KeyManager[0], new TrustManager[] {nobody}, null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS context: " + e.getMessage(), e);
    }
  }

  /** TLS that trusts the certificates in a PEM bundle (the cluster's CA). */
  static SSLContext trusting(Path caBundle) {
    try (InputStream in = Files.newInputStream(caBundle)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException("no certificate in " + caBundle);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the CA bundle " + caBundle + ": " + e.getMessage());
    }
  }

  @Override
  public String masterUrl() {
    return master.toString();
  }

  @Override
  public Optional<String> namespace() {
    return Optional.ofNullable(namespace);
  }

  @Override
  public ObjectMapper json() {
    return json;
  }

  @Override
  public <T> Optional<T> get(ResourceKind<T> kind, String ns, String name) {
    HttpResponse<byte[]> r = send("GET", kind.path(ns, name), null, null);
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    return Optional.of(read(r, kind.type(), "GET", kind.path(ns, name)));
  }

  @Override
  public <T> T create(ResourceKind<T> kind, T object) {
    String path = kind.path(namespaceOf(object));
    return read(send("POST", path, write(object), "application/json"), kind.type(), "POST", path);
  }

  @Override
  public <T> T update(ResourceKind<T> kind, T object) {
    String path = kind.path(namespaceOf(object), nameOf(object));
    return read(send("PUT", path, write(object), "application/json"), kind.type(), "PUT", path);
  }

  @Override
  public void patchStatus(ResourceKind<?> kind, String name, String mergePatch) {
    String path = kind.path(null, name) + "/status";
    check(send("PATCH", path, mergePatch.getBytes(StandardCharsets.UTF_8), "application/merge-patch+json"), "PATCH", path);
  }

  @Override
  public <T> Listing<T> list(ResourceKind<T> kind, Selector selector) {
    String path = kind.path(null) + query(selector, null);
    JsonNode list = read(send("GET", path, null, null), JsonNode.class, "GET", path);
    List<T> items = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      try {
        items.add(json.treeToValue(item, kind.type()));
      } catch (IOException e) {
        throw new KubeApiException(0, "GET " + master + path + ": cannot read an item: " + firstLine(e.getMessage()), e);
      }
    }
    return new Listing<>(items, list.path("metadata").path("resourceVersion").asText(null));
  }

  @Override
  public <T> Watch watch(ResourceKind<T> kind, Selector selector, String resourceVersion, WatchListener<T> listener) {
    String path = kind.path(null) + query(selector, resourceVersion);
    URI uri = URI.create((master.getScheme().equals("https") ? "wss" : "ws") + master.toString().substring(master.getScheme().length()) + path);
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
    String t = token.get();
    if (t != null && !t.isBlank()) {
      b.header("Authorization", "Bearer " + t);
    }
    WatchSocket<T> socket = new WatchSocket<>(kind.type(), listener, "watch " + master + path);
    try {
      WebSocket ws = b.buildAsync(uri, socket).get(CONNECT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
      return () -> socket.close(ws);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubeApiException(0, "watch " + master + path + ": interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      if (cause instanceof WebSocketHandshakeException h) {
        HttpResponse<?> r = h.getResponse();
        String body = r.body() instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(r.body());
        throw refused(r.statusCode(), body, "watch", path);
      }
      throw unreachable("watch", path, cause);
    }
  }

  /** Hands a watch's events, one complete message at a time, to the listener; the message types the server sends. */
  private final class WatchSocket<T> implements WebSocket.Listener {
    private final Class<T> type;
    private final WatchListener<T> listener;
    private final String what;
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    private final AtomicBoolean closed = new AtomicBoolean();

    WatchSocket(Class<T> type, WatchListener<T> listener, String what) {
      this.type = type;
      this.listener = listener;
      this.what = what;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        message(ws, message);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      binary.write(bytes, 0, bytes.length);
      if (last) {
        String message = binary.toString(StandardCharsets.UTF_8);
        binary.reset();
        message(ws, message);
      }
      ws.request(1);
      return null;
    }

    private void message(WebSocket ws, String message) {
      if (closed.get()) {
        return;
      }
      JsonNode event;
      try {
        event = json.readTree(message);
      } catch (IOException e) {
        end(ws, new KubeApiException(0, what + ": unreadable event: " + firstLine(e.getMessage()), e));
        return;
      }
      String eventType = event.path("type").asText();
      JsonNode object = event.path("object");
      switch (eventType) {
        case "ADDED", "MODIFIED", "DELETED" -> {
          T value;
          try {
            value = json.treeToValue(object, type);
          } catch (IOException e) {
            end(ws, new KubeApiException(0, what + ": unreadable object: " + firstLine(e.getMessage()), e));
            return;
          }
          listener.onEvent(eventType, value);
        }
        case "BOOKMARK" -> listener.onBookmark(object.path("metadata").path("resourceVersion").asText(null));
        case "ERROR" -> {
          int code = object.path("code").asInt(0);
          end(ws, new KubeApiException(code, what + ": " + code + " " + object.path("reason").asText("") + ": "
              + object.path("message").asText("")));
        }
        default -> { } // unknown event types are skipped
      }
    }

    private void end(WebSocket ws, KubeApiException error) {
      if (closed.compareAndSet(false, true)) {
        ws.abort();
        listener.onClose(error);
      }
    }

    void close(WebSocket ws) {
      closed.set(true);
      ws.abort();
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      if (closed.compareAndSet(false, true)) {
        listener.onClose(null);
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      if (closed.compareAndSet(false, true)) {
        listener.onClose(new KubeApiException(0, what + ": " + describe(error), error));
      }
    }
  }

  private String query(Selector selector, String resourceVersion) {
    StringBuilder q = new StringBuilder();
    if (selector != null && selector.labels() != null) {
      q.append("&labelSelector=").append(URLEncoder.encode(selector.labels(), StandardCharsets.UTF_8));
    }
    if (selector != null && selector.fields() != null) {
      q.append("&fieldSelector=").append(URLEncoder.encode(selector.fields(), StandardCharsets.UTF_8));
    }
    if (resourceVersion != null) {
      q.append("&resourceVersion=").append(URLEncoder.encode(resourceVersion, StandardCharsets.UTF_8))
          .append("&allowWatchBookmarks=true&watch=true&timeoutSeconds=").append(300 + (int) (Math.random() * 300));
    }
    return q.length() == 0 ? "" : "?" + q.substring(1);
  }

  private HttpResponse<byte[]> send(String method, String path, byte[] body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(master + path)).timeout(REQUEST_TIMEOUT).header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    String t = token.get();
    if (t != null && !t.isBlank()) {
      b.header("Authorization", "Bearer " + t);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubeApiException(0, method + " " + master + path + ": interrupted", e);
    } catch (IOException | RuntimeException e) {
      throw unreachable(method, path, e);
    }
  }

  private void check(HttpResponse<byte[]> r, String method, String path) {
    if (r.statusCode() / 100 != 2) {
      throw refused(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), method, path);
    }
  }

  private <T> T read(HttpResponse<byte[]> r, Class<T> type, String method, String path) {
    check(r, method, path);
    try {
      return json.readValue(r.body(), type);
    } catch (IOException e) {
      throw new KubeApiException(r.statusCode(), method + " " + master + path + ": unreadable answer: " + firstLine(e.getMessage()), e);
    }
  }

  private byte[] write(Object object) {
    try {
      return json.writeValueAsBytes(object);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write " + object.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
    }
  }

  /** The API server's answer other than 2xx: its Status message when it sent one. */
  private KubeApiException refused(int code, String body, String method, String path) {
    String message = null;
    try {
      JsonNode status = json.readTree(body);
      if (status != null && status.hasNonNull("message")) {
        message = status.get("message").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not a Status
    }
    if (message == null) {
      message = body == null || body.isBlank() ? "" : firstLine(body);
    }
    return new KubeApiException(code, method + " " + master + path + ": " + code + " " + reason(code)
        + (message.isEmpty() ? "" : ": " + firstLine(message)));
  }

  private KubeApiException unreachable(String method, String path, Throwable e) {
    return new KubeApiException(0, method + " " + master + path + ": " + describe(e), e);
  }

  private static String reason(int code) {
    return switch (code) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Entity";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "";
    };
  }

  /** What went wrong on the way, in a few words: the innermost message, or the kind of failure. */
  static String describe(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof HttpConnectTimeoutException) {
      return "connect timed out";
    }
    if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
      return "timed out";
    }
    if (t instanceof ConnectException && (t.getMessage() == null || t.getMessage().isBlank())) {
      Throwable c = t.getCause();
      return c != null && c.getMessage() != null ? firstLine(c.getMessage()) : "connection refused";
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      Throwable c = t.getCause();
      return c != null && c.getMessage() != null ? firstLine(c.getMessage()) : t.getClass().getSimpleName();
    }
    return firstLine(m);
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int nl = text.indexOf('\n');
    return (nl < 0 ? text : text.substring(0, nl)).strip();
  }

  private static String namespaceOf(Object object) {
    return object instanceof HasMetadata h && h.getMetadata() != null ? h.getMetadata().getNamespace() : null;
  }

  private static String nameOf(Object object) {
    return object instanceof HasMetadata h && h.getMetadata() != null ? h.getMetadata().getName() : null;
  }

  @Override
  public void close() {
    // The JDK's client ends its threads once it is no longer referenced; open watches are closed by their owners.
  }
}
