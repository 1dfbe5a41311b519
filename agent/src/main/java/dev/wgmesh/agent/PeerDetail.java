package dev.wgmesh.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wgmesh.agent.discovery.PathKind;
import dev.wgmesh.core.key.WireGuardKey;
import dev.wgmesh.core.net.Endpoints;
import dev.wgmesh.core.wg.PeerState;
import java.net.InetAddress;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One peer as the agent sees it, for {@code /peers} on its metrics port ({@code wgmeshctl peers}):
 * the per-peer detail a node config's status leaves out. Public key only, never a private one.
 *
 * @param publicKey the peer's public key (base64)
 * @param address its tunnel address, null when the agent does not know it
 * @param path lan, ipv6, direct, relayed or pending ({@link PathKind})
 * @param endpoint the endpoint WireGuard uses, null when none
 * @param lastHandshake RFC 3339, whole seconds; null when never
 */
public record PeerDetail(String publicKey, String address, String path, String endpoint, String lastHandshake) {
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

  /** Every peer with a path, by tunnel address (then key); what the device last showed of each. */
  public static List<PeerDetail> of(Map<WireGuardKey, PathKind> paths, Map<WireGuardKey, PeerState> seen,
      Map<WireGuardKey, InetAddress> addresses) {
    List<PeerDetail> out = new ArrayList<>();
    paths.forEach((key, path) -> {
      PeerState state = seen.get(key);
      InetAddress address = addresses.get(key);
      out.add(new PeerDetail(key.toBase64(), address == null ? null : address.getHostAddress(), path.label(),
          state == null ? null : state.endpoint().map(Endpoints::format).orElse(null),
          state == null ? null : state.lastHandshake().map(t -> t.truncatedTo(ChronoUnit.SECONDS).toString()).orElse(null)));
    });
    out.sort(Comparator.comparing((PeerDetail d) -> d.address() == null ? "~" : d.address()).thenComparing(PeerDetail::publicKey));
    return out;
  }
}
