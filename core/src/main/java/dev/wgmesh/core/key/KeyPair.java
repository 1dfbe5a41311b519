package dev.wgmesh.core.key;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;

/**
 * A WireGuard (X25519) key pair, generated and derived with the JDK's own X25519: the UAPI
 * protocol does not report an interface's public key, so it is derived from the private one.
 */
public record KeyPair(WireGuardKey privateKey, WireGuardKey publicKey) {

  @Override
  public String toString() {
    return "KeyPair[public=" + publicKey.toBase64() + "]";
  }

  public static KeyPair generate() {
    byte[] priv = new byte[WireGuardKey.LENGTH];
    new SecureRandom().nextBytes(priv);
    // Clamp as wg genkey does, so the stored private key is in canonical form.
    priv[0] &= (byte) 248;
    priv[31] &= 127;
    priv[31] |= 64;
    WireGuardKey privateKey = WireGuardKey.of(priv);
    return new KeyPair(privateKey, publicKeyOf(privateKey));
  }

  public static KeyPair fromPrivate(WireGuardKey privateKey) {
    return new KeyPair(privateKey, publicKeyOf(privateKey));
  }

  public static WireGuardKey publicKeyOf(WireGuardKey privateKey) {
    try {
      KeyFactory factory = KeyFactory.getInstance("X25519");
      XECPrivateKey priv =
          (XECPrivateKey) factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey.bytes()));
      // public = X25519(private, base point 9): one key agreement with the base point.
      javax.crypto.KeyAgreement agreement = javax.crypto.KeyAgreement.getInstance("X25519");
      agreement.init(priv);
      XECPublicKey basePoint =
          (XECPublicKey) factory.generatePublic(new java.security.spec.XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9)));
      agreement.doPhase(basePoint, true);
      return WireGuardKey.of(agreement.generateSecret());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 is not available in this JDK", e);
    }
  }
}
