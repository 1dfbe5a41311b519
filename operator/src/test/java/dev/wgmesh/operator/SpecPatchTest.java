package dev.wgmesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpecPatchTest {
  static final KubernetesSerialization JSON = new KubernetesSerialization();

  static WireGuardNodeConfigSpec.Peer peer(int i) {
    return new WireGuardNodeConfigSpec.Peer("p" + i, "key" + i, List.of("10.88.0." + i + "/32"), null, 25);
  }

  static WireGuardNodeConfigSpec spec(int... peers) {
    WireGuardNodeConfigSpec spec = new WireGuardNodeConfigSpec();
    spec.setMesh("m");
    spec.setNodeName("n");
    spec.getInterfaceSpec().setAddresses(List.of("10.88.0.1/24"));
    spec.getInterfaceSpec().setListenPort(51820);
    for (int p : peers) {
      spec.getPeers().add(peer(p));
    }
    return spec;
  }

  /** Applies the patch to an object holding {@code before} and checks it then holds {@code after}. */
  static ArrayNode assertTransforms(WireGuardNodeConfigSpec before, WireGuardNodeConfigSpec after) {
    ArrayNode ops = SpecPatch.diff(before, after, "7", JSON);
    assertEquals("/metadata/resourceVersion", ops.get(0).get("path").asText());
    ObjectNode object = JsonNodeFactory.instance.objectNode();
    object.set("metadata", JsonNodeFactory.instance.objectNode().put("resourceVersion", "7"));
    object.set("spec", JSON.convertValue(before, JsonNode.class));
    JsonNode patched = JsonPatch.apply(wire(ops), wire(object));
    assertEquals(JSON.convertValue(after, JsonNode.class), patched.get("spec"), ops.toString());
    return ops;
  }

  @Test
  void aJoinAddsOnePeerAndNothingElse() {
    ArrayNode ops = assertTransforms(spec(1, 2, 4, 5), spec(1, 2, 3, 4, 5));
    assertEquals(2, ops.size(), ops.toString());
    assertEquals("add", ops.get(1).get("op").asText());
    assertEquals("/spec/peers/2", ops.get(1).get("path").asText());
  }

  @Test
  void aJoinAppendsOneMemberToAPeerSet() {
    WireGuardPeerSetSpec before = new WireGuardPeerSetSpec("m", List.of(peer(1), peer(2)));
    WireGuardPeerSetSpec after = new WireGuardPeerSetSpec("m", List.of(peer(1), peer(2), peer(3)));
    ArrayNode ops = SpecPatch.diff(before, after, "9", JSON);
    assertEquals(2, ops.size(), ops.toString());
    assertEquals("/spec/peers/2", ops.get(1).get("path").asText());
    ObjectNode object = JsonNodeFactory.instance.objectNode();
    object.set("metadata", JsonNodeFactory.instance.objectNode().put("resourceVersion", "9"));
    object.set("spec", JSON.convertValue(before, JsonNode.class));
    assertEquals(JSON.convertValue(after, JsonNode.class), JsonPatch.apply(wire(ops), wire(object)).get("spec"));
  }

  @Test
  void aLeaveRemovesOnePeer() {
    ArrayNode ops = assertTransforms(spec(1, 2, 3, 4), spec(1, 3, 4));
    assertEquals(2, ops.size(), ops.toString());
    assertEquals("remove", ops.get(1).get("op").asText());
  }

  @Test
  void aChangedPeerIsReplacedInPlace() {
    WireGuardNodeConfigSpec after = spec(1, 2, 3);
    after.getPeers().set(1, new WireGuardNodeConfigSpec.Peer("p2", "key2", List.of("10.88.0.2/32", "10.244.2.0/24"), null, 25));
    ArrayNode ops = assertTransforms(spec(1, 2, 3), after);
    assertEquals(2, ops.size(), ops.toString());
    assertEquals("replace", ops.get(1).get("op").asText());
  }

  @Test
  void fieldsAreSetAndRemoved() {
    WireGuardNodeConfigSpec before = spec(1);
    WireGuardNodeConfigSpec.RegistryPeer registry = new WireGuardNodeConfigSpec.RegistryPeer();
    registry.setPublicKey("k");
    registry.setEndpoint("203.0.113.5:51820");
    before.setRegistryPeer(registry);
    WireGuardNodeConfigSpec after = spec(1);
    after.getInterfaceSpec().setMtu(1380);
    after.getDiscovery().setRelay("Off");
    assertTransforms(before, after);
    assertTransforms(after, before);
  }

  @Test
  void fromNothingToManyAndBack() {
    assertTransforms(spec(), spec(1, 2, 3));
    assertTransforms(spec(1, 2, 3), spec());
  }

  @Test
  void randomEditsAlwaysLandOnTheNewSpec() {
    Random random = new Random(42);
    for (int round = 0; round < 500; round++) {
      int[] before = randomPeers(random);
      int[] after = randomPeers(random);
      assertTransforms(spec(before), spec(after));
    }
  }

  /** As the API server sees it: parsed from text (a long 7 and an int 7 differ as Jackson nodes). */
  private static JsonNode wire(JsonNode node) {
    return JSON.unmarshal(JSON.asJson(node), JsonNode.class);
  }

  private static int[] randomPeers(Random random) {
    List<Integer> peers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      if (random.nextInt(3) > 0) {
        peers.add(i);
      }
    }
    return peers.stream().mapToInt(Integer::intValue).toArray();
  }
}
