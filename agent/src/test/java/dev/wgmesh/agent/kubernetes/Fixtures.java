package dev.wgmesh.agent.kubernetes;

import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.core.wg.config.InMemoryDevice;
import dev.wgmesh.core.wg.config.InMemoryLinks;
import dev.wgmesh.core.wg.config.InterfaceReconciler;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Nodes, node configurations, peer sets and an in-memory interface, as the Kubernetes-mode tests need them. */
final class Fixtures {
  static final String IFACE = "wgmesh0";

  private Fixtures() {}

  static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24").endSpec()
        .withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress("10.0.0.5").endAddress()
        .addNewAddress().withType("ExternalIP").withAddress("203.0.113.50").endAddress()
        .endStatus().build();
  }

  static WireGuardNodeConfig config(String name, WireGuardNodeConfigSpec spec) {
    WireGuardNodeConfig c = new WireGuardNodeConfig();
    c.setMetadata(new ObjectMetaBuilder().withName(name).build());
    c.setSpec(spec);
    c.setStatus(null);
    return c;
  }

  /** A peer set as the operator writes one: labelled with its mesh, which its spec names too. */
  static WireGuardPeerSet peerSet(String name, String mesh, WireGuardNodeConfigSpec.Peer... peers) {
    WireGuardPeerSet s = new WireGuardPeerSet();
    s.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels(dev.wgmesh.api.v1alpha1.WireGuardMesh.MESH_LABEL, mesh).build());
    s.setSpec(new WireGuardPeerSetSpec(mesh, new ArrayList<>(List.of(peers))));
    return s;
  }

  /** An interface whose links and device live in memory; "wireguard-go" creates the link. */
  record FakeInterface(InMemoryLinks links, InMemoryDevice device, InterfaceReconciler reconciler) {
    static FakeInterface create() {
      InMemoryLinks links = new InMemoryLinks();
      InMemoryDevice device = new InMemoryDevice(IFACE);
      InterfaceReconciler r = new InterfaceReconciler(IFACE, links, iface -> {
        links.create(iface);
        return () -> links.remove(iface);
      }, (iface, how) -> device, InetAddress::getByName, Clock.systemUTC());
      return new FakeInterface(links, device, r);
    }
  }

  static KubernetesAgent.Settings fast(String node, Path stateDir) {
    return KubernetesAgent.Settings.defaults(node, "prod", stateDir)
        .withTick(Duration.ofMillis(100))
        .withReconcileInterval(Duration.ofMillis(500))
        .withStatusMinInterval(Duration.ofMillis(300))
        .withPendingGrace(Duration.ZERO) // pending peers listed at once: what the tests check
        .withRetryMax(Duration.ofMillis(500));
  }

  static List<String> list(String... s) {
    return List.of(s);
  }
}
