package dev.wgmesh.agent;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.wg.UapiDevice;
import dev.wgmesh.core.wg.UapiProtocol;
import dev.wgmesh.core.wg.WgCommandDevice;
import dev.wgmesh.core.wg.WireGuardDevice;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether a peer may have a preshared key. The device model leaves preshared keys out (they are
 * secrets, and the agent never sets them), so re-creating a peer would silently drop one and break
 * the tunnel for good. The agent re-creates a peer only when this says "no"; any doubt (an
 * unknown kind of device, an error) counts as "maybe". The key itself is never kept or logged.
 */
@FunctionalInterface
interface PresharedKeys {
  Duration TIMEOUT = Duration.ofSeconds(2);

  /** True unless the device positively reports no preshared key for the peer. */
  boolean mayHave(WireGuardKey peer);

  static PresharedKeys of(WireGuardDevice device) {
    if (device instanceof UapiDevice uapi) {
      return peer -> {
        try {
          return uapiMayHave(uapiGet(uapi), peer);
        } catch (IOException | RuntimeException e) {
          return true;
        }
      };
    }
    if (device instanceof WgCommandDevice wg) {
      return peer -> {
        try {
          return wgShowMayHave(wgShowPresharedKeys(wg), peer);
        } catch (IOException | RuntimeException e) {
          return true;
        }
      };
    }
    return peer -> true;
  }

  /** From a UAPI get reply: true unless the peer is listed with an all-zero preshared_key. */
  static boolean uapiMayHave(String reply, WireGuardKey peer) {
    String wanted = peer.toHex();
    boolean inPeer = false;
    for (String line : reply.split("\n")) {
      if (line.startsWith("public_key=")) {
        inPeer = line.substring("public_key=".length()).equalsIgnoreCase(wanted);
      } else if (inPeer && line.startsWith("preshared_key=")) {
        return !line.substring("preshared_key=".length()).chars().allMatch(c -> c == '0');
      }
    }
    return true;
  }

  /** From {@code wg show <iface> preshared-keys}: true unless the peer's line says {@code (none)}. */
  static boolean wgShowMayHave(String output, WireGuardKey peer) {
    String wanted = peer.toBase64();
    for (String line : output.split("\n")) {
      String[] f = line.strip().split("\t");
      if (f.length == 2 && f[0].equals(wanted)) {
        return !f[1].equals("(none)");
      }
    }
    return true;
  }

  private static String uapiGet(UapiDevice device) throws IOException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
      channel.connect(UnixDomainSocketAddress.of(device.socketPath()));
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
      ByteBuffer request = ByteBuffer.wrap(UapiProtocol.GET_REQUEST.getBytes(ISO_8859_1));
      while (request.hasRemaining()) {
        await(selector, deadline);
        channel.write(request);
      }
      key.interestOps(SelectionKey.OP_READ);
      StringBuilder reply = new StringBuilder();
      ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
      while (!UapiProtocol.isCompleteReply(reply)) {
        await(selector, deadline);
        int n = channel.read(buffer);
        if (n < 0) {
          throw new IOException("UAPI socket closed before the reply was complete");
        }
        buffer.flip();
        reply.append(ISO_8859_1.decode(buffer));
        buffer.clear();
      }
      return reply.toString();
    }
  }

  private static void await(Selector selector, long deadline) throws IOException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0 || selector.select(left) == 0 && System.nanoTime() >= deadline) {
      throw new IOException("UAPI get timed out");
    }
    selector.selectedKeys().clear();
  }

  private static String wgShowPresharedKeys(WgCommandDevice device) throws IOException {
    List<String> command = new ArrayList<>(device.commandPrefix());
    command.addAll(List.of("wg", "show", device.name(), "preshared-keys"));
    Process p = new ProcessBuilder(command).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        throw new IOException("wg show preshared-keys failed");
      }
      return new String(out, US_ASCII);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      p.destroyForcibly();
    }
  }
}
