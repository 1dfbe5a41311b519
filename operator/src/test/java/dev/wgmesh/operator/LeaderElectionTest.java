package dev.wgmesh.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Two operators with leader election: one reconciles, the other takes over when it stops. */
class LeaderElectionTest {

  @Test
  void oneInstanceLeadsAndAStoppedLeaderIsReplacedWithoutExiting() {
    try (MockCluster cluster = new MockCluster()) {
      MeshOperatorTest.meshWithNodes(cluster, 2);
      AtomicBoolean aExited = new AtomicBoolean();
      AtomicBoolean bExited = new AtomicBoolean();
      OperatorMetrics aMetrics = new OperatorMetrics();
      OperatorMetrics bMetrics = new OperatorMetrics();
      Duration lease = Duration.ofSeconds(3);
      Operator a = cluster.startOperator(MockCluster.settings().withMetrics(aMetrics)
          .withLeaderElection("wgmesh-operator", "a", lease).withOnLostLeadership(() -> aExited.set(true)));
      Operator b = cluster.startOperator(MockCluster.settings().withMetrics(bMetrics)
          .withLeaderElection("wgmesh-operator", "b", lease).withOnLostLeadership(() -> bExited.set(true)));

      MeshOperatorTest.awaitMeshOf(cluster, "n1", "n2");
      Lease held = await().atMost(MeshOperatorTest.TIMEOUT).until(
          () -> cluster.client.resources(Lease.class).inNamespace(MockCluster.NAMESPACE).withName("wgmesh-operator").get(),
          l -> l != null && l.getSpec().getHolderIdentity() != null);
      boolean aLeads = held.getSpec().getHolderIdentity().equals("a");
      OperatorMetrics leaderMetrics = aLeads ? aMetrics : bMetrics;
      OperatorMetrics standbyMetrics = aLeads ? bMetrics : aMetrics;
      await().atMost(MeshOperatorTest.TIMEOUT).until(() -> leaderMetrics.scrape().contains("wgmesh_operator_leader 1.0"));
      assertEquals(0, MeshOperatorTest.reconciles(standbyMetrics), "the standby does not reconcile");
      assertNotNull(standbyMetrics.scrape());

      // A graceful stop ends leadership without the exit meant for a lost lease.
      Operator leader = aLeads ? a : b;
      leader.stop();
      cluster.operators.remove(leader);
      assertFalse(aExited.get() || bExited.get(), "no exit on stop()");

      String successor = aLeads ? "b" : "a";
      await().atMost(MeshOperatorTest.TIMEOUT).until(() -> successor.equals(
          cluster.client.resources(Lease.class).inNamespace(MockCluster.NAMESPACE).withName("wgmesh-operator").get()
              .getSpec().getHolderIdentity()));
      MeshOperatorTest.addNode(cluster, 3);
      MeshOperatorTest.awaitMeshOf(cluster, "n1", "n2", "n3");
      assertFalse(aExited.get() || bExited.get());
    }
  }
}
