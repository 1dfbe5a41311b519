package dev.wgmesh.agent.discovery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Which of the mesh's registries answer through the tunnel, from the outcome of every question
 * asked: an answer makes a registry reachable, a question without an answer (a timeout) makes it
 * unreachable until it answers again. No sockets and no clock: the agent's self-check asks every
 * registry every few seconds, so an unreachable one is tried again without costing a lookup.
 *
 * <p>The order of preference is the configured order among the registries that are not known to
 * be unreachable: every agent of a mesh prefers the same registry while it answers.
 */
public final class RegistryHealth {
  /** What is known of one registry. */
  public enum State {
    /** Nothing asked yet: presumed reachable. */
    UNKNOWN,
    REACHABLE,
    UNREACHABLE
  }

  /** A registry became reachable or unreachable. */
  public record Change(int index, State to, String reason) {}

  private final State[] states;

  public RegistryHealth(int registries) {
    if (registries < 1) {
      throw new IllegalArgumentException("at least one registry");
    }
    states = new State[registries];
    Arrays.fill(states, State.UNKNOWN);
  }

  public int size() {
    return states.length;
  }

  /** Registry {@code index} answered; the change when it was not known reachable. */
  public synchronized Optional<Change> answered(int index) {
    return set(index, State.REACHABLE, "answers");
  }

  /** A question to registry {@code index} went unanswered; the change when it was not known unreachable. */
  public synchronized Optional<Change> unanswered(int index, String reason) {
    return set(index, State.UNREACHABLE, reason);
  }

  private Optional<Change> set(int index, State to, String reason) {
    State from = states[index];
    states[index] = to;
    // UNKNOWN -> REACHABLE is no news: registries are presumed reachable until they fail.
    boolean news = from != to && !(from == State.UNKNOWN && to == State.REACHABLE);
    return news ? Optional.of(new Change(index, to, reason)) : Optional.empty();
  }

  public synchronized State state(int index) {
    return states[index];
  }

  /**
   * The registries to ask, best first: those not known unreachable, in configured order; when every
   * registry is unreachable, all of them in configured order (one may be back).
   */
  public synchronized List<Integer> usable() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < states.length; i++) {
      if (states[i] != State.UNREACHABLE) {
        out.add(i);
      }
    }
    if (out.isEmpty()) {
      for (int i = 0; i < states.length; i++) {
        out.add(i);
      }
    }
    return List.copyOf(out);
  }

  /** The registry to prefer: the first of {@link #usable()}. */
  public int preferred() {
    return usable().get(0);
  }
}
