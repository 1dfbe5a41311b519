package dev.wgmesh.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgmesh.agent.HostAddresses.Interface;
import dev.wgmesh.core.net.IpPrefix;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostAddressesTest {
  static List<InetAddress> ips(String... text) {
    return Arrays.stream(text).map(IpPrefix::parseAddress).toList();
  }

  static Interface nif(String name, String... addresses) {
    return new Interface(name, true, false, false, ips(addresses));
  }

  @Test
  void aNodesOwnAddressesIpv4FirstThenGlobalIpv6() {
    List<Interface> all = List.of(
        new Interface("lo", true, true, false, ips("127.0.0.1", "::1")),
        nif("eth0", "2001:db8:200::5", "fe80::1", "10.201.0.2", "fd00::5"),
        nif("ens5", "172.31.4.9"));
    assertEquals(ips("10.201.0.2", "172.31.4.9", "2001:db8:200::5"), HostAddresses.select(all, "wg0"));
  }

  @Test
  void theWireGuardDeviceTunnelsBridgesAndDownInterfacesAreLeftOut() {
    List<Interface> all = List.of(
        nif("wg0", "10.88.0.1"),
        new Interface("wgmesh0", true, false, true, ips("10.88.0.2")),
        nif("docker0", "172.17.0.1"),
        nif("cni0", "10.244.1.1"),
        nif("flannel.1", "10.244.1.0"),
        nif("veth12ab", "169.254.1.1"),
        new Interface("eth1", false, false, false, ips("192.168.7.7")),
        nif("eth0", "192.168.1.20"));
    assertEquals(ips("192.168.1.20"), HostAddresses.select(all, "wg0"));
  }

  @Test
  void atMostEight() {
    String[] many = java.util.stream.IntStream.range(1, 20).mapToObj(i -> "10.0.0." + i).toArray(String[]::new);
    assertEquals(8, HostAddresses.select(List.of(nif("eth0", many)), "wg0").size());
  }

  @Test
  void theNodesAddressesJoinTheInterfacesOnceEachIpv4First() {
    assertEquals(ips("34.120.1.5", "10.0.1.7", "192.168.1.20", "2001:db8:200::5"),
        HostAddresses.withNodeAddresses(ips("34.120.1.5", "10.0.1.7", "fe80::1"), ips("10.0.1.7", "2001:db8:200::5", "192.168.1.20")));
  }
}
