package dev.wgmesh.testapiserver;

/** A request the test API server refused the way a real one would (401, 403, 415, 422, ...). */
public record Rejection(int code, String user, String method, String path, String message) {
  @Override
  public String toString() {
    return code + " " + method + " " + path + " as " + user + ": " + message;
  }
}
