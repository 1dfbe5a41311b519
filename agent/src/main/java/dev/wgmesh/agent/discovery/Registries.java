package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.key.WireGuardKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The mesh's registries as the agent asks them: a peer is looked up at the preferred registry that
 * answers ({@link RegistryHealth}); a registry that does not answer costs one timeout, is marked
 * unreachable, and the next one is asked. A registry that has no record of the peer (it may not
 * have heard from it: each registry serves what it observes itself) hands the question on too.
 */
public final class Registries {
  /** How long a registry may take to answer before it counts as unreachable (once; then the next is asked). */
  public static final java.time.Duration TIMEOUT = java.time.Duration.ofSeconds(1);

  private final List<RegistryTarget> targets;
  private final List<RegistryQueries> queries;
  private final RegistryHealth health;
  private final Consumer<RegistryHealth.Change> onChange;

  /**
   * @param queries one per target, in the same order
   * @param onChange told (on the asking thread) when a registry becomes reachable or unreachable
   */
  public Registries(List<RegistryTarget> targets, List<RegistryQueries> queries, Consumer<RegistryHealth.Change> onChange) {
    if (targets.isEmpty() || targets.size() != queries.size()) {
      throw new IllegalArgumentException("one query client per registry, at least one registry");
    }
    this.targets = List.copyOf(targets);
    this.queries = List.copyOf(queries);
    this.health = new RegistryHealth(targets.size());
    this.onChange = onChange;
  }

  /** DNS clients for the targets, each with the given timeout. */
  public static List<RegistryQueries> dnsClients(List<RegistryTarget> targets, java.time.Duration timeout) {
    return targets.stream().map(t -> (RegistryQueries) new RegistryClient(t.dns(), t.zone(), timeout)).toList();
  }

  public List<RegistryTarget> targets() {
    return targets;
  }

  public RegistryHealth health() {
    return health;
  }

  /** Looks a peer up at the registries that answer, best first, until one has it. */
  public Lookup lookup(WireGuardKey key) {
    Lookup outcome = null;
    for (int i : health.usable()) {
      Lookup answer = lookupAt(i, key);
      if (answer instanceof Lookup.Found) {
        return answer;
      }
      // A registry's answer says more than another's silence.
      if (outcome == null || outcome instanceof Lookup.Failed f && f.unreachable()) {
        outcome = answer;
      }
    }
    return outcome;
  }

  /** Asks registry {@code index} alone (the self-check asks each), keeping its health up to date. */
  public Lookup lookupAt(int index, WireGuardKey key) {
    Lookup answer = queries.get(index).lookup(key);
    if (answer instanceof Lookup.Failed f && f.unreachable()) {
      health.unanswered(index, f.reason()).ifPresent(onChange);
    } else {
      health.answered(index).ifPresent(onChange);
    }
    return answer;
  }

  /** Reports this node's host candidates to registry {@code index}. */
  public Optional<String> report(int index, WireGuardKey self, List<InetSocketAddress> candidates) {
    return queries.get(index).report(self, candidates);
  }
}
