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

  /** No usable answer: registry unreachable, timeout, or an answer that failed validation. */
  record Failed(String reason) implements Lookup {}
}
