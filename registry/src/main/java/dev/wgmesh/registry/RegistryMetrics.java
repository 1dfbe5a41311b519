package dev.wgmesh.registry;

import dev.wgmesh.core.metrics.PrometheusMetrics;
import dev.wgmesh.registry.dns.QueryObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The registry's Prometheus metrics, and the HTTP endpoint that serves them. */
public final class RegistryMetrics extends PrometheusMetrics implements QueryObserver {
  private static final int[] COUNTED_TYPES = {Type.A, Type.AAAA, Type.SRV, Type.PTR, Type.TXT, Type.SOA, Type.NS, Type.ANY};

  /** [type slot][rcode][transport], filled on first use: no lookup on the query path after that. */
  private final Counter[][][] queries = new Counter[COUNTED_TYPES.length + 1][16][2];
  private final Counter[] dropped = new Counter[2];
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger withheldStale = new AtomicInteger();
  private final AtomicInteger withheldNoEndpoint = new AtomicInteger();
  private final Counter deviceReadErrors;
  private final Timer deviceReadLatency;

  public RegistryMetrics() {
    registry.gauge("wgmesh_registry_peers_served", served);
    registry.gauge("wgmesh_registry_peers_withheld", io.micrometer.core.instrument.Tags.of("reason", "stale"), withheldStale);
    registry.gauge("wgmesh_registry_peers_withheld", io.micrometer.core.instrument.Tags.of("reason", "no_endpoint"), withheldNoEndpoint);
    deviceReadErrors = Counter.builder("wgmesh_registry_device_read_errors").register(registry);
    deviceReadLatency = Timer.builder("wgmesh_registry_device_read").publishPercentileHistogram().register(registry);
  }

  @Override
  public void answered(int qtype, int rcode, Transport transport) {
    int slot = typeSlot(qtype);
    int r = rcode & 0xF;
    int t = transport.ordinal();
    Counter c = queries[slot][r][t];
    if (c == null) {
      c = Counter.builder("wgmesh_registry_dns_queries")
          .tag("qtype", slot < COUNTED_TYPES.length ? Type.string(COUNTED_TYPES[slot]) : "other")
          .tag("rcode", Rcode.string(r))
          .tag("transport", transport.name().toLowerCase())
          .register(registry);
      queries[slot][r][t] = c;
    }
    c.increment();
  }

  @Override
  public void dropped(Transport transport) {
    int t = transport.ordinal();
    Counter c = dropped[t];
    if (c == null) {
      c = Counter.builder("wgmesh_registry_dns_dropped").tag("transport", transport.name().toLowerCase()).register(registry);
      dropped[t] = c;
    }
    c.increment();
  }

  private static int typeSlot(int qtype) {
    for (int i = 0; i < COUNTED_TYPES.length; i++) {
      if (COUNTED_TYPES[i] == qtype) {
        return i;
      }
    }
    return COUNTED_TYPES.length;
  }

  public void peers(int servedCount, int staleCount, int noEndpointCount) {
    served.set(servedCount);
    withheldStale.set(staleCount);
    withheldNoEndpoint.set(noEndpointCount);
  }

  public void deviceReadError() {
    deviceReadErrors.increment();
  }

  public Timer deviceReadLatency() {
    return deviceReadLatency;
  }

}
