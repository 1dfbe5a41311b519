package dev.wgmesh.cli.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A cluster without the CRDs answers 404 for wgmesh.dev resources: ctl says what to install. */
@EnableKubernetesMockClient
class CtlCrdMissingTest {
  KubernetesClient client;
  KubernetesMockServer server;

  @Test
  void missingCrdsAreNamed() {
    server.expect().get().withPath("/apis/wgmesh.dev/v1alpha1/wireguardmeshes").andReturn(404, "{}").always();
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true));
      int code = new CommandLine(new CtlCommand(server::createClient)).execute("status");
      assertEquals(1, code);
    } finally {
      System.setErr(old);
    }
    assertTrue(err.toString().contains("the wgmesh CRDs are not installed"), err.toString());
  }
}
