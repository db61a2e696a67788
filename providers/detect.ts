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
}

/** The answer when the pure-JS fallback is forced. */
export const NO_OPTIONAL_FEATURES: WebCryptoFeatures = Object.freeze({
  ed25519: false,
  x25519: false,
  x448: false,
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

let detected: Promise<WebCryptoFeatures> | undefined;

/**
 * Detects, once, which optional algorithms `crypto.subtle` supports.
 *
 * @returns the cached detection result
 */
export function detectWebCryptoFeatures(): Promise<WebCryptoFeatures> {
  return detected ??= (async () => {
    const [ed25519, x25519, x448] = await Promise.all([
      works(() => probeSignature("Ed25519")),
      works(() => probeDh("X25519", 256)),
      works(() => probeDh("X448", 448)),
    ]);
    return { ed25519, x25519, x448 };
  })();
}
