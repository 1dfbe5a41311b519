package dev.wgmesh.core.cli;

import dev.wgmesh.core.net.Endpoints;
import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Converts option values such as "10.0.0.254:53" or "[fd00::1]:53" to socket addresses (no name lookups). */
public final class EndpointConverter implements ITypeConverter<InetSocketAddress> {
  @Override
  public InetSocketAddress convert(String value) {
    try {
      return Endpoints.parse(value);
    } catch (IllegalArgumentException e) {
      String message = String.valueOf(e.getMessage());
      throw new TypeConversionException(message.contains("'" + value + "'") ? message : "'" + value + "': " + message);
    }
  }
}
