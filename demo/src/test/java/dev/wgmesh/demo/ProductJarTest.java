package dev.wgmesh.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.lab.ProductJar;
import java.io.IOException;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The product jar (cli/target/wgmesh.jar, which both images ship) holds the product only: no test
 * framework, no mock API server, no NAT lab, no demo, no benchmark. Checked here because this
 * module is built after the product jar exists.
 */
class ProductJarTest {
  /** Class-file prefixes of what only tests, the demo and the benchmarks use. */
  static final List<String> TEST_ONLY = List.of(
      "org/junit/", "org/opentest4j/", "org/awaitility/", "org/assertj/",
      "io/fabric8/kubernetes/client/server/mock/", "io/fabric8/mockwebserver/",
      "dev/wgmesh/lab/", "dev/wgmesh/demo/", "dev/wgmesh/bench/", "dev/wgmesh/testapiserver/",
      "com/marcnuri/helm/", "org/testcontainers/");

  @Test
  void theProductJarHoldsNoTestOnlyCode() throws IOException {
    try (JarFile jar = new JarFile(ProductJar.locate().path().toFile())) {
      TreeSet<String> found = new TreeSet<>();
      jar.stream().map(e -> e.getName()).forEach(name -> TEST_ONLY.stream().filter(name::startsWith).forEach(found::add));
      assertEquals(new TreeSet<>(), found, "test-only code in " + ProductJar.locate().path());
      assertTrue(jar.getEntry("dev/wgmesh/cli/Main.class") != null, "the launcher is there");
      assertTrue(jar.getEntry("dev/wgmesh/agent/AgentCommand.class") != null, "the agent is there");
    }
  }

  @Test
  void theCheckWouldSeeTheDemo() throws IOException {
    // This module's own jar of classes has what the product must not: the check is not vacuous.
    assertTrue(TEST_ONLY.stream().anyMatch(p -> DemoCommand.class.getName().replace('.', '/').startsWith(p)));
  }
}
