package dev.wgmesh.registry.dns;

/** Told about every query the processor handles; the metrics implement it. Must be cheap. */
public interface QueryObserver {
  QueryObserver NONE = new QueryObserver() {
    @Override
    public void answered(int qtype, int rcode, Transport transport) {}

    @Override
    public void dropped(Transport transport) {}
  };

  enum Transport {
    UDP,
    TCP
  }

  void answered(int qtype, int rcode, Transport transport);

  /** A packet that got no answer: shorter than a DNS header, or itself a response. */
  void dropped(Transport transport);
}
