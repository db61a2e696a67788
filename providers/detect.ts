/**
 * Feature detection for the WebCrypto algorithms that not every runtime
 * has. Each algorithm is exercised once (generate, then sign or derive);
 * the result is cached for the life of the process.
 *
 * @module
 */

/** Which optional WebCrypto algorithms work in this runtime. */
export interface WebCryptoFeatures {
  /** Ed25519 sign/verify. */
  ed25519: boolean;
  /** X25519 key agreement. */
  x25519: boolean;
  /** X448 key agreement. */
  x448: boolean;
  /**
   * Whether an ECDH private key imported from PKCS#8 without its public key
   * exports as JWK (which is how the HPKE provider learns its public key).
   * Firefox says no; the provider then computes it with `@noble/curves`.
   */
  ecdhJwkOfPkcs8: boolean;
}

/** The answer when the pure-JS fallback is forced. */
export const NO_OPTIONAL_FEATURES: WebCryptoFeatures = Object.freeze({
  ed25519: false,
  x25519: false,
  x448: false,
  ecdhJwkOfPkcs8: false,
});

async function works(f: () => Promise<unknown>): Promise<boolean> {
  try {
    await f();
    return true;
  } catch {
    return false;
  }
}

async function probeSignature(name: string): Promise<void> {
  const s = crypto.subtle;
  const kp = await s.generateKey({ name }, false, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const msg = new Uint8Array(1);
  const sig = await s.sign(name, kp.privateKey, msg);
  if (!await s.verify(name, kp.publicKey, sig, msg)) throw new Error(name);
}

async function probeDh(name: string, bits: number): Promise<void> {
  const s = crypto.subtle;
  const kp = await s.generateKey({ name }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  await s.exportKey("jwk", kp.privateKey);
  await s.deriveBits({ name, public: kp.publicKey }, kp.privateKey, bits);
}

/**
 * PKCS#8 of the P-256 private scalar 1, without the optional public key
 * (RFC 5915 §3), as `@hpke/core` imports derived keys.
 */
// deno-fmt-ignore
const P256_PKCS8_OF_ONE = new Uint8Array([
  0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
  0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
  ...new Uint8Array(31), 0x01,
]);

async function probeEcdhJwkOfPkcs8(): Promise<void> {
  const alg = { name: "ECDH", namedCurve: "P-256" };
  const key = await crypto.subtle.importKey(
    "pkcs8",
    P256_PKCS8_OF_ONE,
    alg,
    true,
    ["deriveBits"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", key);
  if (!jwk.x || !jwk.y) throw new Error("no public key in the JWK");
}

let detected: Promise<WebCryptoFeatures> | undefined;

/**
 * Detects, once, which optional algorithms `crypto.subtle` supports.
 *
 * @returns the cached detection result
 */
export function detectWebCryptoFeatures(): Promise<WebCryptoFeatures> {
  return detected ??= (async () => {
    const [ed25519, x25519, x448, ecdhJwkOfPkcs8] = await Promise.all([
      works(() => probeSignature("Ed25519")),
      works(() => probeDh("X25519", 256)),
      works(() => probeDh("X448", 448)),
      works(probeEcdhJwkOfPkcs8),
    ]);
    return { ed25519, x25519, x448, ecdhJwkOfPkcs8 };
  })();
}
