package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeFactsStoreTest {
  static Node node(String name, String rv) {
    return new NodeBuilder()
        .withNewMetadata().withName(name).withUid("uid-" + name).withResourceVersion(rv).withLabels(Map.of("zone", "a"))
        .withAnnotations(Map.of("big", "x".repeat(1000))).endMetadata()
        .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24", "fd00:1::/64").withProviderID("cloud://1").endSpec()
        .withNewStatus().addNewAddress().withType("ExternalIP").withAddress("203.0.113.9").endAddress()
        .addNewImage().withNames("registry/image:1").withSizeBytes(1L << 30).endImage()
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
        .build();
  }

  @Test
  void keepsWhatThePlannerReadsAndNothingElse() {
    Node kept = NodeFactsStore.facts(node("n1", "7"));

    assertEquals("n1", kept.getMetadata().getName());
    assertEquals("uid-n1", kept.getMetadata().getUid());
    assertEquals("7", kept.getMetadata().getResourceVersion());
    assertEquals(Map.of("zone", "a"), kept.getMetadata().getLabels());
    assertEquals("10.244.1.0/24", kept.getSpec().getPodCIDR());
    assertEquals(List.of("10.244.1.0/24", "fd00:1::/64"), kept.getSpec().getPodCIDRs());
    assertEquals("203.0.113.9", kept.getStatus().getAddresses().get(0).getAddress());

    assertEquals(Map.of(), kept.getMetadata().getAnnotations());
    assertNull(kept.getSpec().getProviderID());
    assertEquals(List.of(), kept.getStatus().getImages());
    assertEquals(List.of(), kept.getStatus().getConditions());
  }

  @Test
  void storesListsReplacesAndRemovesByName() {
    NodeFactsStore store = new NodeFactsStore();
    store.put("n1", node("n1", "1"));
    store.put("n2", node("n2", "1"));
    store.put("n1", node("n1", "2"));

    assertEquals(2, store.size());
    assertEquals("2", store.get("n1").getMetadata().getResourceVersion());
    assertEquals(List.of("n1", "n2"), store.keySet().sorted().toList());
    assertEquals("n2", store.remove("n2").getMetadata().getName());
    assertEquals(List.of("n1"), store.values().map(n -> n.getMetadata().getName()).toList());
    assertFalse(store.isFullState());
  }
}
