package dev.wgmesh.lab;

import java.util.List;

/**
 * Run in a child JVM by {@link LabCrashTest}: builds a small lab, prints its id and the
 * wireguard-go pid, then exits without closing the lab ({@code exit}) or waits to be killed ({@code hang}).
 */
public final class LabCrashFixture {
  private LabCrashFixture() {}

  public static void main(String[] args) throws InterruptedException {
    Lab lab = Lab.create("crash-" + args[0]);
    Host p = lab.publicHost("p");
    Host a = lab.natHost("a", NatKind.CONE);
    WgInterface wg = a.wireguard("wg0", "10.94.0.2/24", 0);
    p.spawn("sleep", List.of("sleep", "600"));
    System.out.println("LAB " + lab.id() + " " + wg.process().pid());
    System.out.flush();
    if (args[0].equals("exit")) {
      System.exit(0);
    }
    Thread.sleep(600_000);
  }
}
