package dev.wgmesh.agent.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.core.key.KeyPair;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerPublisherTest {
  final KeyPair keys = KeyPair.generate();

  static Node node(String name, String uid) {
    return new NodeBuilder().withNewMetadata().withName(name).withUid(uid).endMetadata()
        .withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress("10.0.0.5").endAddress()
        .addNewAddress().withType("Hostname").withAddress("n1").endAddress()
        .addNewAddress().withType("ExternalIP").withAddress("203.0.113.50").endAddress()
        .addNewAddress().withType("InternalIP").withAddress("fd00::5").endAddress()
        .endStatus().build();
  }

  @Test
  void desiredPeerHasTheNodeAsOwnerThePublicKeyAndTheNodesAddresses() {
    WireGuardPeer p = PeerPublisher.desired(node("n1", "uid-1"), "prod", keys.publicKey());
    assertEquals("n1", p.getMetadata().getName());
    assertEquals("prod", p.getSpec().getMesh());
    assertEquals("n1", p.getSpec().getNodeName());
    assertEquals(keys.publicKey().toBase64(), p.getSpec().getPublicKey());
    assertEquals(List.of("203.0.113.50", "10.0.0.5", "fd00::5"), p.getSpec().getEndpointHints(), "ExternalIP first; no host names");
    var owner = p.getMetadata().getOwnerReferences().get(0);
    assertEquals(List.of("v1", "Node", "n1", "uid-1"), List.of(owner.getApiVersion(), owner.getKind(), owner.getName(), owner.getUid()));
  }

  @Test
  void updateKeepsWhatTheAgentDoesNotOwn() {
    WireGuardPeer existing = PeerPublisher.desired(node("n1", "uid-1"), "prod", KeyPair.generate().publicKey());
    existing.getSpec().setAddress("10.88.0.7");
    existing.getSpec().setAllowedIPs(List.of("192.168.10.0/24"));
    existing.getSpec().setEndpoint("203.0.113.50:51820");
    WireGuardPeer desired = PeerPublisher.desired(node("n1", "uid-1"), "prod", keys.publicKey());
    WireGuardPeer updated = PeerPublisher.update(existing, desired).orElseThrow();
    assertEquals(keys.publicKey().toBase64(), updated.getSpec().getPublicKey(), "a new key is a rotation");
    assertEquals("10.88.0.7", updated.getSpec().getAddress());
    assertEquals(List.of("192.168.10.0/24"), updated.getSpec().getAllowedIPs());
    assertEquals("203.0.113.50:51820", updated.getSpec().getEndpoint());
    assertTrue(PeerPublisher.update(updated, desired).isEmpty(), "up to date: no write");
  }

  @Test
  void recreatedNodeGetsTheNewOwnerReference() {
    WireGuardPeer existing = PeerPublisher.desired(node("n1", "old-uid"), "prod", keys.publicKey());
    WireGuardPeer updated = PeerPublisher.update(existing, PeerPublisher.desired(node("n1", "new-uid"), "prod", keys.publicKey())).orElseThrow();
    assertEquals(1, updated.getMetadata().getOwnerReferences().size());
    assertEquals("new-uid", updated.getMetadata().getOwnerReferences().get(0).getUid());
  }

  @Test
  void someoneElsesPeerIsNeverTakenOver() {
    WireGuardPeer laptop = PeerPublisher.desired(node("n1", "uid-1"), "prod", KeyPair.generate().publicKey());
    laptop.getSpec().setNodeName(null);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PeerPublisher.update(laptop, PeerPublisher.desired(node("n1", "uid-1"), "prod", keys.publicKey())));
    assertTrue(e.getMessage().contains("is not node n1's"), e.getMessage());
  }
}
