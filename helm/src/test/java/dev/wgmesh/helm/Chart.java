package dev.wgmesh.helm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The chart under test, rendered with helm-java (Helm's own library, offline). */
final class Chart {
  private Chart() {}

  static final Path DIR = Path.of(System.getProperty("wgmesh.chart", "wgmesh")).toAbsolutePath().normalize();
  static final Path CRDS = Path.of(System.getProperty("wgmesh.crds", "../crds")).toAbsolutePath().normalize();
  static final Path IMAGES = Path.of(System.getProperty("wgmesh.images", "../images")).toAbsolutePath().normalize();
  static final String VERSION = System.getProperty("wgmesh.version", "0.1.0-SNAPSHOT");

  static final String RELEASE = "wgmesh";
  static final String NAMESPACE = "wgmesh";
  /** The chart needs Kubernetes 1.31 (CRD CEL IP/CIDR library); offline templating defaults to an older one. */
  static final String KUBE_VERSION = "1.31.0";

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

  /** Value combinations every rendering test runs over; each is a set of --set values. */
  enum Scenario {
    DEFAULTS(Map.of()),
    LOAD_BALANCER(Map.of(
        "mesh.registry.exposure", "LoadBalancer",
        "mesh.registry.endpoint", "203.0.113.10:51820")),
    HOST_NETWORK_PINNED(Map.of(
        "mesh.registry.nodeName", "cloud-a-node-1",
        "mesh.registry.endpoint", "203.0.113.10:51820",
        "mesh.networkV6", "fd00:88::/64",
        "mesh.nodeSelector.topology\\.kubernetes\\.io/region", "eu-west",
        "mesh.relay", "Disabled")),
    NO_MESH(Map.of("mesh.create", false)),
    MONITORING(Map.of(
        "metrics.serviceMonitor.enabled", true,
        "metrics.serviceMonitor.labels.release", "prometheus",
        "metrics.podMonitor.enabled", true)),
    NAMESPACE_CREATED(Map.of(
        "namespace.create", true,
        "namespace.name", "wgmesh-system")),
    CUSTOM_IMAGES(Map.of(
        "image.registry", "registry.example:5000/team",
        "image.operator.repository", "platform/wgmesh-operator",
        "image.node.repository", "platform/wgmesh-node",
        "image.tag", "1.2.3",
        "image.pullPolicy", "Always",
        "image.pullSecrets[0]", "regcred")),
    TWO_REGISTRIES(Map.ofEntries(
        Map.entry("mesh.registries[0].name", "eu"),
        Map.entry("mesh.registries[0].nodeName", "cloud-a-node-1"),
        Map.entry("mesh.registries[0].endpoint", "203.0.113.10:51822"),
        Map.entry("mesh.registries[0].port", 51822),
        Map.entry("mesh.registries[1].name", "us"),
        Map.entry("mesh.registries[1].exposure", "LoadBalancer"),
        Map.entry("mesh.registries[1].address", "10.88.255.250"),
        Map.entry("registry.extraMeshes[0]", "old"))),
    TUNED(Map.of(
        "operator.replicas", 2,
        "mesh.name", "prod",
        "registry.extraMeshes[0]", "lab",
        "agent.interface", "wg-prod",
        "agent.stateDir", "/var/lib/wgmesh-prod",
        "agent.extraArgs[0]", "--log-level=debug",
        "agent.admissionPolicy.enabled", false));

    final Map<String, Object> values;

    Scenario(Map<String, Object> values) {
      this.values = values;
    }

    /** The namespace the namespaced objects land in. */
    String namespace() {
      return this == NAMESPACE_CREATED ? "wgmesh-system" : NAMESPACE;
    }
  }

  /** One rendered document: where it came from, its text, and its fabric8 typed model. */
  record Doc(String source, String yaml, HasMetadata object, Map<String, Object> raw) {
    String kind() { return object.getKind(); }
    String name() { return object.getMetadata().getName(); }
    @Override public String toString() { return kind() + "/" + name() + " (" + source + ")"; }
  }

  private static final Map<Scenario, List<Doc>> CACHE = new ConcurrentHashMap<>();

  static List<Doc> render(Scenario scenario) {
    return CACHE.computeIfAbsent(scenario, s -> parse(template(s.values)));
  }

  static TemplateCommand templateCommand(Map<String, Object> values) {
    TemplateCommand t = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    return t;
  }

  /** helm template; throws IllegalStateException with Helm's message when the values are rejected. */
  static String template(Map<String, Object> values) {
    return templateCommand(values).call();
  }

  /** The NOTES.txt shown after an install (a client-only dry run: no cluster needed). */
  static String notes(Map<String, Object> values) {
    InstallCommand i = new Helm(DIR).install().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION)
        .clientOnly().withDryRunOption(DryRun.CLIENT);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      i = i.set(e.getKey(), e.getValue());
    }
    String out = i.call().getOutput();
    int at = out.indexOf("NOTES:");
    return at < 0 ? "" : out.substring(at);
  }

  /** helm lint --strict of the chart with these values merged into its values.yaml (lint takes no --set). */
  static LintResult lint(Map<String, Object> values, Path work) throws IOException {
    Path copy = work.resolve("wgmesh");
    copyTree(DIR, copy);
    if (!values.isEmpty()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> merged = YAML.readValue(DIR.resolve("values.yaml").toFile(), LinkedHashMap.class);
      values.forEach((k, v) -> put(merged, k, v));
      YAML.writeValue(copy.resolve("values.yaml").toFile(), merged);
    }
    return new Helm(copy).lint().strict().call();
  }

  /** Sets a --set style dotted key ("a.b\\.c", "list[0]") in nested maps. */
  @SuppressWarnings("unchecked")
  static void put(Map<String, Object> root, String dotted, Object value) {
    List<String> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < dotted.length(); i++) {
      char c = dotted.charAt(i);
      if (c == '\\' && i + 1 < dotted.length()) {
        cur.append(dotted.charAt(++i));
      } else if (c == '.') {
        parts.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    parts.add(cur.toString());
    Map<String, Object> m = root;
    for (int i = 0; i < parts.size(); i++) {
      String p = parts.get(i);
      boolean last = i == parts.size() - 1;
      int bracket = p.indexOf('[');
      if (bracket >= 0) {
        String key = p.substring(0, bracket);
        int index = Integer.parseInt(p.substring(bracket + 1, p.indexOf(']')));
        List<Object> list = (List<Object>) m.computeIfAbsent(key, k -> new ArrayList<>());
        list = new ArrayList<>(list);
        m.put(key, list);
        while (list.size() <= index) {
          list.add(null);
        }
        if (last) {
          list.set(index, value);
          return;
        }
        Object element = list.get(index);
        Map<String, Object> child = element instanceof Map ? new LinkedHashMap<>((Map<String, Object>) element) : new LinkedHashMap<>();
        list.set(index, child);
        m = child;
        continue;
      }
      if (last) {
        m.put(p, value);
      } else {
        Object next = m.get(p);
        Map<String, Object> child = next instanceof Map ? new LinkedHashMap<>((Map<String, Object>) next) : new LinkedHashMap<>();
        m.put(p, child);
        m = child;
      }
    }
  }

  /** Splits helm template output into documents and parses each with fabric8. */
  static List<Doc> parse(String manifests) {
    List<Doc> docs = new ArrayList<>();
    for (String part : manifests.split("(?m)^---\\s*$")) {
      String source = part.lines().filter(l -> l.startsWith("# Source: ")).findFirst()
          .map(l -> l.substring("# Source: ".length())).orElse("?");
      boolean empty = part.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"));
      if (empty) {
        continue;
      }
      docs.add(parseOne(source, part));
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static Doc parseOne(String source, String yaml) {
    Object parsed;
    Map<String, Object> raw;
    try {
      parsed = SERIALIZATION.unmarshal(yaml);
      raw = YAML.readValue(yaml, LinkedHashMap.class);
    } catch (RuntimeException | IOException e) {
      throw new AssertionError("cannot parse " + source + ": " + e.getMessage() + "\n" + yaml, e);
    }
    if (!(parsed instanceof HasMetadata object)) {
      throw new AssertionError(source + " is not a Kubernetes object: " + parsed);
    }
    return new Doc(source, yaml, object, raw);
  }

  /** The committed CRD files of the chart, parsed. */
  static List<Doc> chartCrds() throws IOException {
    try (Stream<Path> files = Files.list(DIR.resolve("crds"))) {
      return files.sorted().map(f -> parseOne("crds/" + f.getFileName(), read(f))).toList();
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  static <T> List<T> all(List<Doc> docs, Class<T> type) {
    return docs.stream().map(Doc::object).filter(type::isInstance).map(o -> (T) o).toList();
  }

  static <T> T one(List<Doc> docs, Class<T> type, String name) {
    List<T> found = all(docs, type).stream().filter(o -> ((HasMetadata) o).getMetadata().getName().equals(name)).toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + " " + name + ", found " + found.size() + " in " + docs);
    }
    return found.get(0);
  }
}
