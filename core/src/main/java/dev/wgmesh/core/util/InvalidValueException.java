package dev.wgmesh.core.util;

/**
 * Text that does not parse as the value it should be (a duration, an address). It keeps the text,
 * so that a command line can say which option the text came from.
 */
public class InvalidValueException extends IllegalArgumentException {
  private final String value;

  public InvalidValueException(String value, String message) {
    super(message);
    this.value = value;
  }

  /** The text as it was given. */
  public String value() {
    return value;
  }
}
