package dev.wgmesh.core.util;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type them on a command line: "500ms", "10s", "3m", "1h", or ISO "PT3M". */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Durations() {}

  /** @throws InvalidValueException when the text is no duration */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidValueException(text, "empty duration");
    }
    String t = text.strip();
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw new InvalidValueException(text, "'" + text + "' is not a duration (examples: 500ms, 10s, 3m, 1h)");
    }
  }

  /** Short text for logs: "180s", "1500ms". */
  public static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
