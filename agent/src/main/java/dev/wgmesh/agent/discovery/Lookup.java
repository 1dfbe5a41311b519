package dev.wgmesh.agent.discovery;

import java.net.InetSocketAddress;
import java.util.List;

/** The outcome of asking the registry for one peer's endpoint. */
public sealed interface Lookup {
  /**
   * The registry answered with the mapping it observes and the host candidates the peer reported,
   * validated against the key asked for.
   */
  record Found(InetSocketAddress endpoint, List<InetSocketAddress> hostCandidates) implements Lookup {
    public Found {
      hostCandidates = List.copyOf(hostCandidates);
    }

    public Found(InetSocketAddress endpoint) {
      this(endpoint, List.of());
    }
  }

  /** The registry answered and has no (fresh) record of the peer. */
  record NotFound() implements Lookup {}

  /**
   * No usable answer: an answer that failed validation, or ({@code unreachable}) no answer at all:
   * the registry did not answer through the tunnel in time.
   */
  record Failed(String reason, boolean unreachable) implements Lookup {
    public Failed(String reason) {
      this(reason, false);
    }

    public static Failed unreachable(String reason) {
      return new Failed(reason, true);
    }
  }
}
