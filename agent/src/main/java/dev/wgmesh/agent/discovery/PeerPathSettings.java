package dev.wgmesh.agent.discovery;

import java.time.Duration;

/**
 * Timing of endpoint discovery. Defaults follow WireGuard's own timers: a session is rekeyed every
 * two minutes while traffic flows, so a handshake younger than 180 s means the peer is alive.
 *
 * @param freshness a handshake younger than this marks a working tunnel
 * @param queryInterval how often a discovering peer is looked up while the registry has it
 * @param maxBackoff longest wait between lookups when the registry has no record
 * @param relayAfter how long discovery may try before the peer goes through the relay
 * @param relayEnabled whether the relay fallback is used at all
 * @param probeInterval how often a relayed peer tries the direct path again
 * @param probeWindow how long one direct probe waits for proof before returning to the relay
 * @param stallTimeout data sent but nothing received for this long marks a broken path
 */
public record PeerPathSettings(
    Duration freshness,
    Duration queryInterval,
    Duration maxBackoff,
    Duration relayAfter,
    boolean relayEnabled,
    Duration probeInterval,
    Duration probeWindow,
    Duration stallTimeout) {

  public static PeerPathSettings defaults() {
    return new PeerPathSettings(
        Duration.ofSeconds(180),
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        true,
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        Duration.ofSeconds(5));
  }

  public PeerPathSettings withRelay(boolean enabled) {
    return new PeerPathSettings(freshness, queryInterval, maxBackoff, relayAfter, enabled, probeInterval, probeWindow, stallTimeout);
  }
}
