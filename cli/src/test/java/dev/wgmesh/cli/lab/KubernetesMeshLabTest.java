package dev.wgmesh.cli.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.cli.Main;
import dev.wgmesh.lab.Host;
import dev.wgmesh.lab.Lab;
import dev.wgmesh.lab.LabTest;
import dev.wgmesh.lab.ManagedProcess;
import dev.wgmesh.lab.NatKind;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole system in the NAT lab: an API server (fabric8's mock in CRUD mode, reachable from
 * the lab's hosts), the operator, the registry and three agents in Kubernetes mode on hosts behind
 * different NATs (one symmetric), all real processes. Everything is created from Node objects and
 * a WireGuardMesh, as in a cluster.
 */
@LabTest
class KubernetesMeshLabTest {
  static final String NAMESPACE = "wgmesh-system";
  static final String MESH = "lab";

  record Site(String name, NatKind nat, String podCidr, String podAddress) {}

  static final List<Site> SITES = List.of(
      new Site("n1", NatKind.PORT_RESTRICTED, "10.244.1.0/24", "10.244.1.1"),
      new Site("n2", NatKind.CONE, "10.244.2.0/24", "10.244.2.1"),
      new Site("n3", NatKind.SYMMETRIC, "10.244.3.0/24", "10.244.3.1"));

  @Test
  void clusterOfNodesBehindNatsBecomesOneMeshFromResourcesAlone() throws Exception {
    KubernetesMockServer api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    try (Lab lab = Lab.create("k8s")) {
      InetAddress machine = lab.attachThisMachine();
      api.init(machine, 0);
      String apiUrl = "http://" + machine.getHostAddress() + ":" + api.getPort();
      Map<String, String> kubeEnv = Map.of(
          "KUBERNETES_MASTER", apiUrl, "KUBERNETES_AUTH_TRYKUBECONFIG", "false",
          "KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false", "POD_NAMESPACE", NAMESPACE);
      try (KubernetesClient client = api.createClient()) {
        Host registryHost = lab.publicHost("reg");
        Host opsHost = lab.publicHost("ops");
        Map<String, Host> hosts = new LinkedHashMap<>();
        for (Site site : SITES) {
          Host host = lab.natHost(site.name(), site.nat());
          host.execOk("ip", "addr", "add", site.podAddress() + "/32", "dev", "lo"); // a "pod" on this node
          hosts.put(site.name(), host);
          client.resource(new NodeBuilder().withNewMetadata().withName(site.name()).endMetadata()
              .withNewSpec().withPodCIDR(site.podCidr()).withPodCIDRs(site.podCidr()).endSpec()
              .withNewStatus().addNewAddress().withType("InternalIP").withAddress(host.address().getHostAddress()).endAddress().endStatus()
              .build()).create();
        }
        WireGuardMesh mesh = new WireGuardMesh();
        mesh.setMetadata(new ObjectMetaBuilder().withName(MESH).build());
        mesh.getSpec().setNetwork("10.99.0.0/24");
        mesh.getSpec().getRegistry().setEndpoint(registryHost.address().getHostAddress() + ":51820");
        mesh.getSpec().getRegistry().setNodeName("reg");
        client.resource(mesh).create();

        ManagedProcess operator = opsHost.spawn("operator", java("operator", "--namespace", NAMESPACE, "--no-leader-election", "--metrics", "off"), kubeEnv);
        await().atMost(Duration.ofSeconds(60)).until(() ->
            client.resources(WireGuardNodeConfig.class).withName(MESH + "-registry").get() != null);

        registryHost.spawn("registry", java("registry", "--kubernetes", "--mesh", MESH,
            "--interface", lab.id() + "reg", "--metrics", "off"), kubeEnv);
        for (Site site : SITES) {
          Map<String, String> env = new HashMap<>(kubeEnv);
          env.put("NODE_NAME", site.name());
          hosts.get(site.name()).spawn("agent", java("agent", "--kubernetes", "--mesh", MESH,
              "--state-dir", lab.logDir().resolve("state-" + site.name()).toString(),
              "--interface", lab.id() + site.name()), env);
        }

        // Every pair connects: tunnel addresses from the peers' status, and pods behind each node.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> allConnected(client, hosts));
        for (Site from : SITES) {
          for (Site to : SITES) {
            if (from != to) {
              assertTrue(hosts.get(from.name()).exec("ping", "-c", "1", "-W", "2", to.podAddress()).ok(),
                  "pod address " + to.podAddress() + " on " + to.name() + " answers " + from.name());
            }
          }
        }
        // The agents report how they reach each peer: the symmetric NAT only through the relay.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          WireGuardNodeConfig n3 = client.resources(WireGuardNodeConfig.class).withName("n3").get();
          assertNotNull(n3.getStatus());
          assertEquals(n3.getMetadata().getGeneration(), n3.getStatus().getAppliedGeneration());
          assertTrue(n3.getStatus().getRelayed() >= 1, "n3 (symmetric NAT) relays: " + n3.getStatus().getPeers());
          WireGuardNodeConfig n1 = client.resources(WireGuardNodeConfig.class).withName("n1").get();
          assertTrue(n1.getStatus().getDirect() >= 1, "n1 reaches n2 directly: " + n1.getStatus().getPeers());
        });

        // Killing the operator changes nothing in the data plane.
        operator.stop();
        for (int i = 0; i < 10; i++) {
          assertTrue(allConnected(client, hosts), "connectivity without the operator (second " + i + ")");
          Thread.sleep(1000);
        }
      }
    } finally {
      api.destroy();
    }
  }

  private static boolean allConnected(KubernetesClient client, Map<String, Host> hosts) {
    Map<String, String> addresses = new HashMap<>();
    for (WireGuardPeer p : client.resources(WireGuardPeer.class).list().getItems()) {
      if (p.getStatus() != null && p.getStatus().getAddress() != null) {
        addresses.put(p.getMetadata().getName(), p.getStatus().getAddress());
      }
    }
    if (!addresses.keySet().containsAll(hosts.keySet())) {
      return false;
    }
    for (String from : hosts.keySet()) {
      for (String to : hosts.keySet()) {
        if (!from.equals(to) && !hosts.get(from).exec("ping", "-c", "1", "-W", "1", addresses.get(to)).ok()) {
          return false;
        }
      }
    }
    return true;
  }

  /** A wgmesh process with this JVM's class path. */
  private static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
