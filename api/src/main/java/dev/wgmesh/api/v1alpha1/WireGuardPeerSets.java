package dev.wgmesh.api.v1alpha1;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** How a node config and its mesh's peer sets combine into the peers one node configures. */
public final class WireGuardPeerSets {
  private WireGuardPeerSets() {}

  /**
   * The config's own peers, then the peers of {@code sets} of the config's mesh (sets ordered by
   * name; sets of another mesh are ignored). From the sets it leaves out: the node's own entry
   * (the one with {@code ownPublicKey}; every set lists all members), and an entry whose name is
   * already taken, by one of the config's own peers or by an earlier set (a member is in two sets
   * for a moment while the operator moves it; the first wins). Nothing is parsed or validated.
   *
   * @param ownPublicKey the node's key in base64 (keys have one text form: equal keys are equal
   *     strings)
   */
  public static List<WireGuardNodeConfigSpec.Peer> effectivePeers(WireGuardNodeConfigSpec config, Collection<WireGuardPeerSet> sets,
      String ownPublicKey) {
    List<WireGuardNodeConfigSpec.Peer> peers = new ArrayList<>(config.getPeers() == null ? List.of() : config.getPeers());
    Set<String> names = new HashSet<>();
    peers.stream().filter(Objects::nonNull).forEach(p -> names.add(p.getName()));
    List<WireGuardPeerSet> ordered = sets.stream()
        .filter(s -> s.getSpec() != null && s.getSpec().getPeers() != null && Objects.equals(s.getSpec().getMesh(), config.getMesh()))
        .sorted(Comparator.comparing((WireGuardPeerSet s) -> s.getMetadata() == null ? "" : String.valueOf(s.getMetadata().getName())))
        .toList();
    for (WireGuardPeerSet set : ordered) {
      for (WireGuardNodeConfigSpec.Peer p : set.getSpec().getPeers()) {
        if (p == null || (p.getPublicKey() != null && p.getPublicKey().strip().equals(ownPublicKey))) {
          continue; // this node itself
        }
        if (p.getName() != null && !names.add(p.getName())) {
          continue; // already there
        }
        peers.add(p);
      }
    }
    return peers;
  }
}
