package dev.wgmesh.core.cli;

import dev.wgmesh.core.util.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts option values such as "500ms", "10s", "3m" or ISO "PT3M" to durations. Text that is no
 * duration is a {@link TypeConversionException}: picocli reports it as a usage error that names
 * the option, not as a failure of the command.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
