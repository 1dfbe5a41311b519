package dev.wgmesh.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Which wgmesh module may depend on which: the table of docs/architecture.md ("Module map"), checked
 * against every module's pom.xml. The poms are read with the JDK's XML parser, not through Maven, so
 * the check sees exactly what is written: each {@code dev.wgmesh} dependency with its scope (its own,
 * else the one its pom's or the parent pom's dependencyManagement gives it, else compile).
 */
class ModuleRulesTest {
  private static final Path ROOT = Path.of(System.getProperty("wgmesh.root", "..")).toAbsolutePath().normalize();
  private static final String GROUP = "dev.wgmesh";
  private static final String DOCS = "docs/architecture.md";

  enum Kind { PRODUCT, HARNESS }

  /**
   * One module's row.
   *
   * @param main modules it may depend on in any scope (compile, provided, runtime, system, test)
   * @param tests modules it may depend on in test scope only, in addition
   * @param optional whether the module may be missing from the build (it is checked when present)
   */
  record Rule(Kind kind, Set<String> main, Set<String> tests, boolean optional) {}

  private static final Set<String> NONE = Set.of();
  private static final Set<String> PRODUCT_MODULES = Set.of("core", "api", "kube", "registry", "agent", "operator", "cli");

  /** The module map. Mirrors the table in docs/architecture.md; {@link #docsTableIsThisTable} keeps them equal. */
  static final Map<String, Rule> RULES = rules(
      product("core", NONE, Set.of("lab")),
      product("api", Set.of("core"), Set.of("lab")),
      product("kube", Set.of("core", "api"), Set.of("lab", "test-apiserver")),
      product("registry", Set.of("core", "api", "kube"), Set.of("lab", "test-apiserver")),
      product("agent", Set.of("core", "api", "kube"), Set.of("lab", "test-apiserver")),
      product("operator", Set.of("core", "api"), Set.of("lab", "test-apiserver")),
      product("cli", Set.of("core", "api", "kube", "registry", "agent", "operator"), Set.of("lab", "test-apiserver")),
      harness("lab", NONE, NONE, false),
      harness("test-apiserver", Set.of("core", "api"), NONE, false),
      // The `wgmesh demo` command and its NAT-lab harness, out of cli so the product jar holds the product only.
      harness("demo", union(PRODUCT_MODULES, Set.of("lab")), Set.of("test-apiserver"), false),
      // bench's rss-kubernetes scenario runs agents against the strict test API server.
      harness("bench", union(PRODUCT_MODULES, Set.of("lab", "test-apiserver")), NONE, false),
      harness("helm", NONE, Set.of("core", "api"), false));


  /** A wgmesh dependency as one module's pom declares it. */
  record Arrow(String from, String to, String scope) {
    @Override
    public String toString() {
      return from + " -> " + to + " (" + scope + ")";
    }
  }

  @Test
  void everyArrowIsAllowed() throws Exception {
    Map<String, List<Arrow>> arrows = arrows();
    List<String> problems = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (Map.Entry<String, List<Arrow>> e : arrows.entrySet()) {
      Rule rule = RULES.get(e.getKey());
      if (rule == null) {
        problems.add("module " + e.getKey() + " has no row in the module map: add one to " + DOCS
            + " (Module map) and to ModuleRulesTest.RULES");
        continue;
      }
      for (Arrow a : e.getValue()) {
        seen.add(a.toString());
        String why = forbidden(a, rule);
        if (why != null) {
          problems.add(a + ": " + why);
        }
      }
    }
    for (Map.Entry<String, Rule> e : RULES.entrySet()) {
      if (!e.getValue().optional() && !arrows.containsKey(e.getKey())) {
        problems.add("the module map lists " + e.getKey() + ", which is not a module of " + ROOT.resolve("pom.xml"));
      }
    }
    if (!problems.isEmpty()) {
      fail("module dependencies break the rules of " + DOCS + " (Module map):\n  " + String.join("\n  ", problems));
    }
  }

  /** Why an arrow is not allowed by its module's row, or null when it is. */
  static String forbidden(Arrow a, Rule rule) {
    boolean test = a.scope().equals("test");
    if (rule.main().contains(a.to()) || (test && rule.tests().contains(a.to()))) {
      return null;
    }
    if (!RULES.containsKey(a.to())) {
      return a.to() + " is not in the module map";
    }
    if (Set.of("demo", "bench", "helm").contains(a.to())) {
      return "nothing may depend on " + a.to();
    }
    if (a.to().equals("test-apiserver") && !test) {
      return "test-apiserver is a test-scope dependency only";
    }
    String row = "; " + a.from() + " may depend on " + describe(rule);
    if (rule.kind() == Kind.PRODUCT && RULES.get(a.to()).kind() == Kind.HARNESS) {
      return "product modules use lab and test-apiserver in test scope only, demo and bench never" + row;
    }
    if (rule.tests().contains(a.to())) {
      return a.from() + " may use " + a.to() + " in test scope only" + row;
    }
    return row.substring(2);
  }

