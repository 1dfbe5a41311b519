package dev.wgmesh.testapiserver;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A Kubernetes API server for tests, as strict as a real one where wgmesh depends on it (see
 * {@link StrictDispatcher}): every client is some identity (a component's ServiceAccount, an agent's
 * token bound to its node, an administrator for set-up), every request is authorized against the
 * chart's RBAC, patches have kube-apiserver's semantics, status is a subresource. The wgmesh CRDs
 * are installed. Storage and watches are fabric8's CRUD mock.
 *
 * <p>{@link #close()} fails (AssertionError) when any request was refused that the test did not
 * take with {@link #takeRejections(Predicate)}: components log a refused write and carry on, and a
 * test must not pass over that.
 */
public final class StrictApiServer implements AutoCloseable {
  public static final String NAMESPACE = ChartRbac.NAMESPACE;
  public static final Identity OPERATOR = Identity.serviceAccount(NAMESPACE, ChartRbac.OPERATOR);
  public static final Identity REGISTRY = Identity.serviceAccount(NAMESPACE, ChartRbac.REGISTRY);
  /** A user bound to the chart's read-only ClusterRole for wgmesh objects (what wgmeshctl needs). */
  public static final Identity VIEWER = Identity.user("viewer", "wgmesh-viewers");

  /** The CRDs, as generated into the api module's jar. */
  public static final List<String> CRDS = List.of("wireguardmeshes.wgmesh.dev-v1.yml", "wireguardpeers.wgmesh.dev-v1.yml",
      "wireguardnodeconfigs.wgmesh.dev-v1.yml", "wireguardpeersets.wgmesh.dev-v1.yml");

  /** The mock logs every request at INFO through java.util.logging; held here so the level sticks. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final StrictDispatcher dispatcher;
  private final KubernetesMockServer server;
  private final List<KubernetesClient> clients = new ArrayList<>();
  private final KubernetesClient admin;
  private final String host;
  private boolean closed;

  /** Sees each request as it arrives (its method, path and body size in bytes), and then its answer. */
  @FunctionalInterface
  public interface RequestObserver {
    RequestObserver NONE = (method, path, bodyBytes) -> {};

    void request(String method, String path, long bodyBytes);

    /** The status code answered: a write answered 200 or 201 is stored, and watchers are told of it. */
    default void answered(String method, String path, int code) {}
  }

  /** How to start one: the meshes the chart's registry Roles name, where to listen, whether to install the CRDs. */
  public static final class Builder {
    private List<String> meshes = List.of();
    private final java.util.Map<String, List<String>> registries = new java.util.LinkedHashMap<>();
    private InetAddress address = InetAddress.getLoopbackAddress();
    private int port;
    private boolean crds = true;
    private RequestObserver observer = RequestObserver.NONE;

    public Builder meshes(String... names) {
      meshes = List.of(names);
      return this;
    }

    /**
     * A mesh with several registries, named: the chart's registry Roles name each one's Secret and
     * config ({@code registry.extraMeshes} entries {@code {name, registries}}).
     */
    public Builder meshWithRegistries(String mesh, String... registries) {
      this.registries.put(mesh, List.of(registries));
      return this;
    }

    public Builder listen(InetAddress address, int port) {
      this.address = address;
      this.port = port;
      return this;
    }

    /** Leaves the CRDs out, as on a cluster where they were never applied. */
    public Builder withoutCrds() {
      crds = false;
      return this;
    }

    /** Tells {@code observer} of every request as it arrives, before it is authenticated (a benchmark's counts). */
    public Builder observe(RequestObserver observer) {
      this.observer = observer;
      return this;
    }

    public StrictApiServer start() {
      return new StrictApiServer(this);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** On the loopback address, the chart rendered with its default mesh name. */
  public static StrictApiServer start() {
    return builder().start();
  }

  private StrictApiServer(Builder b) {
    List<HasMetadata> rbac = new ArrayList<>(ChartRbac.render(b.meshes, b.registries));
    // What a cluster administrator does for the people who use wgmeshctl.
    rbac.add(new ClusterRoleBindingBuilder().withNewMetadata().withName("wgmesh-viewers").endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", ChartRbac.VIEW)
        .addNewSubject().withKind("Group").withName(VIEWER.groups().get(0)).withApiGroup("rbac.authorization.k8s.io").endSubject()
        .build());
    dispatcher = new StrictDispatcher(Rbac.of(rbac), b.observer);
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(b.address, b.port);
    host = b.address.getHostAddress().contains(":") ? "[" + b.address.getHostAddress() + "]" : b.address.getHostAddress();
    admin = client(Identity.ADMIN);
    if (b.crds) {
      for (String crd : CRDS) {
        try (InputStream in = WireGuardMesh.class.getResourceAsStream("/META-INF/fabric8/" + crd)) {
          admin.apiextensions().v1().customResourceDefinitions().load(in).create();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  /** The URL clients use. */
  public String url() {
    return "http://" + host + ":" + server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  /** The bearer token of {@code who}. */
  public String token(Identity who) {
    return who.token();
  }

  /** A client that is {@code who}; closed with the server. */
  public synchronized KubernetesClient client(Identity who) {
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config(who).build()).build();
    clients.add(client);
    return client;
  }

  /** A client configuration for {@code who}, to adjust (timeouts) before building. */
  public ConfigBuilder config(Identity who) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url())
        .withOauthToken(token(who))
        .withNamespace("default")
        .withAutoConfigure(false)
        .withTrustCerts(true)
        .withRequestRetryBackoffLimit(0);
  }

  /** The environment that makes a wgmesh process talk to this server as {@code who}. */
  public Map<String, String> environment(Identity who) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KUBERNETES_MASTER", url());
    env.put("KUBERNETES_AUTH_TOKEN", token(who));
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
    env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    return env;
  }

  /** An administrator's client, for a test's own set-up and checks. */
  public KubernetesClient admin() {
    return admin;
  }

  /** The agent ServiceAccount's token bound to a Pod on {@code node}. */
  public static Identity agentOn(String node) {
    return Identity.serviceAccountOnNode(NAMESPACE, ChartRbac.AGENT, node);
  }

  /** Every request refused so far (not taken). */
  public List<Rejection> rejections() {
    return List.copyOf(dispatcher.rejections());
  }

  /** Takes the refusals a test expected (they no longer fail {@link #close()}) and returns them. */
  public List<Rejection> takeRejections(Predicate<Rejection> expected) {
    List<Rejection> taken = dispatcher.rejections().stream().filter(expected).toList();
    dispatcher.rejections().removeAll(taken);
    return taken;
  }

  /** Fails when a request was refused that no test took. */
  public void assertNoRejections() {
    List<Rejection> left = rejections();
    if (!left.isEmpty()) {
      StringBuilder b = new StringBuilder("the API server refused " + left.size() + " request(s), as a real one would:");
      left.stream().limit(20).forEach(r -> b.append("\n  ").append(r));
      throw new AssertionError(b.toString());
    }
  }

  /** Answers 503 to authorized requests whose path matches, from now on (a test's partial outage); {@code p -> false} ends it. */
  public void unavailable(Predicate<String> paths) {
    dispatcher.unavailable(paths);
  }

  /** How many authorized requests so far had a path that matches. */
  public int requestCount(Predicate<String> paths) {
    return (int) dispatcher.seen().stream().filter(paths).count();
  }

  /** The requests received since the last call, in order (every request is recorded). */
  public List<io.fabric8.mockwebserver.http.RecordedRequest> drainRequests() throws InterruptedException {
    List<io.fabric8.mockwebserver.http.RecordedRequest> requests = new ArrayList<>();
    io.fabric8.mockwebserver.http.RecordedRequest r;
    while ((r = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
      requests.add(r);
    }
    return requests;
  }

  /** Stops serving (clients see connection errors) without checking; {@link #close()} still checks. */
  public void stop() {
    server.destroy();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    clients.forEach(KubernetesClient::close);
    server.destroy();
    assertNoRejections();
  }
}
