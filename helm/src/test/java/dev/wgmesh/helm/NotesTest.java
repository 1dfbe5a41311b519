package dev.wgmesh.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** NOTES.txt tells the user what to run next, and what is still missing. */
class NotesTest {
  @Test
  void notesSayWhatToRunNext() {
    String notes = Chart.notes(Map.of());
    assertTrue(notes.contains("kubectl get wgm,wgpeers,wgnc"), notes);
    assertTrue(notes.contains("wgmeshctl --mesh wgmesh status"), notes);
    assertTrue(notes.contains("mesh.registry.nodeName is empty"), notes);
    assertTrue(notes.contains("kubectl label namespace wgmesh pod-security.kubernetes.io/enforce=privileged"), notes);
  }

  @Test
  void notesWarnAboutLoadBalancersThatRewritePorts() {
    String notes = Chart.notes(Map.of("mesh.registry.exposure", "LoadBalancer", "mesh.registry.endpoint", "203.0.113.10:51820"));
    assertTrue(notes.contains("WITHOUT rewriting source"), notes);
    assertFalse(notes.contains("nodeName is empty"), notes);
    assertFalse(notes.contains("endpoint is empty"), notes);
  }

  @Test
  void notesWithoutAMeshSayHowToMakeOne() {
    String notes = Chart.notes(Map.of("mesh.create", false, "namespace.create", true, "namespace.name", "wgmesh-system"));
    assertTrue(notes.contains("No WireGuardMesh was created"), notes);
    assertTrue(notes.contains("kubectl -n wgmesh-system logs daemonset/wgmesh-agent"), notes);
    assertFalse(notes.contains("kubectl label namespace"), notes);
  }
}
