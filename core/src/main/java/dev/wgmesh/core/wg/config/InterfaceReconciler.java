package dev.wgmesh.core.wg.config;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.net.IpPrefix;
import dev.wgmesh.core.wg.DeviceChange;
import dev.wgmesh.core.wg.DeviceState;
import dev.wgmesh.core.wg.PeerChange;
import dev.wgmesh.core.wg.UapiDevice;
import dev.wgmesh.core.wg.WgCommandDevice;
import dev.wgmesh.core.wg.WireGuardDevice;
import dev.wgmesh.core.wg.WireGuardDevices;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one WireGuard interface to an {@link InterfaceConfig}, idempotently: creates it when it
 * is missing (the kernel module when the kernel has it, else {@code wireguard-go -f} as a child),
 * then sets the private key, port and peers ({@link DeviceReconciliation}), the MTU, addresses and
 * link state ({@link LinkPlan}) and the routes ({@link RoutePlan}). The planning is pure; this class
 * only reads, carries out and reports. It never resets an endpoint that discovery set.
 *
 * <p>Not thread-safe: one caller (the agent's or registry's loop) applies configurations.
 */
public final class InterfaceReconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InterfaceReconciler.class);

  /** Starts a userspace WireGuard implementation for an interface; closing the handle stops it. */
  @FunctionalInterface
  public interface Userspace {
    AutoCloseable start(String iface) throws IOException;
  }

  /** Opens the WireGuard device of an interface. */
  @FunctionalInterface
  public interface DeviceOpener {
    /** @param how how the interface was created, or {@link Kind#EXISTING} when it was found */
    WireGuardDevice open(String iface, Kind how) throws IOException;
  }

  /** Resolves the host part of a static endpoint that names a host. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress resolve(String host) throws UnknownHostException;
  }

  public enum Kind { KERNEL, USERSPACE, EXISTING }

  /**
   * What one apply did.
   *
   * @param created how the interface was created, empty when it existed
   * @param warnings what could not be applied without failing the rest (an unresolvable endpoint)
   */
  public record Result(Optional<Kind> created, boolean deviceChanged, LinkPlan.Change link, RoutePlan.Change routes,
      List<String> warnings) {
    public boolean changedAnything() {
      return created.isPresent() || deviceChanged || !link.isEmpty() || !routes.isEmpty();
    }
  }

  private final String iface;
  private final LinkManager links;
  private final Userspace userspace;
  private final DeviceOpener opener;
  private final Resolver resolver;
  private final Clock clock;
  private final StableDevice device;
  private volatile WireGuardDevice current;
  private AutoCloseable userspaceHandle;
  private Optional<InterfaceConfig> lastApplied = Optional.empty();

  public InterfaceReconciler(String iface, LinkManager links, Userspace userspace, DeviceOpener opener, Resolver resolver, Clock clock) {
    this.iface = WireGuardDevices.requireValidName(iface);
    this.links = links;
    this.userspace = userspace;
    this.opener = opener;
    this.resolver = resolver;
    this.clock = clock;
    this.device = new StableDevice();
  }

  /** The real parts: {@code ip}, {@code wireguard-go}, UAPI or {@code wg}, the system resolver. */
  public static InterfaceReconciler onHost(String iface) {
    return onHost(iface, List.of());
  }

  /** As {@link #onHost(String)} with every command behind {@code commandPrefix} (a network namespace). */
  public static InterfaceReconciler onHost(String iface, List<String> commandPrefix) {
    return new InterfaceReconciler(iface, new IpLinkManager(commandPrefix), name -> WireGuardGo.start(name, commandPrefix),
        (name, how) -> switch (how) {
          case KERNEL -> new WgCommandDevice(name, commandPrefix);
          case USERSPACE -> UapiDevice.forInterface(name);
          case EXISTING -> WireGuardDevices.open(name, commandPrefix);
        },
        InetAddress::getByName, Clock.systemUTC());
  }

  public String iface() {
    return iface;
  }

  /**
   * The interface's device, stable across re-creations (a crashed wireguard-go started again): the
   * discovery loop keeps one reference. Reads fail until the first apply created or found it.
   */
  public WireGuardDevice device() {
    return device;
  }

  /**
   * The device object of the interface as it is now (a {@link UapiDevice} or {@link WgCommandDevice}
   * on the host), empty before the first apply. Unlike {@link #device()} it is replaced when the
   * interface is created again; users that look at the device's kind (the agent checks for
   * preshared keys through it) take this one and start over when it changes.
   */
  public Optional<WireGuardDevice> currentDevice() {
    return Optional.ofNullable(current);
  }

  /** The configuration last applied in full, if any. */
  public Optional<InterfaceConfig> lastApplied() {
    return lastApplied;
  }

  /**
   * Applies {@code desired}. Safe to call again and again: with nothing to do it only reads.
   *
   * @throws IOException when the interface cannot be created or a step fails; what was done stays
   */
  public Result apply(WireGuardKey privateKey, InterfaceConfig desired) throws IOException {
    List<String> warnings = new ArrayList<>();
    Optional<Kind> created = ensureInterface();
    InterfaceConfig resolved = resolveEndpoints(desired, warnings);

    DeviceState state = current.read();
    DeviceChange change = DeviceReconciliation.plan(state, privateKey, resolved, lastApplied, clock.instant());
    boolean deviceChanged = !DeviceReconciliation.isEmpty(change);
    if (deviceChanged) {
      current.apply(change);
      logDeviceChange(change, desired);
    }

    LinkState link = links.read(iface).orElseThrow(() -> new IOException("interface " + iface + " disappeared while being configured"));
    LinkPlan.Change linkChange = LinkPlan.plan(link, resolved);
    for (IpPrefix a : linkChange.removeAddresses()) {
      links.removeAddress(iface, a);
      log.info("{}: removed address {}", iface, a);
    }
    if (linkChange.mtu().isPresent()) {
      links.setMtu(iface, linkChange.mtu().getAsInt());
      log.info("{}: MTU {}", iface, linkChange.mtu().getAsInt());
    }
    for (IpPrefix a : linkChange.addAddresses()) {
      links.addAddress(iface, a);
      log.info("{}: address {}", iface, a);
    }
    if (linkChange.bringUp()) {
      links.setUp(iface);
      log.info("{}: up", iface);
    }

    RoutePlan.Change routes = RoutePlan.plan(links.routes(iface), resolved);
    for (IpPrefix p : routes.delete()) {
      links.deleteRoute(iface, p);
      log.info("{}: removed route {}", iface, p);
    }
    for (IpPrefix p : routes.replace()) {
      links.replaceRoute(iface, p);
      log.info("{}: route {}", iface, p);
    }
    lastApplied = Optional.of(desired);
    return new Result(created, deviceChanged, linkChange, routes, List.copyOf(warnings));
  }

  /** Finds or creates the interface; after a crash of our wireguard-go, starts it again. */
  private Optional<Kind> ensureInterface() throws IOException {
    if (links.read(iface).isPresent()) {
      if (current == null) {
        current = opener.open(iface, Kind.EXISTING);
        log.info("{}: using the existing WireGuard interface", iface);
      }
      return Optional.empty();
    }
    if (current != null) {
      log.warn("{}: the interface is gone; creating it again", iface);
    }
    closeUserspace();
    lastApplied = Optional.empty(); // a new interface knows nothing of what was applied
    Kind kind;
    try {
      links.addKernelWireGuard(iface);
      kind = Kind.KERNEL;
      log.info("{}: created with the kernel's WireGuard", iface);
    } catch (IOException kernelFailure) {
      log.info("{}: no kernel WireGuard ({}); starting wireguard-go", iface, kernelFailure.getMessage());
      try {
        userspaceHandle = userspace.start(iface);
        kind = Kind.USERSPACE;
      } catch (IOException userspaceFailure) {
        throw new IOException("cannot create WireGuard interface " + iface + ": kernel: " + kernelFailure.getMessage()
            + "; wireguard-go: " + userspaceFailure.getMessage(), userspaceFailure);
      }
    }
    current = opener.open(iface, kind);
    return Optional.of(kind);
  }

  private InterfaceConfig resolveEndpoints(InterfaceConfig desired, List<String> warnings) {
    List<PeerConfig> peers = new ArrayList<>();
    for (PeerConfig peer : desired.peers()) {
      Optional<InetSocketAddress> ep = peer.endpoint();
      if (ep.isPresent() && ep.get().isUnresolved()) {
        try {
          ep = Optional.of(new InetSocketAddress(resolver.resolve(ep.get().getHostString()), ep.get().getPort()));
        } catch (UnknownHostException | RuntimeException e) {
          warnings.add("peer " + peer.name() + ": cannot resolve endpoint " + Endpoints.format(ep.get()) + ": " + e.getMessage());
          ep = Optional.empty();
        }
        peer = peer.withEndpoint(ep);
      }
      peers.add(peer);
    }
    return desired.withPeers(peers);
  }

  private void logDeviceChange(DeviceChange change, InterfaceConfig desired) {
    if (change.privateKey().isPresent()) {
      log.info("{}: private key set", iface); // never the key itself
    }
    change.listenPort().ifPresent(p -> log.info("{}: listen port {}", iface, p));
    for (PeerChange p : change.peers()) {
      String name = desired.peer(p.publicKey()).map(PeerConfig::name).orElse(p.publicKey().toBase64());
      if (p.remove()) {
        log.info("{}: removed peer {}", iface, p.publicKey().toBase64());
      } else {
        log.info("{}: peer {} ({}){}{}{}", iface, name, p.publicKey().toBase64(),
            p.allowedIps().map(a -> " allowed-ips " + a).orElse(""),
            p.endpoint().map(e -> " endpoint " + Endpoints.format(e)).orElse(""),
            p.persistentKeepalive().isPresent() ? " keepalive " + p.persistentKeepalive().getAsInt() : "");
      }
    }
  }

  /** True while a wireguard-go this reconciler started runs (false for a kernel interface). */
  public boolean runsUserspace() {
    return userspaceHandle instanceof WireGuardGo wg ? wg.isAlive() : userspaceHandle != null;
  }

  private void closeUserspace() {
    if (userspaceHandle != null) {
      try {
        userspaceHandle.close();
      } catch (Exception e) {
        log.warn("{}: cannot stop the userspace WireGuard: {}", iface, e.toString());
      }
      userspaceHandle = null;
    }
  }

  /**
   * Stops a wireguard-go this reconciler started (which removes its interface). A kernel interface
   * stays as it is, with its peers, endpoints and routes: a restarting agent finds it working.
   */
  @Override
  public void close() {
    closeUserspace();
  }

  /** Delegates to the current device, so its users survive a re-creation. */
  private final class StableDevice implements WireGuardDevice {
    @Override
    public String name() {
      return iface;
    }

    @Override
    public DeviceState read() throws IOException {
      WireGuardDevice d = current;
      if (d == null) {
        throw new IOException("interface " + iface + " is not configured yet");
      }
      return d.read();
    }

    @Override
    public void apply(DeviceChange change) throws IOException {
      WireGuardDevice d = current;
      if (d == null) {
        throw new IOException("interface " + iface + " is not configured yet");
      }
      d.apply(change);
    }
  }
}
