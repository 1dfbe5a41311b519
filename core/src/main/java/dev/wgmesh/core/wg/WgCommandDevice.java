package dev.wgmesh.core.wg;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A WireGuard device driven with the {@code wg} tool: the way to reach the kernel module, which
 * has no UAPI socket. Reads with {@code wg show <iface> dump}, changes with {@code wg set}.
 *
 * <p>An optional command prefix (for example {@code ip netns exec NS}) runs the tool elsewhere,
 * such as against a device in another network namespace.
 *
 * <p>{@code wg set} has no equivalent of UAPI's {@code replace_peers} or {@code update_only}, so
 * those read the device first; that is not atomic, unlike a UAPI set.
 */
public final class WgCommandDevice implements WireGuardDevice {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String name;
  private final List<String> commandPrefix;

  public WgCommandDevice(String name) {
    this(name, List.of());
  }

  public WgCommandDevice(String name, List<String> commandPrefix) {
    this.name = WireGuardDevices.requireValidName(name);
    this.commandPrefix = List.copyOf(commandPrefix);
  }

  /** The device {@code name} inside network namespace {@code namespace}, via {@code ip netns exec}. */
  public static WgCommandDevice inNamespace(String name, String namespace) {
    return new WgCommandDevice(name, List.of("ip", "netns", "exec", namespace));
  }

  @Override
  public String name() {
    return name;
  }

  List<String> commandPrefix() {
    return commandPrefix;
  }

  @Override
  public DeviceState read() throws IOException {
    String what = "wg show " + name + " dump";
    CommandRunner.Result result = CommandRunner.run(command("show", name, "dump"), what, TIMEOUT);
    if (!result.succeeded()) {
      if (meansNoDevice(result)) {
        throw new DeviceNotFoundException(name, "no WireGuard device named '" + name + "': `" + what
            + "` failed: " + describeFailure(result));
      }
      throw new IOException("`" + what + "` failed: " + result.failure());
    }
    return WgDump.parse(name, result.stdout());
  }

  /**
   * "No such device" where the kernel has WireGuard; "Protocol not supported" where it has not
   * (the netlink family is missing) and there is no UAPI socket either.
   */
  static boolean meansNoDevice(CommandRunner.Result result) {
    return result.stderr().contains("No such device") || result.stderr().contains("Protocol not supported");
  }

  static String describeFailure(CommandRunner.Result result) {
    return result.failure() + (result.stderr().contains("Protocol not supported")
        ? " (this kernel has no WireGuard module, so only userspace devices such as wireguard-go exist)"
        : "");
  }

  @Override
  public void apply(DeviceChange change) throws IOException {
    Optional<Set<WireGuardKey>> existingPeers = needsExistingPeers(change)
        ? Optional.of(read().peers().stream().map(PeerState::publicKey).collect(Collectors.toSet()))
        : Optional.empty();
    Path keyFile = null;
    try {
      if (change.privateKey().isPresent()) {
        keyFile = writeKeyFile(change.privateKey().get());
      }
      List<String> arguments = setArguments(change, Optional.ofNullable(keyFile), existingPeers);
      if (arguments.isEmpty()) {
        return; // e.g. only update_only changes of peers that do not exist
      }
      List<String> args = new ArrayList<>(List.of("set", name));
      args.addAll(arguments);
      String what = "wg set " + name;
      CommandRunner.Result result = CommandRunner.run(command(args.toArray(String[]::new)), what, TIMEOUT);
      if (!result.succeeded()) {
        throw new IOException("`" + what + "` failed: " + result.failure());
      }
    } finally {
      if (keyFile != null) {
        Files.deleteIfExists(keyFile);
      }
    }
  }

  /**
   * The arguments after {@code wg set <iface>} for a change. Pure, for tests.
   *
   * @param privateKeyFile where the private key was written; keys never go on a command line
   * @param existingPeers the device's peers, needed when the change replaces peers or updates only
   */
  static List<String> setArguments(
      DeviceChange change, Optional<Path> privateKeyFile, Optional<Set<WireGuardKey>> existingPeers) {
    if (change.privateKey().isPresent() != privateKeyFile.isPresent()) {
      throw new IllegalArgumentException("a private key change needs exactly one key file");
    }
    if (needsExistingPeers(change) && existingPeers.isEmpty()) {
      throw new IllegalArgumentException("replace_peers and update_only need the device's current peers");
    }
    List<String> args = new ArrayList<>();
    change.listenPort()
        .ifPresent(port -> args.addAll(List.of("listen-port", UapiProtocol.inRange("listen port", port, 0, 65535))));
    privateKeyFile.ifPresent(file -> args.addAll(List.of("private-key", file.toString())));
    if (change.replacePeers()) {
      Set<WireGuardKey> kept = change.peers().stream().map(PeerChange::publicKey).collect(Collectors.toSet());
      existingPeers.get().stream()
          .filter(key -> !kept.contains(key))
          .forEach(key -> args.addAll(List.of("peer", key.toBase64(), "remove")));
    }
    for (PeerChange peer : change.peers()) {
      boolean absent = existingPeers.map(keys -> !keys.contains(peer.publicKey())).orElse(false);
      if (peer.remove()) {
        args.addAll(List.of("peer", peer.publicKey().toBase64(), "remove"));
      } else if (!(peer.updateOnly() && absent)) {
        args.addAll(peerArguments(peer));
      }
    }
    return args;
  }

  private static List<String> peerArguments(PeerChange peer) {
    List<String> args = new ArrayList<>(List.of("peer", peer.publicKey().toBase64()));
    peer.endpoint().ifPresent(endpoint -> args.addAll(List.of("endpoint", UapiProtocol.endpointText(endpoint))));
    peer.persistentKeepalive().ifPresent(seconds -> args.addAll(
        List.of("persistent-keepalive", UapiProtocol.inRange("keepalive", seconds, 0, 65535))));
    peer.allowedIps().ifPresent(prefixes -> args.addAll(List.of("allowed-ips",
        prefixes.stream().map(IpPrefix::toString).collect(Collectors.joining(",")))));
    return args;
  }

  private static boolean needsExistingPeers(DeviceChange change) {
    return change.replacePeers() || change.peers().stream().anyMatch(p -> p.updateOnly() && !p.remove());
  }

  /** Owner-only from creation (no window where it is readable by others); the caller deletes it. */
  private static Path writeKeyFile(WireGuardKey privateKey) throws IOException {
    Path file = Files.createTempFile("wgmesh-key-", ".tmp", PosixFilePermissions.asFileAttribute(
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
    try {
      Files.write(file, (privateKey.toBase64() + "\n").getBytes(US_ASCII));
      return file;
    } catch (IOException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>(commandPrefix);
    command.add("wg");
    command.addAll(List.of(args));
    return command;
  }
}
