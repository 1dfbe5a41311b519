import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * bench/jvm-floor's probe: what a JVM costs before any wgmesh class. {@code Probe <client> <url> <ca.pem|-> [json]}:
 * client {@code none} (nothing), {@code url} (one GET with java.base's HttpURLConnection) or {@code http} (one GET with
 * java.net.http.HttpClient, configured as kube's HttpKubeApi configures it); {@code json}: read the answer with a Jackson
 * ObjectMapper (configured as HttpKubeApi's) and write it back. Then it sleeps; the script reads its /proc status.
 */
public final class Probe {
  static volatile Object keep;

  public static void main(String[] a) throws Exception {
    String client = a[0];
    String url = a[1];
    SSLContext ssl = a[2].equals("-") ? null : trusting(Path.of(a[2]));
    boolean json = a.length > 3 && a[3].equals("json");
    byte[] body = "{\"kind\":\"Probe\",\"items\":[]}".getBytes();
    switch (client) {
      case "none" -> { }
      case "url" -> {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        if (c instanceof HttpsURLConnection h) {
          h.setSSLSocketFactory(ssl.getSocketFactory());
        }
        c.setRequestProperty("Accept", "application/json");
        try (InputStream in = c.getInputStream()) {
          body = in.readAllBytes();
        }
        System.out.println("url: " + c.getResponseCode() + ", " + body.length + " bytes");
      }
      case "http" -> {
        // as HttpKubeApi: HTTP/1.1, a TLS context that trusts nobody for plain HTTP, else the CA bundle's
        HttpClient h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ssl != null ? ssl : trustingNobody()).build();
        HttpResponse<byte[]> r = h.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "application/json").build(),
            HttpResponse.BodyHandlers.ofByteArray());
        body = r.body();
        keep = h;
        System.out.println("http: " + r.statusCode() + ", " + body.length + " bytes");
      }
      default -> throw new IllegalArgumentException("client: none, url or http");
    }
    if (json) {
      System.out.println("json: " + Class.forName("JsonPart").getMethod("run", byte[].class).invoke(null, (Object) body));
    }
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  static SSLContext trustingNobody() throws Exception {
    X509TrustManager nobody = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("plain HTTP");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("plain HTTP");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext s = SSLContext.getInstance("TLS");
    s.init(new KeyManager[0], new TrustManager[] {nobody}, null);
    return s;
  }

  /** As HttpKubeApi.trusting: a PEM bundle into a key store, its trust managers. */
  static SSLContext trusting(Path caBundle) throws Exception {
    try (InputStream in = Files.newInputStream(caBundle)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext s = SSLContext.getInstance("TLS");
      s.init(null, tmf.getTrustManagers(), null);
      return s;
    }
  }
}
