package dev.wgmesh.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The patterns, run by two engines at once: Java's, and re2j, a port of the RE2 engine with which
 * the API server matches OpenAPI patterns (Go's regexp, unanchored search); they must agree.
 */
class PatternsTest {
  private static final Both KEY = new Both(Patterns.KEY);
  private static final Both IPV4_ADDRESS = new Both(Patterns.IPV4_ADDRESS);
  private static final Both IPV4_CIDR = new Both(Patterns.IPV4_CIDR);
  private static final Both IPV6_CIDR = new Both(Patterns.IPV6_CIDR);
  private static final Both CIDR = new Both(Patterns.CIDR);
  private static final Both ENDPOINT = new Both(Patterns.ENDPOINT);
  private static final Both ZONE = new Both(Patterns.DNS_ZONE);

  /** A pattern compiled for both engines; {@code matcher(s).matches()} reads as before. */
  private record Both(java.util.regex.Pattern jdk, com.google.re2j.Pattern re2) {
    Both(String regex) {
      this(java.util.regex.Pattern.compile(regex), com.google.re2j.Pattern.compile(regex));
    }

    Match matcher(String text) {
      return new Match(this, text);
    }
  }

  private record Match(Both pattern, String text) {
    boolean matches() {
      boolean j = pattern.jdk().matcher(text).matches();
      boolean r = pattern.re2().matcher(text).find(); // what the API server does with an anchored pattern
      assertEquals(j, r, "Java and RE2 disagree on '" + text + "' for " + pattern.jdk().pattern());
      return j;
    }
  }
  private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  // --- keys

  @Test
  void keyPatternIsTheOneInThePeerSpec() {
    assertEquals(Patterns.KEY, WireGuardPeerSpec.KEY_PATTERN);
  }

  @Test
  void acceptsGeneratedKeys() {
    for (int i = 0; i < 100; i++) {
      KeyPair pair = KeyPair.generate();
      String pub = pair.publicKey().toBase64();
      assertTrue(KEY.matcher(pub).matches(), pub);
      assertTrue(KEY.matcher(pair.privateKey().toBase64()).matches(), "private keys have the same form");
    }
  }

  @Test
  void rejectsBadKeys() {
    String good = KeyPair.generate().publicKey().toBase64();
    assertTrue(KEY.matcher(good).matches());
    List<String> bad = List.of(
        "",
        good.substring(1),                                   // 43 characters
        "A" + good,                                          // 45 characters
        good.substring(0, 43),                               // no '='
        good.substring(0, 43) + "A",                         // data where the padding belongs
        good.substring(0, 42) + "==",                        // 31 bytes
        good.substring(0, 42) + nonCanonical(good.charAt(42)) + "=", // stray bits in the last character
        Base64.getEncoder().encodeToString(new byte[33]),    // 33 bytes
        Base64.getUrlEncoder().encodeToString(new byte[] {-5, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13,
            -14, -15, -16, -17, -18, -19, -20, -21, -22, -23, -24, -25, -26, -27, -28, -29, -30, -4}), // url-safe alphabet
        " " + good.substring(1),
        good + "\n",
        "REPLACE_WITH_LAPTOP_PUBLIC_KEY",
        "not-a-key",
        bytesToHex(new byte[22]));                           // hex, as the UAPI writes keys
    for (String key : bad) {
      assertFalse(KEY.matcher(key).matches(), "'" + key + "'");
    }
  }

  /** Any 44-character string: the pattern accepts it exactly when it is the canonical base64 of 32 bytes. */
  @Test
  void keyPatternMeansCanonicalBase64Of32Bytes() {
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int j = 0; j < 43; j++) {
        s.append(BASE64.charAt(random.nextInt(64)));
      }
      s.append(random.nextInt(8) == 0 ? BASE64.charAt(random.nextInt(64)) : '=');
      String text = s.toString();
      assertEquals(isCanonicalKey(text), KEY.matcher(text).matches(), text);
    }
  }

  private static boolean isCanonicalKey(String text) {
    try {
      byte[] bytes = Base64.getDecoder().decode(text);
      return bytes.length == 32 && Base64.getEncoder().encodeToString(bytes).equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The next base64 character: same high 4 bits, low 2 bits not zero. */
  private static char nonCanonical(char c) {
    return BASE64.charAt(BASE64.indexOf(c) + 1);
  }

  private static String bytesToHex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      s.append(String.format("%02x", b));
    }
    return s.toString();
  }

  // --- IPv4

  @Test
  void ipv4() {
    for (String ok : List.of("0.0.0.0", "10.88.0.254", "192.168.1.1", "255.255.255.255", "1.2.3.4")) {
      assertTrue(IPV4_ADDRESS.matcher(ok).matches(), ok);
    }
    for (String bad : List.of("", "10.88.0", "10.88.0.0.1", "256.1.1.1", "10.88.0.300", "010.0.0.1", "10.88.0.1/32",
        "a.b.c.d", "10.88.0.1 ", "::1", "1.2.3.-4")) {
      assertFalse(IPV4_ADDRESS.matcher(bad).matches(), bad);
    }
  }

  @Test
  void ipv4Cidr() {
    for (String ok : List.of("10.88.0.0/16", "0.0.0.0/0", "192.168.10.0/24", "10.88.0.1/24", "255.255.255.255/32", "100.64.0.0/10")) {
      assertTrue(IPV4_CIDR.matcher(ok).matches(), ok);
      assertTrue(CIDR.matcher(ok).matches(), ok);
    }
    for (String bad : List.of("", "10.88.0.0", "10.88.0.0/", "10.88.0.0/33", "10.88.0.0/016", "10.88.0.0/-1",
        "300.88.0.0/16", "10.88.0/16", "10.88.0.0/16/8", "fd00::/64", "10.88.0.0 /16")) {
      assertFalse(IPV4_CIDR.matcher(bad).matches(), bad);
    }
    for (int i = 0; i <= 255; i++) {
      assertTrue(IPV4_ADDRESS.matcher("10.0.0." + i).matches());
      assertFalse(IPV4_ADDRESS.matcher("10.0.0." + (256 + i)).matches());
    }
    for (int len = 0; len <= 40; len++) {
      assertEquals(len <= 32, IPV4_CIDR.matcher("10.0.0.0/" + len).matches(), "/" + len);
    }
  }

  // --- IPv6

  @Test
  void ipv6Cidr() {
    for (String ok : List.of("fd00:88::/64", "::/0", "::1/128", "2001:db8::/32", "fd00:90::7/64", "2001:db8:0:0:0:0:0:1/128",
        "fe80::1:2:3:4/10", "1:2:3:4:5:6:7::/112", "::2:3:4:5:6:7:8/128", "1::8/64", "FD00:ABCD::/48")) {
      assertTrue(IPV6_CIDR.matcher(ok).matches(), ok);
      assertTrue(CIDR.matcher(ok).matches(), ok);
    }
    for (String bad : List.of("", "fd00:88::", "fd00:88::/129", "fd00:88::/0128", ":::/64", "1:::2/64", "fd00::88::1/64",
        "1:2:3:4:5:6:7:8:9/64", "12345::/64", "fd00:gg::/64", "fe80::1%eth0/64", "::ffff:1.2.3.4/128", "fd00:88:/64",
        ":fd00::/64", "10.88.0.0/16")) {
      assertFalse(IPV6_CIDR.matcher(bad).matches(), bad);
    }
  }

  /** Random address-like text: the pattern agrees with the JDK's IPv6 literal parser (RFC 4291 text forms). */
  @Test
  void ipv6PatternAgreesWithTheJdk() throws UnknownHostException {
    Random random = new Random(7);
    int accepted = 0;
    for (int i = 0; i < 50_000; i++) {
      String text = randomIpv6Like(random);
      boolean jdk = isIpv6Literal(text);
      assertEquals(jdk, IPV6_CIDR.matcher(text + "/64").matches(), text);
      accepted += jdk ? 1 : 0;
    }
    assertTrue(accepted > 5_000, "enough valid samples: " + accepted);
    // and every address the JDK prints is accepted
    for (int i = 0; i < 1000; i++) {
      byte[] bytes = new byte[16];
      random.nextBytes(bytes);
      for (int j = 0; j < 16; j++) {
        if (random.nextInt(3) == 0) {
          bytes[j] = 0;
        }
      }
      String text = InetAddress.getByAddress(bytes).getHostAddress();
      assertTrue(IPV6_CIDR.matcher(text + "/128").matches(), text);
    }
  }

  private static String randomIpv6Like(Random random) {
    int groups = 1 + random.nextInt(9);
    int gap = random.nextInt(3) == 0 ? -1 : random.nextInt(groups + 1);
    StringBuilder s = new StringBuilder();
    for (int g = 0; g < groups; g++) {
      if (g == gap) {
        s.append(g == 0 ? "::" : ":");
      } else if (g > 0) {
        s.append(':');
      }
      int len = 1 + random.nextInt(random.nextInt(10) == 0 ? 5 : 4);
      for (int c = 0; c < len; c++) {
        s.append("0123456789abcdefABCDEF".charAt(random.nextInt(22)));
      }
    }
    if (gap == groups) {
      s.append("::");
    }
    return s.toString();
  }

  /** The JDK's parser, less its leniency for groups of more than four digits ("0fcab"), which Go rejects. */
  private static boolean isIpv6Literal(String text) {
    if (java.util.Arrays.stream(text.split(":")).anyMatch(group -> group.length() > 4)) {
      return false;
    }
    try {
      return InetAddress.getByName("[" + text + "]") instanceof Inet6Address;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  // --- endpoints and zones

  @Test
  void endpoints() {
    for (String ok : List.of("203.0.113.5:51820", "[2001:db8:90::1]:51820", "[::1]:1", "registry.example.com:65535",
        "localhost:51820", "wg-1.eu-west.example:443")) {
      assertTrue(ENDPOINT.matcher(ok).matches(), ok);
    }
    for (String bad : List.of("", "203.0.113.5", "203.0.113.5:0", "203.0.113.5:65536", "203.0.113.5:99999", "203.0.113.5:051820",
        "2001:db8::1:51820", "[2001:db8::1]", "[2001:db8::1]:", "203.0.113.300:51820", "host name:51820", "-host:1",
        ":51820", "http://203.0.113.5:51820", "203.0.113.5:51820 ")) {
      assertFalse(ENDPOINT.matcher(bad).matches(), bad);
    }
    for (int port = 0; port <= 70_000; port += 7) {
      assertEquals(port >= 1 && port <= 65535, ENDPOINT.matcher("192.0.2.1:" + port).matches(), "port " + port);
    }
    assertTrue(ENDPOINT.matcher("192.0.2.1:65535").matches());
  }

  @Test
  void zones() {
    for (String ok : List.of("wgmesh.internal", "wgmesh.internal.", "mesh.example.com", "a", "x-1.y-2")) {
      assertTrue(ZONE.matcher(ok).matches(), ok);
    }
    for (String bad : List.of("", ".", "-a.b", "a-.b", "a..b", "a b", "_wireguard._udp.example")) {
      assertFalse(ZONE.matcher(bad).matches(), bad);
    }
  }
}
