/**
 * Fewer `crypto.subtle` calls per HPKE operation, without touching how
 * `@hpke/core` computes anything: its KEM's primitives get a
 * {@link KeyBytesSubtle} as their `SubtleCrypto`, and its KEM's KDF is
 * wrapped like the key schedule's (`hpke_kdf.ts`).
 *
 * {@link KeyBytesSubtle} forwards every call to `crypto.subtle` and
 * remembers the bytes of the public keys that pass through it, imported
 * from raw bytes or from a JWK. Exporting such a key again (`@hpke/core`
 * serializes the recipient's public key for every seal and every open, and
 * the provider serializes the public key of every derived key pair) returns
 * the bytes it was made from instead of a WebCrypto round trip: they are
 * the key's own encoding, so the result is the same. A private key imported
 * from PKCS#8 (as `@hpke/core`'s `DeriveKeyPair` does) is remembered until
 * the provider serializes it or calls {@link KeyBytesSubtle.forget}, which
 * it does right after each import and derivation, so no secret bytes stay
 * behind (the copy is zeroed).
 *
 * This reaches into two protected fields of `@hpke/common`'s classes
 * (`Dhkem._prim`/`_kdf`, `NativeAlgorithm._api`): the versions are pinned
 * in `deno.json`, {@link tuneKem} leaves a KEM whose fields have another
 * shape as it is, and `tests/hpke_kdf_test.ts` counts the calls per seal so
 * that a change shows.
 *
 * @module
 */

import type { KdfInterface, KemInterface } from "@hpke/core";

type Bytes = ArrayBuffer | ArrayBufferView;

function copyOf(b: Bytes): ArrayBuffer {
  if (b instanceof ArrayBuffer) return b.slice(0);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice().buffer;
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `SerializePublicKey` of a public JWK: `x` (OKP), `0x04 || x || y` (EC). */
function publicOfJwk(jwk: JsonWebKey): ArrayBuffer | undefined {
  if (jwk.d !== undefined || !jwk.x) return undefined;
  const x = fromB64url(jwk.x);
  if (jwk.kty === "OKP") return x.buffer as ArrayBuffer;
  if (jwk.kty !== "EC" || !jwk.y) return undefined;
  const y = fromB64url(jwk.y);
  const out = new Uint8Array(1 + x.length + y.length);
  out[0] = 0x04;
  out.set(x, 1);
  out.set(y, 1 + x.length);
  return out.buffer;
}

/**
 * The subset of `SubtleCrypto` that `@hpke`'s KEM primitives call, through
 * to `crypto.subtle`, remembering the bytes of imported public keys.
 */
export class KeyBytesSubtle {
  #raw = new WeakMap<CryptoKey, ArrayBuffer>();
  #pkcs8 = new WeakMap<CryptoKey, Uint8Array>();

  /**
   * `importKey`, remembering the bytes of a public key (raw or JWK) and of
   * a private key (PKCS#8) until {@link KeyBytesSubtle.forget}.
   */
  async importKey(
    format: KeyFormat,
    keyData: Bytes | JsonWebKey,
    algorithm: AlgorithmIdentifier | EcKeyImportParams,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const key = await crypto.subtle.importKey(
      // deno-lint-ignore no-explicit-any
      format as any,
      // deno-lint-ignore no-explicit-any
      keyData as any,
      algorithm,
      extractable,
      usages,
    );
    if (key.type === "public") {
      const raw = format === "raw"
        ? copyOf(keyData as Bytes)
        : format === "jwk"
        ? publicOfJwk(keyData as JsonWebKey)
        : undefined;
      if (raw) this.#raw.set(key, raw);
    } else if (format === "pkcs8" && extractable) {
      this.#pkcs8.set(key, new Uint8Array(copyOf(keyData as Bytes)));
    }
    return key;
  }

  /**
   * Records the raw bytes of a public key made elsewhere (generated, then
   * exported once).
   *
   * @param key the public key
   * @param raw its `SerializePublicKey` bytes (copied)
   */
  remember(key: CryptoKey, raw: Uint8Array): void {
    if (key.type === "public") this.#raw.set(key, copyOf(raw));
  }

  /**
   * `exportKey`: the raw bytes of a public key imported here from memory,
   * anything else from WebCrypto.
   */
  exportKey(format: "jwk", key: CryptoKey): Promise<JsonWebKey>;
  exportKey(format: "raw" | "pkcs8" | "spki", key: CryptoKey): Promise<
    ArrayBuffer
  >;
  exportKey(
    format: KeyFormat,
    key: CryptoKey,
  ): Promise<ArrayBuffer | JsonWebKey> {
    const raw = format === "raw" ? this.#raw.get(key) : undefined;
    if (raw) return Promise.resolve(raw.slice(0));
    const pkcs8 = format === "pkcs8" ? this.#pkcs8.get(key) : undefined;
    if (pkcs8) {
      // Handed out once: the caller owns these bytes now.
      this.#pkcs8.delete(key);
      return Promise.resolve(pkcs8.buffer as ArrayBuffer);
    }
    // deno-lint-ignore no-explicit-any
    return crypto.subtle.exportKey(format as any, key);
  }

  /**
   * Forgets (and zeroes) the PKCS#8 bytes remembered for a private key.
   *
   * @param key the private key
   */
  forget(key: CryptoKey): void {
    this.#pkcs8.get(key)?.fill(0);
    this.#pkcs8.delete(key);
  }

  /** `generateKey`. */
  generateKey(
    algorithm: AlgorithmIdentifier | EcKeyGenParams,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKeyPair | CryptoKey> {
    return crypto.subtle.generateKey(algorithm, extractable, usages);
  }

  /** `deriveBits`. */
  deriveBits(
    algorithm: AlgorithmIdentifier | EcdhKeyDeriveParams | HkdfParams,
    baseKey: CryptoKey,
    length: number,
  ): Promise<ArrayBuffer> {
    return crypto.subtle.deriveBits(algorithm, baseKey, length);
  }

  /** `sign` (HMAC, for a KEM whose KDF is `@hpke`'s own). */
  sign(
    algorithm: AlgorithmIdentifier,
    key: CryptoKey,
    data: BufferSource,
  ): Promise<ArrayBuffer> {
    return crypto.subtle.sign(algorithm, key, data);
  }
}

interface DhkemFields {
  _prim?: { _api?: unknown; _hkdf?: unknown };
  _kdf?: KdfInterface;
}

/**
 * Gives `kem`'s primitives `subtle` as their WebCrypto (only to a primitive
 * on WebCrypto: one whose `_api` field exists) and replaces its KDF by
 * `wrap(kdf)`, when the KEM has the expected fields.
 *
 * @param kem a `@hpke` DHKEM
 * @param subtle the key-remembering WebCrypto, or none
 * @param wrap returns the KDF the KEM should use instead of its own
 * @returns whether the KEM had the expected shape
 */
export function tuneKem(
  kem: KemInterface,
  subtle: KeyBytesSubtle | undefined,
  wrap: (inner: KdfInterface) => KdfInterface,
): boolean {
  const k = kem as unknown as DhkemFields;
  const prim = k._prim;
  const kdf = k._kdf;
  if (!prim || !kdf || typeof kdf.extractAndExpand !== "function") {
    return false;
  }
  if (subtle && "_api" in prim) prim._api = subtle;
  const wrapped = wrap(kdf);
  k._kdf = wrapped;
  if ("_hkdf" in prim && prim._hkdf === kdf) prim._hkdf = wrapped;
  return true;
}
