/**
 * A suite's hash and MAC on one hash function and its KDF on another. Only
 * ts-mls's provisional post-quantum suites 77 to 80 need it: they hash with
 * SHA-256 or SHA-384 but derive with HKDF-SHA512 (`src/crypto/pq_suites.ts`).
 * Everywhere else the two are one {@link KdfPart}.
 *
 * @module
 */

import type { CipherSuiteInfo } from "../src/crypto/cipher_suites.ts";
import { MlsError } from "../src/errors.ts";
import type { KdfPart } from "./suite.ts";
import type { HashName } from "./webcrypto.ts";

/**
 * The hash of an HKDF id (RFC 9180 §7.2).
 *
 * @param kdf the HPKE KDF id
 * @returns its hash function
 */
export function hkdfHash(kdf: number): HashName {
  switch (kdf) {
    case 0x0001:
      return "SHA-256";
    case 0x0002:
      return "SHA-384";
    case 0x0003:
      return "SHA-512";
  }
  throw new MlsError("unsupported_cipher_suite", `unknown HPKE KDF ${kdf}`);
}

/** Hash and HMAC from one part, HKDF (and `Nh`) from the other. */
export class SplitKdf implements KdfPart {
  /** `KDF.Nh`: the KDF's output length. */
  readonly hashLength: number;
  /** The hash's output length. */
  readonly digestLength: number;
  #hash: KdfPart;
  #kdf: KdfPart;

  /**
   * Joins the two parts.
   *
   * @param hash serves `hash` and `mac`
   * @param kdf serves `extract`, `expand` and `extractExpand`
   */
  constructor(hash: KdfPart, kdf: KdfPart) {
    this.#hash = hash;
    this.#kdf = kdf;
    this.hashLength = kdf.hashLength;
    this.digestLength = hash.hashLength;
  }

  /** The suite's hash. */
  hash(data: Uint8Array): Promise<Uint8Array> {
    return this.#hash.hash(data);
  }
  /** HMAC with the suite's hash. */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    return this.#hash.mac(key, data);
  }
  /** HKDF-Extract with the KDF's hash. */
  extract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
    return this.#kdf.extract(salt, ikm);
  }
  /** HKDF-Expand with the KDF's hash. */
  expand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return this.#kdf.expand(prk, info, length);
  }
  /** HKDF-Extract then HKDF-Expand with the KDF's hash. */
  async extractExpand(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (this.#kdf.extractExpand) {
      return await this.#kdf.extractExpand(salt, ikm, info, length);
    }
    const prk = await this.#kdf.extract(salt, ikm);
    try {
      return await this.#kdf.expand(prk, info, length);
    } finally {
      prk.fill(0);
    }
  }
}

/**
 * The suite's KDF part: one part when its hash and KDF agree, else a
 * {@link SplitKdf}.
 *
 * @param info the suite
 * @param make builds the part of one hash function
 * @returns the KDF part
 */
export function kdfPartFor(
  info: CipherSuiteInfo,
  make: (hash: HashName) => KdfPart,
): KdfPart {
  const kdfHash = hkdfHash(info.kdf);
  const main = make(info.hash);
  return kdfHash === info.hash ? main : new SplitKdf(main, make(kdfHash));
}
