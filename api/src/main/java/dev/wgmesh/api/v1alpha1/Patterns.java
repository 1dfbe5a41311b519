package dev.wgmesh.api.v1alpha1;

/**
 * The regular expressions the CRDs validate text fields with (OpenAPI {@code pattern}, checked by
 * the API server at {@code kubectl apply} time). They are written for both Java and Go's RE2, the
 * engine the API server uses: groups, alternation, classes and bounded repeats only.
 *
 * <p>They check syntax and ranges (octets 0..255, prefix lengths, ports 1..65535) exactly; what
 * spans fields (an address inside a network) is a CEL rule on the enclosing object, and what spans
 * resources (address conflicts, duplicate keys) is the operator's business.
 */
public final class Patterns {
  private Patterns() {}

  /**
   * A WireGuard key: base64 of 32 bytes is 44 characters, 43 of data and one '=' of padding. 32
   * bytes are 256 bits and 43 characters carry 258, so the 43rd character holds 4 bits and 2 zero
   * bits: its base64 index is a multiple of 4 (A E I M Q U Y c g k o s w 0 4 8). Any other final
   * character would decode to the same bytes, so the pattern admits only the canonical encoding.
   */
  public static final String KEY = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$";

  /** One IPv4 octet, 0..255, without leading zeros (Go's netip rejects those too). */
  static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  static final String V4 = OCTET + "(\\." + OCTET + "){3}";
  static final String V4_PREFIX = "/(3[0-2]|[12]?[0-9])";

  static final String HEX = "[0-9a-fA-F]{1,4}";
  /** An IPv6 address in any RFC 4291 text form with hex groups ({@code ::} at most once); no zone, no dotted tail. */
  static final String V6 = "("
      + "(" + HEX + ":){7}" + HEX
      + "|(" + HEX + ":){1,7}:"
      + "|(" + HEX + ":){1,6}:" + HEX
      + "|(" + HEX + ":){1,5}(:" + HEX + "){1,2}"
      + "|(" + HEX + ":){1,4}(:" + HEX + "){1,3}"
      + "|(" + HEX + ":){1,3}(:" + HEX + "){1,4}"
      + "|(" + HEX + ":){1,2}(:" + HEX + "){1,5}"
      + "|" + HEX + ":(:" + HEX + "){1,6}"
      + "|:((:" + HEX + "){1,7}|:)"
      + ")";
  static final String V6_PREFIX = "/(12[0-8]|1[01][0-9]|[1-9]?[0-9])";

  /** A DNS host name whose last label starts with a letter, so that it never looks like an IPv4 address. */
  static final String LABEL = "[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?";
  static final String HOSTNAME = "(" + LABEL + "\\.)*[a-zA-Z]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?";

  /** A UDP port, 1..65535. */
  static final String PORT = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

  /** An IPv4 address, e.g. 10.88.0.254. */
  public static final String IPV4_ADDRESS = "^" + V4 + "$";
  /** An IPv6 address in a text form Go's netip accepts, without zone or dotted tail, e.g. fd00:88::1. */
  public static final String IPV6_ADDRESS = "^" + V6 + "$";
  /** An IPv4 CIDR, e.g. 10.88.0.0/16 (host bits may be set: interface addresses are written 10.88.0.1/24). */
  public static final String IPV4_CIDR = "^" + V4 + V4_PREFIX + "$";
  /** An IPv6 CIDR, e.g. fd00:88::/64. */
  public static final String IPV6_CIDR = "^" + V6 + V6_PREFIX + "$";
  /** An IPv4 or IPv6 CIDR; the prefix length is not optional. */
  public static final String CIDR = "^(" + V4 + V4_PREFIX + "|" + V6 + V6_PREFIX + ")$";
  /** A UDP endpoint as WireGuard writes it: {@code 203.0.113.5:51820}, {@code [2001:db8::1]:51820} or {@code host.example:51820}. */
  public static final String ENDPOINT = "^(" + V4 + "|\\[" + V6 + "\\]|" + HOSTNAME + "):" + PORT + "$";
  /** A DNS zone, e.g. {@code wgmesh.internal}, with an optional final dot. */
  public static final String DNS_ZONE = "^(" + LABEL + "\\.)*" + LABEL + "\\.?$";

  /** A DNS label as Kubernetes names objects: lower case letters, digits and inner dashes, e.g. {@code eu-1}. */
  public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

  /** Longest IPv6 CIDR text: eight groups of four, seven colons, "/128". */
  public static final int CIDR_MAX_LENGTH = 43;
  /** Longest endpoint: a 253-character host name, ":" and five digits. */
  public static final int ENDPOINT_MAX_LENGTH = 259;
}
