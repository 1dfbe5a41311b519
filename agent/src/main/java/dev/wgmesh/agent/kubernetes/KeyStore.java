package dev.wgmesh.agent.kubernetes;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's WireGuard key pair in the agent's state directory: {@code private.key} holds the
 * base64 private key (as {@code wg genkey} writes it), mode 0600 in a 0700 directory. The private
 * key never leaves this file and the device; only the public key is published.
 *
 * <p>A file that is not a WireGuard key is an error that names the file and what is wrong, never a
 * reason to make a new key silently: a new key changes the node's identity in the mesh.
 */
public final class KeyStore {
  private static final Logger log = LoggerFactory.getLogger(KeyStore.class);
  public static final String FILE_NAME = "private.key";
  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  private static final long MAX_SIZE = 1024;

  private KeyStore() {}

  /** Loads the key pair from {@code stateDir}, or creates and stores a new one. */
  public static KeyPair loadOrCreate(Path stateDir) throws IOException {
    ensureDirectory(stateDir);
    Path file = stateDir.resolve(FILE_NAME);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return load(file);
    }
    KeyPair keys = KeyPair.generate();
    write(file, keys.privateKey());
    log.info("created a new WireGuard key pair in {}; public key {}", file, keys.publicKey().toBase64());
    return keys;
  }

  static KeyPair load(Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("private key file " + file + " is not a regular file; move it away to have a new key made");
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    if (!FILE_MODE.containsAll(mode)) {
      log.warn("private key file {} had mode {}; tightened to rw-------", file, PosixFilePermissions.toString(mode));
      Files.setPosixFilePermissions(file, FILE_MODE);
    }
    if (Files.size(file) > MAX_SIZE) {
      throw corrupt(file, "it is " + Files.size(file) + " bytes long, a key file is 45");
    }
    String text = new String(Files.readAllBytes(file), US_ASCII).strip();
    WireGuardKey key;
    try {
      key = WireGuardKey.fromBase64(text); // its messages never quote the text
    } catch (IllegalArgumentException e) {
      throw corrupt(file, e.getMessage());
    }
    KeyPair keys = KeyPair.fromPrivate(key);
    log.info("loaded the WireGuard key pair from {}; public key {}", file, keys.publicKey().toBase64());
    return keys;
  }

  private static IOException corrupt(Path file, String why) {
    return new IOException("private key file " + file + " is corrupt: " + why
        + ". Restore it, or move it away to have a new key made (the node then joins the mesh with a new public key)");
  }

  private static void ensureDirectory(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException("state directory " + dir + " is not a directory");
    }
    if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
      Files.setPosixFilePermissions(dir, DIR_MODE);
    }
  }

  /** Writes atomically: a 0600 temporary file in the same directory, synced, then renamed. */
  private static void write(Path file, WireGuardKey key) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), ".private.key-", ".tmp", PosixFilePermissions.asFileAttribute(FILE_MODE));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap((key.toBase64() + "\n").getBytes(US_ASCII)));
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