  private static String describe(Rule rule) {
    String main = rule.main().isEmpty() ? "no wgmesh module" : String.join(", ", new TreeSet<>(rule.main()));
    return rule.tests().isEmpty() ? main : main + " (tests also: " + String.join(", ", new TreeSet<>(rule.tests())) + ")";
  }

  /** The table itself keeps the rules the docs state, so that a row edited later cannot loosen them. */
  @Test
  void tableKeepsTheRules() {
    Set<String> harnesses = new TreeSet<>();
    RULES.forEach((m, r) -> {
      if (r.kind() == Kind.HARNESS) {
        harnesses.add(m);
      }
    });
    assertEquals(new TreeSet<>(PRODUCT_MODULES), new TreeSet<>(product(RULES)), "product modules");
    assertEquals(NONE, RULES.get("core").main(), "core depends on no other wgmesh module");
    RULES.forEach((m, r) -> {
      if (r.kind() == Kind.PRODUCT) {
        assertTrue(disjoint(r.main(), harnesses), m + ": product modules use lab, test-apiserver, demo, bench only in tests");
        assertTrue(disjoint(r.tests(), Set.of("demo", "bench", "helm")), m + ": product modules never use demo, bench or helm");
      }
      assertTrue(m.equals("bench") || !r.main().contains("test-apiserver"),
          m + ": test-apiserver is a test-scope dependency only (bench, a harness outside the product jar, runs agents against it)");
      assertTrue(disjoint(union(r.main(), r.tests()), Set.of("demo", "bench", "helm")), m + ": nothing depends on demo, bench or helm");
      assertTrue(!r.main().contains(m) && !r.tests().contains(m), m + " lists itself");
    });
  }

  /** docs/architecture.md's table and {@link #RULES} say the same. */
  @Test
  void docsTableIsThisTable() throws IOException {
    String text = Files.readString(ROOT.resolve(DOCS), StandardCharsets.UTF_8);
    int start = text.indexOf("\n## Module map\n");
    assertTrue(start >= 0, DOCS + " has no \"## Module map\" section");
    int end = text.indexOf("\n## ", start + 1);
    String section = text.substring(start, end < 0 ? text.length() : end);
    Map<String, String> docs = new TreeMap<>();
    for (String line : section.split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = line.split("\\|", -1);
      assertEquals(6, cells.length, "a row of the module table has four cells: " + line);
      Set<String> module = names(cells[1]);
      assertEquals(1, module.size(), "one module per row: " + line);
      docs.put(module.iterator().next(), row(Kind.valueOf(cells[2].trim().toUpperCase()), names(cells[3]), names(cells[4])));
    }
    Map<String, String> code = new TreeMap<>();
    RULES.forEach((m, r) -> code.put(m, row(r.kind(), r.main(), r.tests())));
    List<String> differences = new ArrayList<>();
    for (String m : union(code.keySet(), docs.keySet())) {
      if (!String.valueOf(code.get(m)).equals(String.valueOf(docs.get(m)))) {
        differences.add(m + ": RULES " + code.getOrDefault(m, "has no row") + ", docs " + docs.getOrDefault(m, "have no row"));
      }
    }
    assertTrue(differences.isEmpty(),
        DOCS + " (Module map) and ModuleRulesTest.RULES differ; change both together:\n  " + String.join("\n  ", differences));
  }

  private static String row(Kind kind, Set<String> main, Set<String> tests) {
    return kind + " main=" + new TreeSet<>(main) + " tests=" + new TreeSet<>(tests);
  }

  private static Set<String> names(String cell) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("`([a-z-]+)`").matcher(cell);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  // --- reading the poms ---

