package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.WireGuardMesh;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfig;
import dev.wgmesh.api.v1alpha1.WireGuardPeer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Every object of every kind the operator could write to, as JSON, by apiVersion/kind/namespace/name. */
final class AllObjects {
  private AllObjects() {}

  static Map<String, String> dump(KubernetesClient client) {
    Map<String, String> all = new TreeMap<>();
    add(all, client, client.resources(WireGuardMesh.class).list().getItems());
    add(all, client, client.resources(WireGuardPeer.class).list().getItems());
    add(all, client, client.resources(WireGuardNodeConfig.class).list().getItems());
    add(all, client, client.nodes().list().getItems());
    add(all, client, client.apiextensions().v1().customResourceDefinitions().list().getItems());
    add(all, client, client.apps().deployments().inAnyNamespace().list().getItems());
    add(all, client, client.services().inAnyNamespace().list().getItems());
    add(all, client, client.secrets().inAnyNamespace().list().getItems());
    add(all, client, client.configMaps().inAnyNamespace().list().getItems());
    add(all, client, client.serviceAccounts().inAnyNamespace().list().getItems());
    add(all, client, client.pods().inAnyNamespace().list().getItems());
    add(all, client, client.v1().events().inAnyNamespace().list().getItems());
    add(all, client, client.resources(Lease.class).inAnyNamespace().list().getItems());
    return all;
  }

  private static void add(Map<String, String> all, KubernetesClient client, List<? extends HasMetadata> items) {
    for (HasMetadata item : items) {
      String key = item.getApiVersion() + "/" + item.getKind() + "/"
          + (item.getMetadata().getNamespace() == null ? "" : item.getMetadata().getNamespace() + "/") + item.getMetadata().getName();
      all.put(key, client.getKubernetesSerialization().asJson(item));
    }
  }
}
