package dev.wgmesh.agent.kubernetes;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgmesh.core.key.KeyPair;
import dev.wgmesh.core.key.WireGuardKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyStoreTest {
  @TempDir
  Path tmp;

  @Test
  void createsA0600KeyInA0700DirectoryAndLoadsTheSameKeyAgain() throws IOException {
    Path dir = tmp.resolve("var/lib/wgmesh");
    KeyPair created = KeyStore.loadOrCreate(dir);
    Path file = dir.resolve(KeyStore.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals(created.privateKey(), WireGuardKey.fromBase64(Files.readString(file, US_ASCII)));
    assertEquals(created.publicKey(), KeyPair.publicKeyOf(created.privateKey()));
    try (var listing = Files.list(dir)) {
      assertEquals(1, listing.count(), "no temporary file left behind");
    }

    KeyPair loaded = KeyStore.loadOrCreate(dir);
    assertEquals(created.privateKey(), loaded.privateKey());
    assertEquals(created.publicKey(), loaded.publicKey());
    assertFalse(loaded.toString().contains(created.privateKey().toBase64()), "toString never shows the private key");
  }

  @Test
  void corruptFileIsAClearErrorThatNeverQuotesTheFile() throws IOException {
    Path file = tmp.resolve(KeyStore.FILE_NAME);
    String garbage = "c2VjcmV0LWJ1dC1ub3QtYS1rZXk=";
    Files.writeString(file, garbage + "\n");
    IOException e = assertThrows(IOException.class, () -> KeyStore.loadOrCreate(tmp));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("corrupt"), e.getMessage());
    assertFalse(e.getMessage().contains(garbage), "the message never repeats key material");
    assertEquals(garbage + "\n", Files.readString(file), "a corrupt key is never replaced silently");

    Files.writeString(file, "");
    assertThrows(IOException.class, () -> KeyStore.loadOrCreate(tmp));
    Files.write(file, new byte[4096]);
    assertThrows(IOException.class, () -> KeyStore.loadOrCreate(tmp));
  }

  @Test
  void looseModeIsTightened() throws IOException {
    KeyPair keys = KeyPair.generate();
    Path file = tmp.resolve(KeyStore.FILE_NAME);
    Files.writeString(file, keys.privateKey().toBase64() + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(keys.publicKey(), KeyStore.loadOrCreate(tmp).publicKey());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp)));
  }

  @Test
  void stateDirectoryThatIsAFileIsAnError() throws IOException {
    Path notDir = tmp.resolve("state");
    Files.writeString(notDir, "x");
    assertThrows(IOException.class, () -> KeyStore.loadOrCreate(notDir));
  }
}
