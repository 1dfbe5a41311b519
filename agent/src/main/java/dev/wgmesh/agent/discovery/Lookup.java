package dev.wgmesh.agent.discovery;

import java.net.InetSocketAddress;

/** The outcome of asking the registry for one peer's endpoint. */
public sealed interface Lookup {
  /** The registry answered with this endpoint, validated against the key asked for. */
  record Found(InetSocketAddress endpoint) implements Lookup {}

  /** The registry answered and has no (fresh) record of the peer. */
  record NotFound() implements Lookup {}

  /** No usable answer: registry unreachable, timeout, or an answer that failed validation. */
  record Failed(String reason) implements Lookup {}
}
