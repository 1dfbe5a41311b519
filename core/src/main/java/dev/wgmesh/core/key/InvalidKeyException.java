package dev.wgmesh.core.key;

/** A WireGuard key in the wrong format; the message says what is wrong, never the key itself. */
public class InvalidKeyException extends IllegalArgumentException {
  public InvalidKeyException(String message) {
    super(message);
  }
}
