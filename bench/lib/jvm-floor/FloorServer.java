import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** bench/jvm-floor's server: {@code FloorServer <keystore.p12> <password>}: plain HTTP and HTTPS on
 * free loopback ports, printed as {@code ports <http> <https>}; answers every GET with an empty List. */
public final class FloorServer {
  public static void main(String[] a) throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    HttpServer plain = HttpServer.create(new InetSocketAddress(lo, 0), 16);
    plain.createContext("/", FloorServer::answer);
    plain.start();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(a[0])) {
      ks.load(in, a[1].toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, a[1].toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer tls = HttpsServer.create(new InetSocketAddress(lo, 0), 16);
    tls.setHttpsConfigurator(new HttpsConfigurator(ssl));
    tls.createContext("/", FloorServer::answer);
    tls.start();
    System.out.println("ports " + plain.getAddress().getPort() + " " + tls.getAddress().getPort());
    System.out.flush();
  }

  private static void answer(HttpExchange x) throws java.io.IOException {
    byte[] body = "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[]}"
        .getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(200, body.length);
    x.getResponseBody().write(body);
    x.close();
  }
}
