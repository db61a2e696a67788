/**
 * Symmetric primitives on `crypto.subtle`: SHA-2, HMAC, HKDF and AES-GCM.
 * Imported HMAC and HKDF keys are cached per key buffer (see
 * {@link SecretCache}), so the many derivations from one secret import it
 * once; AES keys, each used once, are not.
 *
 * @module
 */

import { MlsError } from "../src/errors.ts";
import { SecretCache } from "./key_cache.ts";
import type { AeadPart, KdfPart } from "./suite.ts";

/** A SHA-2 hash name as WebCrypto spells it. */
export type HashName = "SHA-256" | "SHA-384" | "SHA-512";

/**
 * Views bytes as backed by a plain `ArrayBuffer`, the type WebCrypto's
 * signatures ask for. A type assertion, not a copy.
 *
 * @param b the bytes
 * @returns the same bytes
 */
export function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

const HASH_LENGTH: Record<HashName, number> = {
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

/** Hash, HMAC and HKDF over WebCrypto. */
export class WebKdf implements KdfPart {
  /** `Nh`. */
  readonly hashLength: number;
  #hash: HashName;
  #alg: HmacImportParams;
  #keys = new SecretCache<CryptoKey>();
  #hkdfKeys = new SecretCache<CryptoKey>();
  #zeroKey: Promise<CryptoKey> | undefined;

  /**
   * HKDF on one hash.
   *
   * @param hash the hash function
   */
  constructor(hash: HashName) {
    this.#hash = hash;
    this.hashLength = HASH_LENGTH[hash];
    this.#alg = { name: "HMAC", hash };
  }

  /** The hash of `data`. */
  async hash(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.digest(this.#hash, buf(data)));
  }

  #import = (raw: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey("raw", buf(raw), this.#alg, false, ["sign"]);

  /**
   * The HMAC key for `raw`. An empty key is replaced by `Nh` zero bytes,
   * which HMAC treats identically (both are zero-padded to the block size)
   * and which WebCrypto accepts.
   */
  #key(raw: Uint8Array): Promise<CryptoKey> {
    if (raw.length === 0) {
      return this.#zeroKey ??= this.#import(new Uint8Array(this.hashLength));
    }
    return this.#keys.get(raw, this.#import);
  }

  /** HMAC of `data` under `key`. */
  async mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const k = await this.#key(key);
    return new Uint8Array(await crypto.subtle.sign("HMAC", k, buf(data)));
  }

  /** HKDF-Extract (RFC 5869 §2.2): `HMAC(salt, ikm)`. */
  extract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
    return this.mac(salt, ikm);
  }

  #importHkdf = (raw: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey("raw", buf(raw), "HKDF", false, ["deriveBits"]);

  /**
   * `HKDF-Expand(HKDF-Extract(salt, ikm), info, length)` as WebCrypto's
   * HKDF: one import of `ikm` (cached per buffer, so several derivations
   * from one input share it) and one `deriveBits`, where Extract then
   * Expand on HMAC take two imports and two signatures in sequence.
   */
  async extractExpand(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (
      !Number.isInteger(length) || length < 0 || length > 255 * this.hashLength
    ) {
      throw new MlsError("invalid_argument", "HKDF-Expand length out of range");
    }
    if (length === 0) return new Uint8Array(0);
    const key = await this.#hkdfKeys.get(ikm, this.#importHkdf);
    return new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "HKDF", hash: this.#hash, salt: buf(salt), info: buf(info) },
        key,
        8 * length,
      ),
    );
  }

  /** HKDF-Expand (RFC 5869 §2.3) on HMAC. */
  async expand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const nh = this.hashLength;
    const n = Math.ceil(length / nh);
    if (!Number.isInteger(length) || length < 0 || n > 255) {
      throw new MlsError("invalid_argument", "HKDF-Expand length out of range");
    }
    if (n === 0) return new Uint8Array(0);
    const key = await this.#key(prk);
    // input = T(i-1) || info || i; T(0) is empty, so block 1 skips the prefix
    const input = new Uint8Array(nh + info.length + 1);
    input.set(info, nh);
    const out = new Uint8Array(n * nh);
    for (let i = 1; i <= n; i++) {
      input[nh + info.length] = i;
      const t = new Uint8Array(
        await crypto.subtle.sign(
          "HMAC",
          key,
          i === 1 ? input.subarray(nh) : input,
        ),
      );
      out.set(t, (i - 1) * nh);
      input.set(t, 0);
    }
    return out.length === length ? out : out.slice(0, length);
  }
}

const GCM_NONCE = 12;

/**
 * AES-GCM (128-bit tag) over WebCrypto. Keys are imported per call, not
 * cached: MLS uses each AEAD key once (a ratchet generation, a sender-data
 * key, a welcome key), and a cached import would only keep a consumed key
 * alive.
 */
export class WebAesGcm implements AeadPart {
  /** `Nk`: 16 or 32. */
  readonly keyLength: number;
  /** `Nn`: 12. */
  readonly nonceLength: number = GCM_NONCE;

  /**
   * AES-GCM with one key size.
   *
   * @param keyLength 16 for AES-128-GCM, 32 for AES-256-GCM
   */
  constructor(keyLength: 16 | 32) {
    this.keyLength = keyLength;
  }

  #import = (raw: Uint8Array): Promise<CryptoKey> =>
    crypto.subtle.importKey("raw", buf(raw), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);

  #params(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): AesGcmParams {
    if (key.length !== this.keyLength || nonce.length !== GCM_NONCE) {
      throw new MlsError("invalid_argument", "bad AES-GCM key or nonce length");
    }
    return { name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad) };
  }

  /** Encrypts; the result is ciphertext || tag. */
  async seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    const params = this.#params(key, nonce, aad);
    const k = await this.#import(key);
    return new Uint8Array(
      await crypto.subtle.encrypt(params, k, buf(plaintext)),
    );
  }

  /** Decrypts; throws `MlsError("crypto_failure")` on a bad tag. */
  async open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    const params = this.#params(key, nonce, aad);
    const k = await this.#import(key);
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(params, k, buf(ciphertext)),
      );
    } catch (cause) {
      throw new MlsError(
        "crypto_failure",
        "AEAD decryption failed",
        undefined,
        {
          cause,
        },
      );
    }
  }
}
