package dev.wgmesh.lab;

import dev.wgmesh.lab.StandaloneMesh.PathKind;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The path changes a wgmesh agent logged for its peers: the agent's own view of how it reaches
 * each peer, from its INFO lines {@code peer <key> (<tunnel ip>): <from> -> <to>: <reason>}, as
 * the product's logging writes them (slf4j-simple with {@code yyyy-MM-dd'T'HH:mm:ss.SSSZ} dates).
 */
public final class AgentPathLog {
  private static final Pattern LINE = Pattern.compile(
      "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4}) \\[INFO\\] \\S+ - peer (\\S+) \\(([^)]*)\\): (\\w+) -> (\\w+): (.*)$",
      Pattern.MULTILINE);
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ", Locale.ROOT);

  /** One logged change: when, from which path to which (labels as the agent writes them), and why. */
  public record Change(Instant at, String peerKey, String peerIp, PathKind from, PathKind to, String reason) {
    /** The line's gist: {@code pending -> lan: <reason>}. */
    @Override
    public String toString() {
      return from.label() + " -> " + to.label() + ": " + reason;
    }
  }

  private AgentPathLog() {}

  /** Every change logged for the peer with tunnel address {@code peerIp}, in order. */
  public static List<Change> changes(String log, String peerIp) {
    List<Change> found = new ArrayList<>();
    Matcher m = LINE.matcher(log);
    while (m.find()) {
      if (!m.group(3).equals(peerIp)) {
        continue;
      }
      Instant at;
      try {
        at = OffsetDateTime.parse(m.group(1), DATE).toInstant();
      } catch (DateTimeParseException e) {
        continue;
      }
      Optional<PathKind> from = kind(m.group(4));
      Optional<PathKind> to = kind(m.group(5));
      if (from.isPresent() && to.isPresent()) {
        found.add(new Change(at, m.group(2), m.group(3), from.get(), to.get(), m.group(6)));
      }
    }
    return found;
  }

  /** The path the agent last logged for the peer ({@link PathKind#PENDING} before any change). */
  public static PathKind current(String log, String peerIp) {
    List<Change> all = changes(log, peerIp);
    return all.isEmpty() ? PathKind.PENDING : all.get(all.size() - 1).to();
  }

  /**
   * When the agent entered the path it is on now: the first change of the trailing run of changes
   * that all lead to it (a change between two modes with the same path label does not count as a
   * new path). Empty before any change.
   */
  public static Optional<Instant> currentSince(String log, String peerIp) {
    List<Change> all = changes(log, peerIp);
    if (all.isEmpty()) {
      return Optional.empty();
    }
    PathKind now = all.get(all.size() - 1).to();
    Instant since = all.get(all.size() - 1).at();
    for (int i = all.size() - 1; i >= 0 && all.get(i).to() == now; i--) {
      since = all.get(i).at();
      if (all.get(i).from() != now) {
        break;
      }
    }
    return Optional.of(since);
  }

  /** {@code pending}, {@code lan}, ... as {@link PathKind}; empty for a label this lab does not know. */
  static Optional<PathKind> kind(String label) {
    for (PathKind k : PathKind.values()) {
      if (k.label().equals(label)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
