package dev.wgmesh.cli.ctl;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code wgmesh ctl} (also installed as {@code wgmeshctl}): look at a mesh from the API server. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
    description = "Show a mesh: status, wg-quick files for external peers, a graph.",
    subcommands = {CtlCommand.Status.class, CtlCommand.ShowConf.class, CtlCommand.Graph.class})
public final class CtlCommand implements Runnable {
  @Option(names = "--mesh", description = "The WireGuardMesh (default: the only one)")
  String mesh;

  private final Supplier<KubernetesClient> clients;

  public CtlCommand() {
    this(() -> new KubernetesClientBuilder().build());
  }

  /** For tests: a client of a mock API server. */
  public CtlCommand(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  MeshView read() {
    try (KubernetesClient client = clients.get()) {
      return new MeshReader(client).read(mesh);
    }
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

  @Command(name = "showconf", mixinStandardHelpOptions = true,
      description = "A wg-quick file for an external peer (the private key is never fetched from the cluster).")
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
