package dev.wgmesh.testapiserver.crd;

import dev.wgmesh.api.v1alpha1.Patterns;

import static dev.cel.common.CelFunctionDecl.newFunctionDeclaration;
import static dev.cel.common.CelOverloadDecl.newGlobalOverload;
import static dev.cel.common.CelOverloadDecl.newMemberOverload;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.TypeParamType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The CEL environment of Kubernetes' CRD validation rules, as far as the tests can reproduce it with
 * cel-java: CEL's standard library and macros, the cel-go extensions Kubernetes enables (strings,
 * encoders (base64), math, sets, cel.bind, optional types), and Kubernetes' own libraries declared
 * with their signatures as the Kubernetes "Common Expression Language in Kubernetes" reference
 * documents them (k8s.io/apiserver/pkg/cel/library): IP and CIDR (Kubernetes 1.31+), quantity
 * (1.29+), regex {@code find}/{@code findAll}, lists ({@code isSorted}, {@code sum}, {@code min},
 * {@code max}, {@code indexOf}, {@code lastIndexOf} on lists), URLs (all versions) and formats
 * (1.32+, newer than the chart's minimum: CrdApiServerRulesTest keeps the CRDs from using them).
 * Not declared: semver (1.34+), two-variable comprehensions (1.33+) and the authorizer (admission
 * only). A rule calling anything not declared here does not compile.
 *
 * <p>Only the IP/CIDR functions the rules use have a runtime implementation (isIP, isCIDR, cidr,
 * containsIP with a string), emulated with Go netip's strict text forms; the others compile but
 * cannot be evaluated here.
 */
public final class KubeCel {
  private KubeCel() {}

  static final CelType IP = OpaqueType.create("net.IP");
  static final CelType CIDR = OpaqueType.create("net.CIDR");
  static final CelType QUANTITY = OpaqueType.create("kubernetes.Quantity");
  static final CelType URL = OpaqueType.create("kubernetes.URL");
  static final CelType FORMAT = OpaqueType.create("kubernetes.NamedFormat");

  /** Format names of the format library: format.<name>() returns that format. */
  static final List<String> FORMATS = List.of("dns1123Label", "dns1123Subdomain", "dns1035Label", "qualifiedName",
      "dns1123LabelPrefix", "dns1123SubdomainPrefix", "dns1035LabelPrefix", "labelValue", "uri", "uuid", "byte",
      "date", "datetime");

  private static final CelOptions OPTIONS = CelOptions.current().build();

  /** A compiler builder with the standard library, the extensions and Kubernetes' libraries; add the variables. */
  static CelCompilerBuilder compilerBuilder() {
    return CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(OPTIONS)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addLibraries(CelExtensions.strings(), CelExtensions.encoders(OPTIONS), CelExtensions.math(OPTIONS),
            CelExtensions.sets(OPTIONS), CelExtensions.bindings(), CelExtensions.optional())
        .addFunctionDeclarations(kubernetesLibraries());
  }

  /** self and oldSelf of any type: to compile and run rules on plain maps and lists. */
  static CelCompiler untypedCompiler() {
    return compilerBuilder().addVar("self", SimpleType.DYN).addVar("oldSelf", SimpleType.DYN).build();
  }

  static CelRuntime runtime() {
    return CelRuntimeFactory.standardCelRuntimeBuilder()
        .addFunctionBindings(
            CelFunctionBinding.from("is_ip_string", String.class, s -> parseIp(s) != null),
            CelFunctionBinding.from("is_cidr_string", String.class, s -> Prefix.parse(s) != null),
            CelFunctionBinding.from("string_to_cidr", String.class, s -> {
              Prefix p = Prefix.parse(s);
              if (p == null) {
                throw new IllegalArgumentException("network address parse error during conversion from string: " + s);
              }
              return p;
            }),
            CelFunctionBinding.from("cidr_contains_ip_string", Prefix.class, String.class, (p, ip) -> p.contains(parseIp(ip))))
        .build();
  }

  static List<CelFunctionDecl> kubernetesLibraries() {
    CelType t = TypeParamType.create("T");
    CelType listOfT = ListType.create(t);
    CelType strings = ListType.create(SimpleType.STRING);
    List<CelFunctionDecl> decls = new java.util.ArrayList<>(List.of(
        // IP library (Kubernetes 1.31 for CRD rules)
        newFunctionDeclaration("ip", newGlobalOverload("string_to_ip", IP, SimpleType.STRING)),
        newFunctionDeclaration("isIP", newGlobalOverload("is_ip_string", SimpleType.BOOL, SimpleType.STRING)),
        newFunctionDeclaration("isCanonical", newMemberOverload("ip_is_canonical", SimpleType.BOOL, IP)),
        newFunctionDeclaration("family", newMemberOverload("ip_family", SimpleType.INT, IP)),
        newFunctionDeclaration("isUnspecified", newMemberOverload("ip_is_unspecified", SimpleType.BOOL, IP)),
        newFunctionDeclaration("isLoopback", newMemberOverload("ip_is_loopback", SimpleType.BOOL, IP)),
        newFunctionDeclaration("isLinkLocalMulticast", newMemberOverload("ip_is_link_local_multicast", SimpleType.BOOL, IP)),
        newFunctionDeclaration("isLinkLocalUnicast", newMemberOverload("ip_is_link_local_unicast", SimpleType.BOOL, IP)),
        newFunctionDeclaration("isGlobalUnicast", newMemberOverload("ip_is_global_unicast", SimpleType.BOOL, IP)),
        // CIDR library
        newFunctionDeclaration("cidr", newGlobalOverload("string_to_cidr", CIDR, SimpleType.STRING)),
        newFunctionDeclaration("isCIDR", newGlobalOverload("is_cidr_string", SimpleType.BOOL, SimpleType.STRING)),
        newFunctionDeclaration("containsIP",
            newMemberOverload("cidr_contains_ip_string", SimpleType.BOOL, CIDR, SimpleType.STRING),
            newMemberOverload("cidr_contains_ip_ip", SimpleType.BOOL, CIDR, IP)),
        newFunctionDeclaration("containsCIDR",
            newMemberOverload("cidr_contains_cidr_string", SimpleType.BOOL, CIDR, SimpleType.STRING),
            newMemberOverload("cidr_contains_cidr", SimpleType.BOOL, CIDR, CIDR)),
        newFunctionDeclaration("ip", newMemberOverload("cidr_ip", IP, CIDR)),
        newFunctionDeclaration("masked", newMemberOverload("cidr_masked", CIDR, CIDR)),
        newFunctionDeclaration("prefixLength", newMemberOverload("cidr_prefix_length", SimpleType.INT, CIDR)),
        newFunctionDeclaration("string",
            newGlobalOverload("ip_to_string", SimpleType.STRING, IP),
            newGlobalOverload("cidr_to_string", SimpleType.STRING, CIDR)),
        // quantity library
        newFunctionDeclaration("quantity", newGlobalOverload("string_to_quantity", QUANTITY, SimpleType.STRING)),
        newFunctionDeclaration("isQuantity", newGlobalOverload("is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
        newFunctionDeclaration("sign", newMemberOverload("quantity_sign", SimpleType.INT, QUANTITY)),
        newFunctionDeclaration("isInteger", newMemberOverload("quantity_is_integer", SimpleType.BOOL, QUANTITY)),
        newFunctionDeclaration("asInteger", newMemberOverload("quantity_as_integer", SimpleType.INT, QUANTITY)),
        newFunctionDeclaration("asApproximateFloat", newMemberOverload("quantity_as_float", SimpleType.DOUBLE, QUANTITY)),
        newFunctionDeclaration("add",
            newMemberOverload("quantity_add", QUANTITY, QUANTITY, QUANTITY),
            newMemberOverload("quantity_add_int", QUANTITY, QUANTITY, SimpleType.INT)),
        newFunctionDeclaration("sub",
            newMemberOverload("quantity_sub", QUANTITY, QUANTITY, QUANTITY),
            newMemberOverload("quantity_sub_int", QUANTITY, QUANTITY, SimpleType.INT)),
        newFunctionDeclaration("isLessThan", newMemberOverload("quantity_less", SimpleType.BOOL, QUANTITY, QUANTITY)),
        newFunctionDeclaration("isGreaterThan", newMemberOverload("quantity_greater", SimpleType.BOOL, QUANTITY, QUANTITY)),
        newFunctionDeclaration("compareTo", newMemberOverload("quantity_compare_to", SimpleType.INT, QUANTITY, QUANTITY)),
        // regex library
        newFunctionDeclaration("find", newMemberOverload("string_find_string", SimpleType.STRING, SimpleType.STRING, SimpleType.STRING)),
        newFunctionDeclaration("findAll",
            newMemberOverload("string_find_all_string", strings, SimpleType.STRING, SimpleType.STRING),
            newMemberOverload("string_find_all_string_int", strings, SimpleType.STRING, SimpleType.STRING, SimpleType.INT)),
        // lists library (Kubernetes' own, on lists of comparable T)
        newFunctionDeclaration("isSorted", newMemberOverload("list_is_sorted", SimpleType.BOOL, listOfT)),
        newFunctionDeclaration("sum", newMemberOverload("list_sum", t, listOfT)),
        newFunctionDeclaration("min", newMemberOverload("list_min", t, listOfT)),
        newFunctionDeclaration("max", newMemberOverload("list_max", t, listOfT)),
        newFunctionDeclaration("indexOf", newMemberOverload("list_index_of", SimpleType.INT, listOfT, t)),
        newFunctionDeclaration("lastIndexOf", newMemberOverload("list_last_index_of", SimpleType.INT, listOfT, t)),
        // URL library
        newFunctionDeclaration("url", newGlobalOverload("string_to_url", URL, SimpleType.STRING)),
        newFunctionDeclaration("isURL", newGlobalOverload("is_url_string", SimpleType.BOOL, SimpleType.STRING)),
        newFunctionDeclaration("getScheme", newMemberOverload("url_get_scheme", SimpleType.STRING, URL)),
        newFunctionDeclaration("getHost", newMemberOverload("url_get_host", SimpleType.STRING, URL)),
        newFunctionDeclaration("getHostname", newMemberOverload("url_get_hostname", SimpleType.STRING, URL)),
        newFunctionDeclaration("getPort", newMemberOverload("url_get_port", SimpleType.STRING, URL)),
        newFunctionDeclaration("getEscapedPath", newMemberOverload("url_get_escaped_path", SimpleType.STRING, URL)),
        newFunctionDeclaration("getQuery", newMemberOverload("url_get_query",
            MapType.create(SimpleType.STRING, strings), URL)),
        // format library
        newFunctionDeclaration("format.named", newGlobalOverload("format_named", OptionalType.create(FORMAT), SimpleType.STRING)),
        newFunctionDeclaration("validate", newMemberOverload("format_validate",
            OptionalType.create(strings), FORMAT, SimpleType.STRING))));
    for (String name : FORMATS) {
      decls.add(newFunctionDeclaration("format." + name, newGlobalOverload("format_" + name, FORMAT)));
    }
    return decls;
  }

  // --- the IP/CIDR library as far as the rules use it (Go netip semantics: strict text forms)

  static InetAddress parseIp(String text) {
    boolean v4 = text.matches(Patterns.IPV4_ADDRESS);
    boolean v6 = text.matches(Patterns.IPV6_ADDRESS);
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  record Prefix(InetAddress address, int length) {
    static Prefix parse(String text) {
      int slash = text.indexOf('/');
      if (slash < 0 || !text.matches(Patterns.CIDR)) {
        return null;
      }
      InetAddress address = parseIp(text.substring(0, slash));
      return address == null ? null : new Prefix(address, Integer.parseInt(text.substring(slash + 1)));
    }

    boolean contains(InetAddress ip) {
      if (ip == null || ip.getAddress().length != address.getAddress().length) {
        return false;
      }
      int bits = address.getAddress().length * 8;
      BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
          .xor(BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE));
      return new BigInteger(1, address.getAddress()).and(mask).equals(new BigInteger(1, ip.getAddress()).and(mask));
    }
  }
}
