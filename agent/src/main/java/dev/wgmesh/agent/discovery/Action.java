package dev.wgmesh.agent.discovery;

import java.net.InetSocketAddress;

/** What the discovery state machine asks the agent to do for one peer. */
public sealed interface Action {
  /** Ask the registry for the peer's endpoint; the answer comes back through onLookup. */
  record QueryRegistry() implements Action {}

  /** Point WireGuard at a direct endpoint. */
  record SetEndpoint(InetSocketAddress endpoint) implements Action {}

  /** Point WireGuard at this agent's local relay socket for the peer. */
  record UseRelay() implements Action {}

  /**
   * Re-create the peer on the device with the same AllowedIPs and keepalive and the endpoint this
   * list of actions sets (SetEndpoint, UseRelay; else the current one). WireGuard sends at most one
   * handshake initiation per peer every 5 s (REKEY_TIMEOUT), counting initiations that failed for
   * want of an endpoint, and retries only on that clock; a new peer may initiate at once. Only
   * asked for when the peer has no session that could be lost.
   */
  record RestartPeer() implements Action {}

  /** Send a packet into the tunnel now, so WireGuard sends (and handshakes) at once. */
  record TriggerHandshake() implements Action {}

  /** Tell the other agent, through the relay channel, to punch towards us now. */
  record SignalPunch() implements Action {}
}
