package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.Condition;
import dev.wgmesh.api.v1alpha1.StatusPatch;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import dev.wgmesh.api.v1alpha1.WireGuardPeerStatus;
import dev.wgmesh.operator.model.Conditions;
import dev.wgmesh.operator.model.PeerOutcome;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
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
 * Writes the operator's part of each WireGuardPeer's status (address, allowedIPs, conditions,
 * ready, observedGeneration) with a merge patch of exactly those fields ({@link StatusPatch}):
 * {@code endpoint} and {@code mode}, which agents report, are never sent and so never clobbered. A
 * peer whose status already says what the plan says is not written.
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

  List<Change> sync(Collection<WireGuardPeer> peers, Map<String, PeerOutcome> outcomes, Instant now) {
    List<Callable<Optional<Change>>> tasks = new ArrayList<>();
    for (WireGuardPeer peer : peers) {
      PeerOutcome outcome = outcomes.get(peer.getMetadata().getName());
      if (outcome == null) {
        continue;
      }
      WireGuardPeerStatus before = peer.getStatus() == null ? new WireGuardPeerStatus() : peer.getStatus();
      WireGuardPeerStatus after = desired(peer, before, outcome, now);
      if (!sameOwnedFields(before, after)) {
        tasks.add(() -> write(peer, before, after));
      }
    }
    return writes.all(tasks).stream().flatMap(Optional::stream).toList();
  }

  private Optional<Change> write(WireGuardPeer peer, WireGuardPeerStatus before, WireGuardPeerStatus after) {
    try {
      // resource(peer): the patch goes out without fetching the peer first
      WireGuardPeer updated = client.resources(WireGuardPeer.class).withName(peer.getMetadata().getName()).subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), StatusPatch.of(ownedFields(after), client.getKubernetesSerialization()));
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

  /** The status the peer should have: our fields from the plan, the agent's as they are. */
  static WireGuardPeerStatus desired(WireGuardPeer peer, WireGuardPeerStatus before, PeerOutcome outcome, Instant now) {
    WireGuardPeerStatus after = new WireGuardPeerStatus();
    after.setObservedGeneration(peer.getMetadata().getGeneration());
    after.setAddress(outcome.address());
    after.setAllowedIPs(new ArrayList<>(outcome.allowedIPs()));
    after.setConditions(StatusConditions.merge(before.getConditions(), outcome.conditions(), now, peer.getMetadata().getGeneration()));
    after.setReady(StatusConditions.find(after.getConditions(), Conditions.READY).map(Condition::getStatus).orElse(null));
    after.setEndpoint(before.getEndpoint());
    after.setMode(before.getMode());
    return after;
  }

  static boolean sameOwnedFields(WireGuardPeerStatus a, WireGuardPeerStatus b) {
    return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
        && Objects.equals(a.getAddress(), b.getAddress())
        && Objects.equals(emptyIfNull(a.getAllowedIPs()), emptyIfNull(b.getAllowedIPs()))
        && Objects.equals(emptyIfNull(a.getConditions()), emptyIfNull(b.getConditions()))
        && Objects.equals(a.getReady(), b.getReady());
  }

  /** The fields of a peer's status that the operator writes, null where it has no value. */
  static Map<String, Object> ownedFields(WireGuardPeerStatus status) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("observedGeneration", status.getObservedGeneration());
    fields.put("address", status.getAddress());
    fields.put("allowedIPs", status.getAllowedIPs());
    fields.put("conditions", status.getConditions());
    fields.put("ready", status.getReady());
    return fields;
  }

  private static <T> List<T> emptyIfNull(List<T> list) {
    return list == null ? List.of() : list;
  }
}
