package dev.wgmesh.agent.discovery;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * What the WireGuard device says about one peer at one moment.
 *
 * @param endpointIsRelay the endpoint is one of this agent's local relay sockets: WireGuard roams
 *     there by itself when the other side relays, so such a peer is relayed, not direct
 */
public record Observation(
    Optional<Instant> lastHandshake,
    Optional<InetSocketAddress> endpoint,
    boolean endpointIsRelay,
    long rxBytes,
    long txBytes) {}
