package dev.wgmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A status condition in the Kubernetes style (type, status, reason, message, time). Kept as our
 * own small value so the status of all three resources reads the same way.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
  public static final String TRUE = "True";
  public static final String FALSE = "False";

  private String type;
  private String status;
  private String reason;
  private String message;
  private String lastTransitionTime;
  private Long observedGeneration;

  public Condition() {}

  public Condition(String type, String status, String reason, String message) {
    this.type = type;
    this.status = status;
    this.reason = reason;
    this.message = message;
  }

  public String getType() { return type; }
  public void setType(String type) { this.type = type; }
  public String getStatus() { return status; }
  public void setStatus(String status) { this.status = status; }
  public String getReason() { return reason; }
  public void setReason(String reason) { this.reason = reason; }
  public String getMessage() { return message; }
  public void setMessage(String message) { this.message = message; }
  public String getLastTransitionTime() { return lastTransitionTime; }
  public void setLastTransitionTime(String lastTransitionTime) { this.lastTransitionTime = lastTransitionTime; }
  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isTrue() {
    return TRUE.equals(status);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Condition c && java.util.Objects.equals(type, c.type) && java.util.Objects.equals(status, c.status)
        && java.util.Objects.equals(reason, c.reason) && java.util.Objects.equals(message, c.message)
        && java.util.Objects.equals(lastTransitionTime, c.lastTransitionTime)
        && java.util.Objects.equals(observedGeneration, c.observedGeneration);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(type, status, reason, message);
  }

  @Override
  public String toString() {
    return type + "=" + status + (reason == null ? "" : " (" + reason + ": " + message + ")");
  }
}
