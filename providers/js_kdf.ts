/**
 * SHA-2, HMAC and HKDF in JavaScript (`@noble/hashes`) for small inputs,
 * `crypto.subtle` for large ones: the `kdf: "js"` provider option, the
 * default on Deno (`defaultKdf` in `mod.ts`).
 *
 * Why it exists: MLS runs many hash and KDF operations on inputs of a few
 * dozen bytes (key-schedule labels, secret-tree and ratchet steps, tree and
 * parent hashes), and in Deno every `crypto.subtle` call costs a round trip
 * of tens of microseconds (on the benchmark machine: SHA-256 of 60 bytes 56
 * µs, HMAC import+sign 89 µs, against 4 µs and 10 µs here; see
 * `bench/README.md`). It is the default where that was measured (Deno);
 * elsewhere the default stays WebCrypto, the project's rule being
 * `crypto.subtle` wherever WebCrypto has the algorithm unless a measurement
 * says otherwise. With it, HPKE's key schedule and KEM use the same HKDF
 * (`hpke_kdf.ts`).
 *
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { MlsError } from "../src/errors.ts";
import type { KdfPart } from "./suite.ts";
import { type HashName, WebKdf } from "./webcrypto.ts";

const HASHES: Record<HashName, CHash> = {
  "SHA-256": sha256,
  "SHA-384": sha384,
  "SHA-512": sha512,
};

/**
 * Inputs up to this many bytes are hashed in JavaScript; WebCrypto's fixed
 * cost per call outweighs its speed per byte below a few kilobytes.
 */
export const JS_KDF_LIMIT = 4096;

/** Hash, HMAC and HKDF: `@noble/hashes` for small inputs, else WebCrypto. */
export class JsKdf implements KdfPart {
  /** `Nh`. */
  readonly hashLength: number;
  #hash: CHash;
  #web: WebKdf;

  /**
   * HKDF on one hash.
   *
   * @param hash the hash function
   */
  constructor(hash: HashName) {
    this.#hash = HASHES[hash];
    this.#web = new WebKdf(hash);
    this.hashLength = this.#web.hashLength;
  }

  /** The hash of `data`. */
  hash(data: Uint8Array): Promise<Uint8Array> {
    if (data.length > JS_KDF_LIMIT) return this.#web.hash(data);
    return Promise.resolve(this.#hash(data));
  }

  /** HMAC of `data` under `key`. */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    if (data.length > JS_KDF_LIMIT) return this.#web.mac(key, data);
    return Promise.resolve(hmac(this.#hash, key, data));
  }

  /** HKDF-Extract: `HMAC(salt, ikm)` (an empty salt is `Nh` zeros). */
  extract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
    return this.mac(salt, ikm);
  }

  #expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const nh = this.hashLength;
    const n = Math.ceil(length / nh);
    if (!Number.isInteger(length) || length < 0 || n > 255) {
      throw new MlsError("invalid_argument", "HKDF-Expand length out of range");
    }
    const out = new Uint8Array(n * nh);
    const input = new Uint8Array(nh + info.length + 1);
    input.set(info, nh);
    const keyed = hmac.create(this.#hash, prk);
    for (let i = 1; i <= n; i++) {
      input[nh + info.length] = i;
      const t = keyed.clone()
        .update(i === 1 ? input.subarray(nh) : input)
        .digest();
      out.set(t, (i - 1) * nh);
      input.set(t, 0);
    }
    keyed.destroy();
    input.fill(0);
    return out.length === length ? out : out.slice(0, length);
  }

  /** HKDF-Expand (RFC 5869 §2.3). */
  expand(
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (info.length > JS_KDF_LIMIT) return this.#web.expand(prk, info, length);
    try {
      return Promise.resolve(this.#expand(prk, info, length));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** HKDF-Extract then HKDF-Expand. */
  extractExpand(
    salt: Uint8Array,
    ikm: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    if (ikm.length > JS_KDF_LIMIT || info.length > JS_KDF_LIMIT) {
      return this.#web.extractExpand(salt, ikm, info, length);
    }
    try {
      const prk = hmac(this.#hash, salt, ikm);
      const out = this.#expand(prk, info, length);
      prk.fill(0);
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
