package dev.wgmesh.core.util;

/** Error text for one log line. */
public final class Errors {
  private Errors() {}

  /**
   * The first line of an exception's message, followed by the first line of its cause's when the
   * message does not already hold it (fabric8 puts the reason, such as "Connection refused", in the
   * cause).
   */
  public static String shortMessage(Throwable e) {
    String m = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
    Throwable cause = e.getCause();
    if (cause != null && cause != e && cause.getMessage() != null && !m.contains(cause.getMessage())) {
      m = m + ": " + firstLine(cause.getMessage());
    }
    return m;
  }

  private static String firstLine(String text) {
    int nl = text.indexOf('\n');
    return (nl < 0 ? text : text.substring(0, nl)).strip();
  }
}
