package dev.wgmesh.operator;

import dev.wgmesh.api.v1alpha1.Condition;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Conditions as Kubernetes keeps them: a transition time that moves only when the status does. */
final class StatusConditions {
  private StatusConditions() {}

  /**
   * The desired conditions, each with the previous transition time when its status did not change,
   * else {@code now}; and the generation they describe. The result equals {@code previous} when
   * nothing changed, which is what lets the reconciler skip the write.
   */
  static List<Condition> merge(List<Condition> previous, List<Condition> desired, Instant now, Long generation) {
    Map<String, Condition> before = new HashMap<>();
    if (previous != null) {
      previous.forEach(c -> before.put(c.getType(), c));
    }
    List<Condition> merged = new ArrayList<>();
    for (Condition wanted : desired) {
      Condition old = before.get(wanted.getType());
      Condition c = new Condition(wanted.getType(), wanted.getStatus(), wanted.getReason(), wanted.getMessage());
      c.setObservedGeneration(generation);
      boolean unchanged = old != null && Objects.equals(old.getStatus(), wanted.getStatus()) && old.getLastTransitionTime() != null;
      c.setLastTransitionTime(unchanged ? old.getLastTransitionTime() : timestamp(now));
      merged.add(c);
    }
    return merged;
  }

  static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(Condition::isTrue).orElse(false);
  }

  /** RFC 3339 in seconds, as the API server writes metav1.Time. */
  static String timestamp(Instant now) {
    return DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
  }
}
