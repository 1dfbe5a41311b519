package dev.wgmesh.cli.ctl;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.cli.DurationConverter;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code wgmesh ctl} (also installed as {@code wgmeshctl}): look at a mesh from the API server. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
    description = "Show a mesh: status, wg-quick files for external peers, a graph.",
    subcommands = {CtlCommand.Status.class, CtlCommand.Peers.class, CtlCommand.ShowConf.class, CtlCommand.Graph.class})
public final class CtlCommand implements Runnable {
  @Option(names = "--mesh", description = "The WireGuardMesh (default: the only one)")
  String mesh;

  /**
   * How long ctl waits for a TCP connection to the API server. Without an answer, ctl says so after
   * this long, and does not retry: a user at a prompt should not wait the client's default 10 s, let
   * alone its 10 retries with backoff.
   */
  @Option(names = "--connect-timeout", defaultValue = "3s", paramLabel = "<duration>", converter = DurationConverter.class,
      description = "Give up when the API server does not accept a connection within this time (default: ${DEFAULT-VALUE})")
  Duration connectTimeout;

  @Spec
  CommandSpec spec;

  private final Supplier<KubernetesClient> clients;
  private final Function<String, String> env;

  public CtlCommand() {
    this((String name) -> System.getenv(name));
  }

  /** With this environment (for tests): KUBECONFIG is looked up here. */
  public CtlCommand(Function<String, String> env) {
    this(null, env);
  }

  /** For tests: a client of a mock API server. */
  public CtlCommand(Supplier<KubernetesClient> clients) {
    this(clients, name -> null);
  }

  CtlCommand(Supplier<KubernetesClient> clients, Function<String, String> env) {
    this.clients = clients;
    this.env = env;
  }

  /** A client with this configuration that gives up after the connect timeout when nothing answers. */
  static KubernetesClient connect(Config config, Duration connectTimeout) {
    config.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis())));
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  MeshView read() {
    checkKubeconfig(env.apply("KUBECONFIG"));
    // The user's configuration, found as kubectl finds it (KUBECONFIG, ~/.kube/config, in-cluster).
    try (KubernetesClient client = clients != null ? clients.get() : connect(Config.autoConfigure(null), connectTimeout)) {
      return new MeshReader(client).read(mesh);
    }
  }

  /**
   * The Kubernetes client ignores a KUBECONFIG that names no existing file and quietly tries the
   * in-cluster address instead; kubectl users expect to hear that their KUBECONFIG is wrong.
   */
  static void checkKubeconfig(String kubeconfig) {
    if (kubeconfig == null) {
      return;
    }
    List<String> files = Arrays.stream(kubeconfig.split(java.io.File.pathSeparator)).filter(f -> !f.isBlank()).toList();
    if (files.isEmpty() || files.stream().anyMatch(f -> Files.isRegularFile(Path.of(f)))) {
      return;
    }
    throw new MeshReader.CtlException(files.size() == 1
        ? "KUBECONFIG names " + files.get(0) + ", which does not exist"
        : "KUBECONFIG names " + String.join(", ", files) + ", none of which exists");
  }

  /** Runs a subcommand's body, printing user-facing failures without a stack trace. */
  static int guarded(Callable<String> body) {
    try {
      System.out.print(body.call());
      return 0;
    } catch (MeshReader.CtlException | IllegalStateException | IllegalArgumentException e) {
      System.err.println("wgmesh ctl: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      System.err.println("wgmesh ctl: " + e);
      return 1;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Every node and how it reaches each peer.")
  static final class Status implements Callable<Integer> {
    @ParentCommand
    CtlCommand parent;

    @Override
    public Integer call() {
      return guarded(() -> Renderers.status(parent.read()));
    }
  }

  @Command(name = "peers", mixinStandardHelpOptions = true,
      description = {"Every peer of one node as its agent sees it: path, endpoint, last handshake.", "",
          "Asks the agent (GET <agent>/peers on its metrics port: the chart binds it to the node's address, port 9588), "
              + "not the API server: a node config's status lists only the peers not on their best path. "
              + "Names come from the mesh's WireGuardPeers when the API server answers; else public keys."})
  static final class Peers implements Callable<Integer> {
    @ParentCommand
    CtlCommand parent;

    @Option(names = "--agent", required = true, paramLabel = "<url>", description = "The agent's metrics address, e.g. http://10.0.0.5:9588")
    String agent;

    @Override
    public Integer call() {
      return guarded(() -> Renderers.peers(AgentPeers.fetch(agent, parent.connectTimeout), names()));
    }

    /** Peer names by public key, from the API server if it answers; none otherwise. */
    private java.util.Map<String, String> names() {
      try {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        parent.read().peers().forEach(p -> out.putIfAbsent(p.getSpec().getPublicKey(), p.getMetadata().getName()));
        return out;
      } catch (RuntimeException e) {
        return java.util.Map.of();
      }
    }
  }

  @Command(name = "showconf", mixinStandardHelpOptions = true,
      description = {"A wg-quick file for an external peer.", "",
          "The private key is never fetched from the cluster: the file has a placeholder for it, or the key from "
              + "--private-key-file."})
  static final class ShowConf implements Callable<Integer> {
    @ParentCommand
    CtlCommand parent;

    @Parameters(index = "0", description = "The WireGuardPeer")
    String peer;

    @Option(names = "--private-key-file", description = "Fill in PrivateKey from this local file (wg genkey output)")
    Path privateKeyFile;

    @Override
    public Integer call() {
      return guarded(() -> {
        MeshView view = parent.read();
        WireGuardPeer self = view.peers().stream().filter(p -> p.getMetadata().getName().equals(peer)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no WireGuardPeer " + peer + " in mesh " + view.name()));
        return Renderers.wgQuick(view, self, privateKey(self));
      });
    }

    private Optional<String> privateKey(WireGuardPeer self) throws IOException {
      if (privateKeyFile == null) {
        return Optional.empty();
      }
      WireGuardKey key = WireGuardKey.fromBase64(Files.readString(privateKeyFile));
      if (!KeyPair.publicKeyOf(key).toBase64().equals(self.getSpec().getPublicKey())) {
        throw new IllegalArgumentException("the key in " + privateKeyFile + " does not belong to peer " + peer
            + " (its public key differs from the one in the cluster)");
      }
      return Optional.of(key.toBase64());
    }
  }

  @Command(name = "graph", mixinStandardHelpOptions = true, description = "The mesh as Graphviz DOT (direct solid, relayed dashed).")
  static final class Graph implements Callable<Integer> {
    @ParentCommand
    CtlCommand parent;

    @Option(names = "--svg", description = "Write an SVG picture here (needs Graphviz's dot)")
    Path svg;

    @Override
    public Integer call() {
      return guarded(() -> {
        String dot = Renderers.graph(parent.read());
        if (svg == null) {
          return dot;
        }
        Process p;
        try {
          p = new ProcessBuilder("dot", "-Tsvg", "-o", svg.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
          throw new IllegalStateException("--svg needs Graphviz's dot (apt-get install graphviz); the DOT text is printed by graph without --svg");
        }
        p.getOutputStream().write(dot.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
          throw new IllegalStateException("dot failed: " + out);
        }
        return "wrote " + svg + "\n";
      });
    }
  }
}
