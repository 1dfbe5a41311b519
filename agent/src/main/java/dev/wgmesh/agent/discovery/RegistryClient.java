package dev.wgmesh.agent.discovery;

import dev.wgmesh.core.dnssd.HostCandidates;
import dev.wgmesh.core.key.WireGuardKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Asks the registry for peers' endpoints over DNS. dnsjava's resolver uses a connected UDP socket
 * (answers from another source are never read), checks the message ID, and retries over TCP when
 * an answer comes back truncated; {@link RegistryAnswers} validates the content.
 */
public final class RegistryClient implements RegistryQueries {
  private final SimpleResolver resolver;
  private final String zone;

  public RegistryClient(InetSocketAddress registry, String zone, Duration timeout) {
    this.resolver = new SimpleResolver(registry);
    this.resolver.setTimeout(timeout);
    // EDNS, so that the answer has room for the peer's host candidates (without it, 512 bytes).
    this.resolver.setEDNS(0, 1232, 0, java.util.List.of());
    this.zone = zone;
  }

  /**
   * Tells the registry this node's host candidates (a DNS UPDATE through the tunnel, which
   * authenticates the sender); empty when it took them, else why not.
   */
  @Override
  public Optional<String> report(WireGuardKey self, List<InetSocketAddress> candidates) {
    try {
      Message answer = resolver.send(HostCandidates.update(self, zone, candidates));
      return answer.getRcode() == Rcode.NOERROR ? Optional.empty() : Optional.of("registry answered " + Rcode.string(answer.getRcode()));
    } catch (IOException e) {
      return Optional.of("registry unreachable: " + e.getMessage());
    } catch (RuntimeException e) {
      return Optional.of("unreadable answer: " + e);
    }
  }

  @Override
  public Lookup lookup(WireGuardKey key) {
    try {
      Name question = RegistryAnswers.instanceName(key, zone);
      Message response = resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(question, Type.SRV, DClass.IN)));
      RegistryAnswers.SrvResult srv = RegistryAnswers.readSrv(key, zone, response);
      if (srv instanceof RegistryAnswers.SrvResult.Complete complete) {
        return new Lookup.Found(complete.endpoint(), complete.hostCandidates());
      }
      if (srv instanceof RegistryAnswers.SrvResult.Done done) {
        return done.lookup();
      }
      RegistryAnswers.SrvResult.NeedsAddress needs = (RegistryAnswers.SrvResult.NeedsAddress) srv;
      Lookup lookup = new Lookup.NotFound();
      for (int type : new int[] {Type.A, Type.AAAA}) {
        Message answer = resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(needs.target(), type, DClass.IN)));
        lookup = RegistryAnswers.readAddress(needs.target(), type, needs.port(), answer);
        if (!(lookup instanceof Lookup.NotFound)) {
          return lookup;
        }
      }
      return lookup;
    } catch (IOException e) {
      return Lookup.Failed.unreachable("registry unreachable: " + e.getMessage());
    } catch (RuntimeException e) {
      // dnsjava may throw on a hostile message; it is one failed lookup, never a crashed agent.
      return new Lookup.Failed("unreadable answer: " + e);
    }
  }
}
