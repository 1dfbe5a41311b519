package dev.wgmesh.kube.client;

/**
 * A request the API server refused ({@link #code()} is its HTTP status) or that did not reach it
 * ({@link #code()} is 0). The message is one line: the request and what went wrong.
 */
public final class KubeApiException extends RuntimeException {
  private final int code;

  public KubeApiException(int code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public KubeApiException(int code, String message) {
    this(code, message, null);
  }

  /** The HTTP status, 0 when there was no answer. */
  public int code() {
    return code;
  }
}
