package dev.wgmesh.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every jar the build shades (the product jar in cli, the demo's and the bench's) is built one way:
 * with a Multi-Release manifest. dnsjava's service entry
 * {@code META-INF/services/java.net.spi.InetAddressResolverProvider} names a class that exists only
 * under {@code META-INF/versions/18}; a jar that carries the entry without being multi-release
 * cannot resolve a host name on Java 18 and later (ServiceConfigurationError).
 */
class FatJarsTest {
  private static final Path ROOT = Path.of(System.getProperty("wgmesh.root", "..")).toAbsolutePath().normalize();

  @Test
  void everyShadedJarIsMultiRelease() throws Exception {
    TreeMap<String, String> multiRelease = new TreeMap<>();
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path pom : modules.map(m -> m.resolve("pom.xml")).filter(Files::isRegularFile).toList()) {
        for (Element shade : shadePlugins(pom)) {
          multiRelease.put(pom.getParent().getFileName().toString(), text(shade, "Multi-Release"));
        }
      }
    }
    assertFalse(multiRelease.isEmpty(), "no module shades a jar: is wgmesh.root (" + ROOT + ") the repository?");
    TreeMap<String, String> expected = new TreeMap<>();
    multiRelease.keySet().forEach(m -> expected.put(m, "true"));
    assertEquals(expected, multiRelease, "each shading module's Multi-Release manifest entry");
  }

  private static List<Element> shadePlugins(Path pom) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    Document doc = factory.newDocumentBuilder().parse(pom.toFile());
    List<Element> out = new ArrayList<>();
    NodeList plugins = doc.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if ("maven-shade-plugin".equals(text(plugin, "artifactId")) && plugin.getElementsByTagName("execution").getLength() > 0) {
        out.add(plugin);
      }
    }
    return out;
  }

  /** The text of the first descendant named {@code tag}, or null. */
  private static String text(Element element, String tag) {
    NodeList found = element.getElementsByTagName(tag);
    return found.getLength() == 0 ? null : found.item(0).getTextContent().strip();
  }
}
