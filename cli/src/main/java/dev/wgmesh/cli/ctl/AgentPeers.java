package dev.wgmesh.cli.ctl;

import dev.wgmesh.agent.PeerDetail;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** An agent's {@code /peers} (its metrics port), read over HTTP. */
final class AgentPeers {
  private AgentPeers() {}

  static List<PeerDetail> fetch(String agent, Duration timeout) throws IOException, InterruptedException {
    URI uri = URI.create(agent.replaceAll("/+$", "") + "/peers");
    HttpResponse<String> r;
    try {
      r = HttpClient.newBuilder().connectTimeout(timeout).build()
          .send(HttpRequest.newBuilder(uri).timeout(timeout.plusSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the agent at " + uri + ": " + e.getMessage());
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException(uri + " answered " + r.statusCode() + " (an agent older than /peers?)");
    }
    return PeerDetail.parse(r.body());
  }
}
