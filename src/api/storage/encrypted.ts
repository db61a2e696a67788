/**
 * Encryption at rest: {@link EncryptedStorage} wraps any {@link Storage}
 * and encrypts every value with AES-GCM (WebCrypto) under an application
 * key, so that the backing store — a Deno KV file, IndexedDB's files in a
 * browser profile, a backup — never holds a group secret, a ratchet key, an
 * HPKE or signature private key in plaintext.
 *
 * Format of a stored value:
 *
 * ```text
 * uint8  version = 1
 * opaque nonce[12]            fresh random per write
 * opaque ciphertext_and_tag   AES-GCM(key, nonce, value, aad)
 * aad = "webmls encrypted storage v1" || 0x00 || UTF-8(storage key)
 * ```
 *
 * The associated data binds each value to its storage key: a value moved
 * or copied to another key, altered, or written under another key fails
 * with `MlsError("storage_tampered")`. Nonces are random, so a key should
 * encrypt fewer than 2^32 values (NIST SP 800-38D, §8.3); that is billions
 * of writes.
 *
 * What stays in the clear: the storage keys. The library's keys name
 * public things only (client ids are signature public keys, group ids,
 * key-package references, epochs, leaf indices) — metadata, no secret.
 * `CryptoKey` values (non-extractable signature keys) are passed through
 * to a backing store that keeps `CryptoKey`s natively (IndexedDB, memory):
 * WebCrypto will not encrypt a key it does not let JavaScript read, and the
 * browser keeps it with the profile's other IndexedDB data. Over a store
 * that cannot keep them (Deno KV), the library stores signature keys as
 * bytes, and those are encrypted like any value.
 *
 * Deleted values: the backing store may keep freed pages (SQLite, behind
 * Deno KV, does not overwrite deleted rows); with this wrapper those pages
 * only ever held ciphertext. Discarding the application key (for example
 * `deleteAppKey()` in browsers) makes everything it encrypted unreadable.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import { utf8Encode } from "../../util/bytes.ts";
import {
  ab,
  decodeKeyRecord,
  type EncryptedStorageOptions,
  existingKey,
  keySource,
  META_KEY,
  newKey,
  NONCE_BYTES,
  RESERVED_PREFIX,
  TAG_BYTES,
} from "./encrypted_key.ts";
import type { Storage, StorageValue, StorageWrite } from "./storage.ts";

export type { EncryptedStorageOptions } from "./encrypted_key.ts";

/** The format version of a stored value. */
const VALUE_VERSION = 1;
const AD_PREFIX = utf8Encode("webmls encrypted storage v1\0");

function isCryptoKey(v: unknown): v is CryptoKey {
  return typeof CryptoKey !== "undefined" && v instanceof CryptoKey;
}

function reserved(key: string): boolean {
  return typeof key === "string" && key.startsWith(RESERVED_PREFIX);
}

/** The associated data of the value at `key`. */
function aad(key: string): Uint8Array<ArrayBuffer> {
  const k = utf8Encode(key);
  const out = new Uint8Array(AD_PREFIX.length + k.length);
  out.set(AD_PREFIX);
  out.set(k, AD_PREFIX.length);
  return out;
}

/**
 * A {@link Storage} that encrypts every value of another one with AES-GCM
 * under an application key: a `CryptoKey` (in browsers, a non-extractable
 * one kept in IndexedDB by `openAppKey()`), a raw 16- or 32-byte key, or a
 * passphrase (PBKDF2-HMAC-SHA-256, 600,000 iterations by default, random
 * salt). Open it with {@link EncryptedStorage.open}; a wrong key is
 * refused there (`wrong_key`).
 *
 * @example A Deno KV file protected by a passphrase
 * ```ts ignore
 * import { DenoKvStorage, EncryptedStorage, MLS } from "@webmls/mls";
 * const storage = await EncryptedStorage.open(new DenoKvStorage("./mls.kv"), {
 *   passphrase: Deno.env.get("MLS_PASSPHRASE")!,
 * });
 * const mls = new MLS({ storage });
 * ```
 *
 * @example In a browser, with a key that never leaves WebCrypto
 * ```ts ignore
 * import { EncryptedStorage, IndexedDbStorage, MLS, openAppKey } from "@webmls/mls";
 * const storage = await EncryptedStorage.open(new IndexedDbStorage("my-app"), {
 *   key: await openAppKey(),
 * });
 * const mls = new MLS({ storage });
 * ```
 *
 * @example Values are bound to their keys
 * ```ts
 * import { EncryptedStorage, MemoryStorage, MlsError } from "@webmls/mls";
 * const inner = new MemoryStorage();
 * const storage = await EncryptedStorage.open(inner, {
 *   rawKey: crypto.getRandomValues(new Uint8Array(32)),
 * });
 * await storage.batch([{ key: "a", value: new Uint8Array([1, 2, 3]) }]);
 * console.log(await storage.get("a")); // Uint8Array [1, 2, 3]
 * await inner.batch([{ key: "b", value: await inner.get("a") }]);
 * await storage.get("b").catch((e: MlsError) => console.log(e.code)); // storage_tampered
 * ```
 */
export class EncryptedStorage implements Storage {
  readonly #inner: Storage;
  readonly #key: CryptoKey;

  private constructor(inner: Storage, key: CryptoKey) {
    this.#inner = inner;
    this.#key = key;
  }

