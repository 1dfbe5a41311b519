package dev.wgmesh.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Lookups across several registries: which one is asked, and what a silent one costs. */
class RegistriesTest {
  final WireGuardKey peer = KeyPair.generate().publicKey();
  final InetSocketAddress mapping = new InetSocketAddress("198.51.100.7", 40001);

  /** A registry that answers as told and counts the questions. */
  static final class FakeRegistry implements RegistryQueries {
    volatile Lookup answer;
    final AtomicInteger asked = new AtomicInteger();
    final Map<WireGuardKey, List<InetSocketAddress>> reports = new ConcurrentHashMap<>();

    FakeRegistry(Lookup answer) {
      this.answer = answer;
    }

    @Override
    public Lookup lookup(WireGuardKey key) {
      asked.incrementAndGet();
      return answer;
    }

    @Override
    public Optional<String> report(WireGuardKey self, List<InetSocketAddress> candidates) {
      reports.put(self, candidates);
      return Optional.empty();
    }
  }

  static RegistryTarget target(String ip) throws Exception {
    return new RegistryTarget(null, InetAddress.getByName(ip), 53, 51821, "wgmesh.internal");
  }

  final List<RegistryHealth.Change> changes = new ArrayList<>();

  Registries registries(FakeRegistry... fakes) throws Exception {
    List<RegistryTarget> targets = new ArrayList<>();
    for (int i = 0; i < fakes.length; i++) {
      targets.add(target("10.88.255." + (254 - i)));
    }
    return new Registries(targets, List.of(fakes), changes::add);
  }

  @Test
  void theFirstRegistryThatAnswersIsAskedAndTheOthersAreNot() throws Exception {
    FakeRegistry first = new FakeRegistry(new Lookup.Found(mapping));
    FakeRegistry second = new FakeRegistry(new Lookup.Found(new InetSocketAddress("198.51.100.7", 1)));
    Registries r = registries(first, second);
    assertEquals(new Lookup.Found(mapping), r.lookup(peer));
    assertEquals(0, second.asked.get());
    assertEquals(List.of(), changes, "reachable as presumed: no news");
  }

  @Test
  void aSilentRegistryCostsOneTimeoutThenIsSkippedUntilItAnswersAgain() throws Exception {
    FakeRegistry dead = new FakeRegistry(Lookup.Failed.unreachable("timeout"));
    FakeRegistry alive = new FakeRegistry(new Lookup.Found(mapping));
    Registries r = registries(dead, alive);
    assertEquals(new Lookup.Found(mapping), r.lookup(peer), "the next registry answers");
    assertEquals(new Lookup.Found(mapping), r.lookup(peer));
    assertEquals(new Lookup.Found(mapping), r.lookup(peer));
    assertEquals(1, dead.asked.get(), "asked once, then skipped");
    assertEquals(List.of(new RegistryHealth.Change(0, RegistryHealth.State.UNREACHABLE, "timeout")), changes);
    assertEquals(List.of(1), r.health().usable());

    dead.answer = new Lookup.Found(mapping);
    r.lookupAt(0, peer); // the self-check asks every registry
    assertEquals(RegistryHealth.State.REACHABLE, changes.get(1).to());
    assertEquals(List.of(0, 1), r.health().usable(), "preferred again once it answers");
    r.lookup(peer);
    assertEquals(3, alive.asked.get());
    assertEquals(3, dead.asked.get());
  }

  @Test
  void aRegistryWithoutTheRecordHandsTheQuestionOn() throws Exception {
    FakeRegistry blind = new FakeRegistry(new Lookup.NotFound());
    FakeRegistry seeing = new FakeRegistry(new Lookup.Found(mapping));
    assertEquals(new Lookup.Found(mapping), registries(blind, seeing).lookup(peer));
    assertEquals(List.of(), changes, "an answer without the record is still an answer");
  }

  @Test
  void anAnswerSaysMoreThanSilence() throws Exception {
    FakeRegistry blind = new FakeRegistry(new Lookup.NotFound());
    FakeRegistry dead = new FakeRegistry(Lookup.Failed.unreachable("timeout"));
    assertInstanceOf(Lookup.NotFound.class, registries(dead, blind).lookup(peer));
    changes.clear();
    assertInstanceOf(Lookup.NotFound.class, registries(blind, dead).lookup(peer));
  }

  @Test
  void whenNoRegistryAnswersEveryOneIsTriedAgain() throws Exception {
    FakeRegistry a = new FakeRegistry(Lookup.Failed.unreachable("timeout"));
    FakeRegistry b = new FakeRegistry(Lookup.Failed.unreachable("timeout"));
    Registries r = registries(a, b);
    Lookup.Failed failed = assertInstanceOf(Lookup.Failed.class, r.lookup(peer));
    assertTrue(failed.unreachable());
    assertEquals(List.of(0, 1), r.health().usable(), "none answers: all are worth a try");
    r.lookup(peer);
    assertEquals(2, a.asked.get());
    assertEquals(2, b.asked.get());
  }

  @Test
  void anUnreadableAnswerIsNotAnOutage() throws Exception {
    FakeRegistry odd = new FakeRegistry(new Lookup.Failed("SRV names port 0"));
    Registries r = registries(odd, new FakeRegistry(new Lookup.Found(mapping)));
    r.lookup(peer);
    assertEquals(List.of(0, 1), r.health().usable());
    assertEquals(List.of(), changes);
  }
}
