package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.StatusPatch;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigStatus;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.PeerOutcome;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Writes each WireGuardPeer's status (address, allowedIPs, conditions, ready, observedGeneration
 * from the plan; endpoint and mode from what the registry and the node's agent report, see
 * {@link Observed}) with a merge patch of exactly those fields ({@link StatusPatch}). A peer whose
 * status already says all that is not written.
 */
final class PeerStatusWriter {
  /** A peer whose status was written: what it said before, and what it says now. */
  record Change(WireGuardPeer peer, WireGuardPeerStatus before, WireGuardPeerStatus after) {}

  private final KubernetesClient client;
  private final InformerEventSource<WireGuardPeer, WireGuardMesh> cache;
  private final OperatorMetrics metrics;
  private final Writes writes;

  PeerStatusWriter(KubernetesClient client, InformerEventSource<WireGuardPeer, WireGuardMesh> cache, OperatorMetrics metrics,
      Writes writes) {
    this.client = client;
    this.cache = cache;
    this.metrics = metrics;
    this.writes = writes;
  }

  /**
   * What the data plane reports about the peers: the endpoint the registry observes for each (its
   * node config's status), and how each node reaches its peers (its own node config's status).
   */
  record Observed(Map<String, String> endpoints, Map<String, String> nodeModes) {
    static final Observed NOTHING = new Observed(Map.of(), Map.of());

    /**
     * From the mesh's node configs: the registries' and the nodes'. With several registries, the
     * endpoint is the one the first registry (by config name) that sees the peer observes.
     */
    static Observed of(Collection<WireGuardNodeConfig> configs) {
      Map<String, String> endpoints = new java.util.HashMap<>();
      Map<String, String> modes = new java.util.HashMap<>();
      List<WireGuardNodeConfig> ordered = new ArrayList<>(configs);
      ordered.sort(java.util.Comparator.comparing(c -> c.getMetadata().getName()));
      for (WireGuardNodeConfig c : ordered) {
        WireGuardNodeConfigStatus s = c.getStatus();
        if (s == null || s.getAppliedGeneration() == null) {
          continue; // nothing reported yet
        }
        if (c.getSpec() != null && Boolean.TRUE.equals(c.getSpec().getRegistry())) {
          for (WireGuardNodeConfigStatus.PeerStatus p : s.getPeers()) {
            if (p.getEndpoint() != null) {
              endpoints.putIfAbsent(p.getName(), p.getEndpoint());
            }
          }
        } else if (c.getSpec() != null && c.getSpec().getNodeName() != null) {
          // a node config is named after its node
          modes.put(c.getSpec().getNodeName(), mode(s));
        }
      }
      return new Observed(endpoints, modes);
    }

    /** relayed when the node reaches any peer through the relay, direct when it reaches all directly, else pending. */
    static String mode(WireGuardNodeConfigStatus s) {
      int relayed = s.getRelayed() == null ? 0 : s.getRelayed();
      int pending = s.getPending() == null ? 0 : s.getPending();
      return relayed > 0 ? "relayed" : pending > 0 ? "pending" : "direct";
    }
  }

  List<Change> sync(Collection<WireGuardPeer> peers, Map<String, PeerOutcome> outcomes, Observed observed, Instant now) {
    List<Callable<Optional<Change>>> tasks = new ArrayList<>();
    for (WireGuardPeer peer : peers) {
      PeerOutcome outcome = outcomes.get(peer.getMetadata().getName());
      if (outcome == null) {
        continue;
      }
      WireGuardPeerStatus before = peer.getStatus() == null ? new WireGuardPeerStatus() : peer.getStatus();
      WireGuardPeerStatus after = desired(peer, before, outcome, observed, now);
      if (!sameOwnedFields(before, after)) {
        tasks.add(() -> write(peer, before, after));
      }
    }
    return writes.all(tasks).stream().flatMap(Optional::stream).toList();
  }

  private Optional<Change> write(WireGuardPeer peer, WireGuardPeerStatus before, WireGuardPeerStatus after) {
    try {
      WireGuardPeer updated = StatusPatch.send(client, WireGuardPeer.class, peer.getMetadata().getName(),
          StatusPatch.of(ownedFields(after), client.getKubernetesSerialization()));
      cache.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, peer);
      metrics.peerStatusWritten();
      return Optional.of(new Change(updated, before, after));
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      return Optional.empty(); // deleted meanwhile: its delete event reconciles the mesh again
    }
  }

  /** The status the peer should have: from the plan, and from what the data plane reports. */
  static WireGuardPeerStatus desired(WireGuardPeer peer, WireGuardPeerStatus before, PeerOutcome outcome, Observed observed, Instant now) {
    WireGuardPeerStatus after = new WireGuardPeerStatus();
    after.setObservedGeneration(peer.getMetadata().getGeneration());
    after.setAddress(outcome.address());
    after.setAllowedIPs(new ArrayList<>(outcome.allowedIPs()));
    after.setConditions(StatusConditions.merge(before.getConditions(), outcome.conditions(), now, peer.getMetadata().getGeneration()));
    after.setReady(StatusConditions.find(after.getConditions(), Conditions.READY).map(Condition::getStatus).orElse(null));
    after.setEndpoint(observed.endpoints().get(peer.getMetadata().getName()));
    String node = peer.getSpec() == null ? null : peer.getSpec().getNodeName();
    after.setMode(node == null ? null : observed.nodeModes().get(node));
    return after;
  }

  static boolean sameOwnedFields(WireGuardPeerStatus a, WireGuardPeerStatus b) {
    return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
        && Objects.equals(a.getAddress(), b.getAddress())
        && Objects.equals(emptyIfNull(a.getAllowedIPs()), emptyIfNull(b.getAllowedIPs()))
        && Objects.equals(emptyIfNull(a.getConditions()), emptyIfNull(b.getConditions()))
        && Objects.equals(a.getReady(), b.getReady())
        && Objects.equals(a.getEndpoint(), b.getEndpoint())
        && Objects.equals(a.getMode(), b.getMode());
  }

  /** The fields of a peer's status, all written by the operator, null where it has no value. */
  static Map<String, Object> ownedFields(WireGuardPeerStatus status) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("observedGeneration", status.getObservedGeneration());
    fields.put("address", status.getAddress());
    fields.put("allowedIPs", status.getAllowedIPs());
    fields.put("conditions", status.getConditions());
    fields.put("ready", status.getReady());
    fields.put("endpoint", status.getEndpoint());
    fields.put("mode", status.getMode());
    return fields;
  }

  private static <T> List<T> emptyIfNull(List<T> list) {
    return list == null ? List.of() : list;
  }
}
