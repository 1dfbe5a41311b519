package dev.wgmesh.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSet;
import dev.wgmesh.api.v1alpha1.WireGuardPeerSetSpec;
import dev.wgmesh.kube.client.KubeApi;
import dev.wgmesh.kube.client.KubeApiException;
import dev.wgmesh.kube.client.ResourceKind;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What the watch does with answers the test API server never gives: 410 Gone (a resourceVersion
 * too old, on the watch or in it: list again) and a refusal (retry with backoff), against a
 * scripted {@link KubeApi}.
 */
class ResourceWatchRecoveryTest {
  /** Lists what {@link #sets} holds at that moment; each watch does what {@link #onWatch} says. */
  static final class ScriptedApi implements KubeApi {
    final List<WireGuardPeerSet> sets = new CopyOnWriteArrayList<>();
    final AtomicInteger lists = new AtomicInteger();
    final AtomicInteger watches = new AtomicInteger();
    final AtomicReference<KubeApiException> listFails = new AtomicReference<>();
    final AtomicReference<WatchListener<WireGuardPeerSet>> listener = new AtomicReference<>();
    /** Fails the next watch with this, once. */
    final AtomicReference<KubeApiException> failNextWatch = new AtomicReference<>();
    /** Ends every watch with 410 Gone as soon as it is open (a server whose history is always too short). */
    volatile boolean goneOnOpen;

    @Override
    public String masterUrl() {
      return "http://scripted";
    }

    @Override
    public Optional<String> namespace() {
      return Optional.empty();
    }

    @Override
    public ObjectMapper json() {
      return new ObjectMapper();
    }

    @Override
    public <T> Optional<T> get(ResourceKind<T> kind, String namespace, String name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> T create(ResourceKind<T> kind, T object) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> T update(ResourceKind<T> kind, T object) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void patchStatus(ResourceKind<?> kind, String name, String mergePatch) {
      throw new UnsupportedOperationException();
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> Listing<T> list(ResourceKind<T> kind, Selector selector) {
      lists.incrementAndGet();
      KubeApiException fail = listFails.get();
      if (fail != null) {
        throw fail;
      }
      return new Listing<>((List<T>) new ArrayList<>(sets), "10");
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> Watch watch(ResourceKind<T> kind, Selector selector, String resourceVersion, WatchListener<T> l) {
      watches.incrementAndGet();
      KubeApiException fail = failNextWatch.getAndSet(null);
      if (fail != null) {
        throw fail;
      }
      listener.set((WatchListener<WireGuardPeerSet>) l);
      if (goneOnOpen) {
        l.onClose(new KubeApiException(410, "watch: 410 Gone: too old resource version"));
      }
      return () -> {};
    }

    @Override
    public void close() {}
  }

  static WireGuardPeerSet set(String name, String version) {
    WireGuardPeerSet s = new WireGuardPeerSet();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withResourceVersion(version).addToLabels(WireGuardMesh.MESH_LABEL, "prod").build());
    s.setSpec(new WireGuardPeerSetSpec("prod", new ArrayList<>()));
    return s;
  }

  final List<List<String>> delivered = new CopyOnWriteArrayList<>();

  ResourceWatch<WireGuardPeerSet> watch(ScriptedApi api) {
    ResourceWatch<WireGuardPeerSet> w = ResourceWatch.peerSets(api, "prod", Duration.ofMinutes(5),
        sets -> delivered.add(sets.stream().map(s -> s.getMetadata().getName()).toList()));
    w.start();
    return w;
  }

  @Test
  void goneOnOpeningOrDuringTheWatchListsAgainAndDropsWhatIsNoLongerThere() {
    ScriptedApi api = new ScriptedApi();
    api.sets.add(set("prod-peers-0", "5"));
    api.sets.add(set("prod-peers-1", "6"));
    api.failNextWatch.set(new KubeApiException(410, "watch: 410 Gone: too old resource version"));
    try (ResourceWatch<WireGuardPeerSet> w = watch(api)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> api.listener.get() != null);
      assertEquals(2, api.lists.get(), "listed again at once after the 410");
      assertEquals(List.of("prod-peers-0", "prod-peers-1"), delivered.get(delivered.size() - 1));
      assertTrue(w.isWatching());

      api.listener.get().onEvent("ADDED", set("prod-peers-2", "11"));
      await().atMost(Duration.ofSeconds(5)).until(() -> List.of("prod-peers-0", "prod-peers-1", "prod-peers-2").equals(delivered.get(delivered.size() - 1)));
      int listsBefore = api.lists.get();
      api.sets.clear();
      KubeApi.WatchListener<WireGuardPeerSet> open = api.listener.getAndSet(null);
      open.onClose(new KubeApiException(410, "watch: 410 Gone: too old resource version")); // an ERROR event of the open watch
      await().atMost(Duration.ofSeconds(5)).until(() -> api.lists.get() > listsBefore && api.listener.get() != null);
      assertEquals(List.of(), delivered.get(delivered.size() - 1), "everything was deleted meanwhile: " + delivered);
      assertTrue(delivered.size() <= 5, "no relisting in a loop: " + delivered.size());
    }
  }

  @Test
  void aRefusedListIsRetriedAndNothingIsDeliveredUntilOneSucceeds() throws Exception {
    ScriptedApi api = new ScriptedApi();
    api.sets.add(set("prod-peers-0", "5"));
    api.listFails.set(new KubeApiException(403, "GET /apis/wgmesh.dev/v1alpha1/wireguardpeersets: 403 Forbidden"));
    try (ResourceWatch<WireGuardPeerSet> w = watch(api)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> api.lists.get() >= 2);
      assertEquals(List.of(), delivered);
      assertTrue(!w.hasSynced());
      api.listFails.set(null);
      await().atMost(Duration.ofSeconds(10)).until(() -> !delivered.isEmpty());
      assertEquals(List.of(List.of("prod-peers-0")), delivered);
      assertTrue(w.hasSynced());
    }
  }

  /** A watch that is gone as soon as it opens is no healthy watch: the lists back off instead of coming every 0.5 s. */
  @Test
  void watchesThatAreGoneAsSoonAsTheyOpenAreListedAgainWithABackoff() throws Exception {
    ScriptedApi api = new ScriptedApi();
    api.sets.add(set("prod-peers-0", "5"));
    api.goneOnOpen = true;
    try (ResourceWatch<WireGuardPeerSet> w = watch(api)) {
      Thread.sleep(6_000);
      // Backing off 0.5, 1, 2, 4 s after the second 410: at most 5 lists in 6 s; every 0.5 s would be 12.
      assertTrue(api.lists.get() <= 5, "lists in 6 s: " + api.lists.get());
      assertTrue(api.lists.get() >= 2, "listed again after the first 410: " + api.lists.get());
    }
  }
}
