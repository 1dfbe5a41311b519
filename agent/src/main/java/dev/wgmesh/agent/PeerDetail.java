package dev.wgmesh.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.wg.PeerState;
import java.net.InetAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One peer as the agent sees it, for {@code /peers} on its metrics port ({@code wgmeshctl peers}):
 * the per-peer detail a node config's status leaves out. Public key only, never a private one.
 *
 * @param publicKey the peer's public key (base64)
 * @param address its tunnel address, null when the agent does not know it
 * @param path lan, ipv6, direct, relayed or pending ({@link PathKind})
 * @param endpoint the endpoint WireGuard uses, null when none
 * @param lastHandshake RFC 3339, whole seconds; null when never
 * @param probing whether the peer, relayed, is trying the direct path right now (its traffic waits
 *     for the probe, up to 500 ms)
 * @param nextProbe when the peer, relayed, next tries the direct path (RFC 3339, whole seconds;
 *     sooner when its candidates change); null while it tries it, and when it is not relayed
 */
public record PeerDetail(String publicKey, String address, String path, String endpoint, String lastHandshake, boolean probing,
    String nextProbe) {
  private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The document {@code /peers} serves. */
  record Document(List<PeerDetail> peers) {}

  /** {@code {"peers": [...]}}. */
  public static String toJson(List<PeerDetail> peers) {
    try {
      return JSON.writeValueAsString(new Document(peers));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @throws IllegalArgumentException when {@code json} is not such a document */
  public static List<PeerDetail> parse(String json) {
    try {
      return JSON.readValue(json, Document.class).peers();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a /peers document: " + e.getOriginalMessage());
    }
  }

  /**
   * A peer's path as its discovery sees it: the kind, and for a relayed peer whether it tries the
   * direct path now or when it tries it next.
   */
  public record Path(PathKind kind, boolean probing, Optional<Instant> nextProbe) {
    /** A path with no probe running or due (any kind but relayed). */
    public static Path of(PathKind kind) {
      return new Path(kind, false, Optional.empty());
    }
  }

  /** Every peer with a path, by tunnel address (then key); what the device last showed of each. */
  public static List<PeerDetail> of(Map<WireGuardKey, Path> paths, Map<WireGuardKey, PeerState> seen,
      Map<WireGuardKey, InetAddress> addresses) {
    List<PeerDetail> out = new ArrayList<>();
    paths.forEach((key, path) -> {
      PeerState state = seen.get(key);
      InetAddress address = addresses.get(key);
      out.add(new PeerDetail(key.toBase64(), address == null ? null : address.getHostAddress(), path.kind().label(),
          state == null ? null : state.endpoint().map(Endpoints::format).orElse(null),
          state == null ? null : state.lastHandshake().map(PeerDetail::rfc3339).orElse(null), path.probing(),
          path.nextProbe().map(PeerDetail::rfc3339).orElse(null)));
    });
    out.sort(Comparator.comparing((PeerDetail d) -> d.address() == null ? "~" : d.address()).thenComparing(PeerDetail::publicKey));
    return out;
  }

  private static String rfc3339(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
