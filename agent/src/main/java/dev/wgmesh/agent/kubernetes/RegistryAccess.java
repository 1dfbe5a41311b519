package dev.wgmesh.agent.kubernetes;

import java.net.InetAddress;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where and how the discovery loop talks to the registry, from a node configuration's registry
 * peer and discovery settings. A change of any of these restarts discovery.
 *
 * @param ownAddress this node's tunnel address of the registry's family (the relay's source)
 * @param listenPort the interface's port, when the configuration fixes it
 */
public record RegistryAccess(
    InetAddress registryAddress, int dnsPort, String zone, int relayPort, boolean relay,
    Optional<InetAddress> ownAddress, OptionalInt listenPort) {}