  /** Every module of the root pom with its wgmesh dependencies, by module (directory) name. */
  static Map<String, List<Arrow>> arrows() throws Exception {
    Element root = parse(ROOT.resolve("pom.xml"));
    List<String> modules = new ArrayList<>();
    for (Element m : path(root, "modules", "module")) {
      modules.add(m.getTextContent().trim());
    }
    for (Element profile : path(root, "profiles", "profile")) {
      for (Element m : path(profile, "modules", "module")) {
        modules.add(m.getTextContent().trim());
      }
    }
    Map<String, String> parentScopes = managedScopes(root);
    Map<String, Element> poms = new LinkedHashMap<>();
    Map<String, String> moduleOfArtifact = new HashMap<>();
    for (String module : new LinkedHashSet<>(modules)) {
      Path pom = ROOT.resolve(module).resolve("pom.xml");
      assertTrue(Files.isRegularFile(pom), "the root pom lists module " + module + " but " + pom + " does not exist");
      Element project = parse(pom);
      poms.put(module, project);
      moduleOfArtifact.put(text(project, "artifactId"), module);
    }
    Map<String, List<Arrow>> out = new TreeMap<>();
    for (Map.Entry<String, Element> e : poms.entrySet()) {
      String module = e.getKey();
      Element project = e.getValue();
      Map<String, String> scopes = new HashMap<>(parentScopes);
      scopes.putAll(managedScopes(project));
      List<Element> deps = new ArrayList<>(path(project, "dependencies", "dependency"));
      for (Element profile : path(project, "profiles", "profile")) {
        deps.addAll(path(profile, "dependencies", "dependency"));
      }
      List<Arrow> arrows = new ArrayList<>();
      for (Element d : deps) {
        if (!GROUP.equals(groupId(d))) {
          continue;
        }
        String artifact = text(d, "artifactId");
        String to = moduleOfArtifact.get(artifact);
        if (to == null) {
          fail(module + "/pom.xml depends on " + GROUP + ":" + artifact + ", which is no module of the build");
        }
        String scope = text(d, "scope");
        if (scope == null) {
          scope = scopes.getOrDefault(key(d), "compile");
        }
        if (!Set.of("compile", "provided", "runtime", "system", "test").contains(scope)) {
          fail(module + "/pom.xml: scope '" + scope + "' of " + artifact + " is not one this test knows");
        }
        if (!to.equals(module)) {
          arrows.add(new Arrow(module, to, scope));
        }
      }
      out.put(module, arrows);
    }
    return out;
  }

  /** Scopes that a pom's dependencyManagement gives wgmesh artifacts, by {@link #key}. */
  private static Map<String, String> managedScopes(Element project) {
    Map<String, String> out = new HashMap<>();
    for (Element d : path(project, "dependencyManagement", "dependencies", "dependency")) {
      String scope = text(d, "scope");
      if (GROUP.equals(groupId(d)) && scope != null) {
        out.put(key(d), scope);
      }
    }
    return out;
  }

  /** What Maven matches a dependency with its managed entry by: artifactId, type, classifier. */
  private static String key(Element d) {
    String type = text(d, "type");
    String classifier = text(d, "classifier");
    return text(d, "artifactId") + ":" + (type == null ? "jar" : type) + ":" + (classifier == null ? "" : classifier);
  }

  private static String groupId(Element d) {
    String g = text(d, "groupId");
    return g != null && (g.equals("${project.groupId}") || g.equals("${project.parent.groupId}")) ? GROUP : g;
  }

  private static Element parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setExpandEntityReferences(false);
    DocumentBuilder b = f.newDocumentBuilder();
    return b.parse(pom.toFile()).getDocumentElement();
  }

  /** The elements reached from {@code from} through direct children with these names. */
  private static List<Element> path(Element from, String... names) {
    List<Element> current = List.of(from);
    for (String name : names) {
      List<Element> next = new ArrayList<>();
      for (Element e : current) {
        next.addAll(children(e, name));
      }
      current = next;
    }
    return current;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getTagName())) {
        out.add(e);
      }
    }
    return out;
  }

  private static String text(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? null : c.get(0).getTextContent().trim();
  }

  // --- building the table ---

  private static Map.Entry<String, Rule> product(String module, Set<String> main, Set<String> tests) {
    return Map.entry(module, new Rule(Kind.PRODUCT, main, tests, false));
  }

  private static Map.Entry<String, Rule> harness(String module, Set<String> main, Set<String> tests, boolean optional) {
    return Map.entry(module, new Rule(Kind.HARNESS, main, tests, optional));
  }

  @SafeVarargs
  private static Map<String, Rule> rules(Map.Entry<String, Rule>... rows) {
    Map<String, Rule> out = new LinkedHashMap<>();
    for (Map.Entry<String, Rule> r : rows) {
      out.put(r.getKey(), r.getValue());
    }
    return out;
  }

  private static Set<String> product(Map<String, Rule> rules) {
    Set<String> out = new TreeSet<>();
    rules.forEach((m, r) -> {
      if (r.kind() == Kind.PRODUCT) {
        out.add(m);
      }
    });
    return out;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new TreeSet<>(a);
    out.addAll(b);
    return out;
  }

  private static boolean disjoint(Set<String> a, Set<String> b) {
    return a.stream().noneMatch(b::contains);
  }
}