  /**
   * Opens `inner` with a key: the first time, stores the key record (the
   * PBKDF2 salt and iterations, a key check) in `inner`; later, checks the
   * key against it. Throws `MlsError` `wrong_key` for a key or passphrase
   * that does not open the store, `invalid_argument` for bad options or
   * for an `inner` that already holds values written without encryption.
   */
  static async open(
    inner: Storage,
    options: EncryptedStorageOptions,
  ): Promise<EncryptedStorage> {
    if (
      typeof inner !== "object" || inner === null ||
      typeof inner.get !== "function" || typeof inner.batch !== "function" ||
      typeof inner.list !== "function"
    ) {
      throw new MlsError("invalid_argument", "a Storage", "inner");
    }
    keySource(options);
    // Twice at most: a concurrent opener may store its record first.
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await inner.get(META_KEY);
      if (stored instanceof Uint8Array) {
        const key = await existingKey(options, decodeKeyRecord(stored));
        return new EncryptedStorage(inner, key);
      }
      if (attempt === 0 && (await inner.list("")).length > 0) {
        throw new MlsError(
          "invalid_argument",
          "the storage already holds values that are not encrypted",
          "inner",
        );
      }
      const { key, record } = await newKey(options);
      await inner.batch([{ key: META_KEY, value: record }]);
      const back = await inner.get(META_KEY);
      if (
        back instanceof Uint8Array && back.length === record.length &&
        back.every((b, i) => b === record[i])
      ) {
        return new EncryptedStorage(inner, key);
      }
    }
    throw new MlsError("storage_conflict", "the key record keeps changing");
  }

  /**
   * Whether values may be `CryptoKey`s: as the backing store. They are
   * stored as they are (see the module notes).
   */
  get canStoreCryptoKeys(): boolean {
    return this.#inner.canStoreCryptoKeys;
  }

  #checkKey(key: string): void {
    if (typeof key !== "string") {
      throw new MlsError("invalid_argument", "a storage key must be a string");
    }
    if (reserved(key)) {
      throw new MlsError(
        "invalid_argument",
        `keys under ${RESERVED_PREFIX} belong to EncryptedStorage`,
        key,
      );
    }
  }

  async #seal(key: string, value: Uint8Array): Promise<Uint8Array> {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    let sealed: ArrayBuffer;
    try {
      sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad(key) },
        this.#key,
        ab(value),
      );
    } catch (e) {
      throw new MlsError("crypto_failure", "encryption failed", key, {
        cause: e,
      });
    }
    const out = new Uint8Array(1 + NONCE_BYTES + sealed.byteLength);
    out[0] = VALUE_VERSION;
    out.set(nonce, 1);
    out.set(new Uint8Array(sealed), 1 + NONCE_BYTES);
    return out;
  }

  async #open(key: string, stored: Uint8Array): Promise<Uint8Array> {
    if (stored.length > 0 && stored[0] !== VALUE_VERSION) {
      throw new MlsError(
        "unsupported_state_version",
        `unknown encrypted value version ${stored[0]}`,
        key,
      );
    }
    if (stored.length < 1 + NONCE_BYTES + TAG_BYTES) {
      throw new MlsError("storage_tampered", "truncated encrypted value", key);
    }
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: ab(stored.subarray(1, 1 + NONCE_BYTES)),
            additionalData: aad(key),
          },
          this.#key,
          ab(stored.subarray(1 + NONCE_BYTES)),
        ),
      );
    } catch (e) {
      throw new MlsError(
        "storage_tampered",
        "a stored value failed authentication: altered, moved from another key, or written under another key",
        key,
        { cause: e },
      );
    }
  }

  /** Reads and decrypts one key (a `CryptoKey` is returned as stored). */
  async get(key: string): Promise<StorageValue | undefined> {
    this.#checkKey(key);
    const v = await this.#inner.get(key);
    if (v === undefined || isCryptoKey(v)) return v;
    if (!(v instanceof Uint8Array)) {
      throw new MlsError("storage_failure", "unexpected stored value", key);
    }
    return await this.#open(key, v);
  }

  /**
   * Encrypts every value, then applies the writes as one batch of the
   * backing store: all of them or none. The caller's buffers are not kept.
   */
  async batch(writes: readonly StorageWrite[]): Promise<void> {
    if (!Array.isArray(writes)) {
      throw new MlsError("invalid_argument", "writes must be an array");
    }
    for (const w of writes) {
      this.#checkKey(w?.key);
      const v = w.value;
      const ok = v === undefined || v instanceof Uint8Array ||
        (isCryptoKey(v) && this.#inner.canStoreCryptoKeys);
      if (!ok) {
        throw new MlsError(
          "invalid_argument",
          this.#inner.canStoreCryptoKeys
            ? "values are bytes or CryptoKeys"
            : "values are bytes (the backing store cannot keep a CryptoKey)",
          w.key,
        );
      }
    }
    const sealed = await Promise.all(writes.map(async (w) => ({
      key: w.key,
      value: w.value instanceof Uint8Array
        ? await this.#seal(w.key, w.value)
        : w.value,
    })));
    await this.#inner.batch(sealed);
  }

  /** The keys that start with `prefix` (the wrapper's own are hidden). */
  async list(prefix: string): Promise<string[]> {
    return (await this.#inner.list(prefix)).filter((k) => !reserved(k));
  }

  /** Closes the backing store. */
  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}
