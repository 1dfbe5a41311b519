package dev.wgmesh.registry;

import dev.wgmesh.api.v1alpha1.Patterns;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --zone}: the rule the CRDs give a WireGuardMesh's {@code spec.registry.zone} ({@link
 * Patterns#DNS_ZONE}), so that the registry serves no zone a mesh could not have.
 */
final class ZoneConverter implements ITypeConverter<String> {
  private static final Pattern ZONE = Pattern.compile(Patterns.DNS_ZONE);

  @Override
  public String convert(String value) {
    if (!ZONE.matcher(value).matches()) {
      throw new TypeConversionException("'" + value + "' is not a DNS zone: dot-separated labels of letters, digits and '-', "
          + "no label starting or ending with '-' (e.g. wg.example.com)");
    }
    return value;
  }
}
