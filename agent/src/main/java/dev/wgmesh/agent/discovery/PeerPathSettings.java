package dev.wgmesh.agent.discovery;

import java.time.Duration;

/**
 * Timing of endpoint discovery. Defaults follow WireGuard's own timers where they matter: a
 * session is rekeyed every two minutes while traffic flows, so a handshake younger than 180 s
 * means the peer is alive.
 *
 * @param freshness a handshake younger than this marks a working tunnel
 * @param queryInterval how often a discovering peer is looked up while the registry has it
 * @param maxBackoff longest wait between lookups when the registry has no record
 * @param relayAfter how long discovery may try before the peer goes through the relay (punching
 *     goes on: see probeInterval)
 * @param relayEnabled whether the relay fallback is used at all
 * @param probeInterval how soon a relayed peer first tries the direct path again (at once
 *     whenever the peer's candidates or mapping change)
 * @param retryProbeInterval after a failed probe, the wait for the next one, doubling after each
 *     further failure up to maxProbeInterval
 * @param probeWindow how long the last candidate of a probe waits for proof before the peer
 *     returns to the relay
 * @param stallTimeout data sent but nothing received for this long marks a broken path
 * @param attemptWindow how long each candidate but the last is tried before the next
 * @param followerDelay how long the side that does not lead waits before it initiates a
 *     handshake itself: long enough for the leader's initiation to arrive first where nothing
 *     filters it (two initiations crossing cancel each other), short enough to open its own NAT
 *     while the leader's attempt still runs
 * @param watchInterval how often a relayed peer is looked up, to probe at once when its
 *     candidates or mapping change
 * @param maxProbeInterval the longest wait between probes of a relayed peer
 */
public record PeerPathSettings(
    Duration freshness,
    Duration queryInterval,
    Duration maxBackoff,
    Duration relayAfter,
    boolean relayEnabled,
    Duration probeInterval,
    Duration retryProbeInterval,
    Duration probeWindow,
    Duration stallTimeout,
    Duration attemptWindow,
    Duration followerDelay,
    Duration watchInterval,
    Duration maxProbeInterval) {

  public static PeerPathSettings defaults() {
    return new PeerPathSettings(
        Duration.ofSeconds(180),
        Duration.ofMillis(500),
        Duration.ofSeconds(30),
        Duration.ofMillis(800),
        true,
        Duration.ofSeconds(2),
        Duration.ofSeconds(60),
        Duration.ofMillis(500),
        Duration.ofMillis(1500),
        Duration.ofMillis(500),
        Duration.ofMillis(250),
        Duration.ofSeconds(5),
        Duration.ofMinutes(5));
  }

  public PeerPathSettings withRelay(boolean enabled) {
    return new PeerPathSettings(freshness, queryInterval, maxBackoff, relayAfter, enabled, probeInterval, retryProbeInterval, probeWindow,
        stallTimeout, attemptWindow, followerDelay, watchInterval, maxProbeInterval);
  }
}
