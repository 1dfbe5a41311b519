package dev.wgmesh.agent.kubernetes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.wgmesh.api.v1alpha1.WireGuardNodeConfigSpec;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last configuration the agent applied, kept in its state directory as JSON
 * ({@code nodeconfig.json}), so that a node restarting while the API server is unreachable comes
 * back with its interface, peers and discovery as they were. That is the node config merged with
 * the mesh's peer sets ({@link NodeConfigs#withPeerSets}), under the node config's name and
 * generation; files of older agents hold the node config alone, which listed every peer then. It
 * holds public keys and addresses only.
 */
public final class ConfigStore {
  private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);
  public static final String FILE_NAME = "nodeconfig.json";

  /** What is kept: the node config's name and generation, and the spec applied (merged with the peer sets). */
  public record Saved(String name, Long generation, WireGuardNodeConfigSpec spec) {
    boolean sameAs(Saved other) {
      return other != null && Objects.equals(name, other.name) && Objects.equals(generation, other.generation)
          && Objects.equals(spec, other.spec);
    }
  }

  private final Path file;
  private final ObjectMapper mapper = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .enable(SerializationFeature.INDENT_OUTPUT);

  public ConfigStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  public Path file() {
    return file;
  }

  /** The saved configuration; empty when there is none or it cannot be read (which is logged). */
  public Optional<Saved> load() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      Saved saved = mapper.readValue(file.toFile(), Saved.class);
      if (saved.spec() == null) {
        throw new IOException("no spec in it");
      }
      return Optional.of(saved);
    } catch (IOException e) {
      log.warn("cannot read the saved configuration {}: {}; waiting for the API server instead", file, e.getMessage());
      return Optional.empty();
    }
  }

  /** Saves atomically (a temporary file renamed over the old one). */
  public void save(Saved saved) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), ".nodeconfig-", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      mapper.writeValue(tmp.toFile(), saved);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
