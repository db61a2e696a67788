/**
 * Caches of imported keys, so a key used twice is imported once.
 *
 * - {@link SecretCache} is keyed by the identity of the caller's
 *   `Uint8Array` (a `WeakMap`, so an entry lives no longer than the bytes it
 *   was made from) and keeps a private copy of the bytes: a hit whose bytes
 *   changed since (for example wiped) is treated as a miss. Secrets never
 *   become map keys or strings.
 * - {@link PublicCache} is keyed by the hex of public bytes, bounded, and
 *   evicts the least recently used entry; public keys arrive as fresh arrays
 *   parsed from messages, so identity would rarely hit.
 *
 * Both store promises, so concurrent requests for one key share an import,
 * and forget a promise that rejects. A {@link SecretCache} registers each
 * buffer with `src/util/secret_holders.ts`, so `wipe()` (and
 * `forgetSecret`) drops the entries of a secret deleted while its buffer
 * may still be referenced.
 *
 * @module
 */

import { constantTimeEqual, toHex } from "../src/util/bytes.ts";
import { holdSecret, type SecretHolder } from "../src/util/secret_holders.ts";

interface SecretEntry<V> {
  copy: Uint8Array;
  value: Promise<V>;
}

/** A cache from secret bytes (by identity, checked by content) to a value. */
export class SecretCache<V> {
  #map = new WeakMap<Uint8Array, SecretEntry<V>>();
  /** Drops (wiping its copy) the entry of a forgotten secret. */
  #holder: SecretHolder = {
    forget: (raw) => {
      const e = this.#map.get(raw);
      if (e) {
        e.copy.fill(0);
        this.#map.delete(raw);
      }
    },
  };

  /**
   * The cached value for `raw`, or `make(raw)` (then cached).
   *
   * @param raw the secret bytes
   * @param make builds the value on a miss
   * @returns the value
   */
  get(raw: Uint8Array, make: (raw: Uint8Array) => Promise<V>): Promise<V> {
    const hit = this.#map.get(raw);
    if (hit && constantTimeEqual(hit.copy, raw)) return hit.value;
    const value = make(raw);
    const entry = { copy: raw.slice(), value };
    this.#map.set(raw, entry);
    holdSecret(raw, this.#holder);
    value.catch(() => {
      if (this.#map.get(raw) === entry) this.#map.delete(raw);
    });
    return value;
  }

  /**
   * The cached value for `raw`, if any (nothing is made on a miss).
   *
   * @param raw the secret bytes
   * @returns the value, or undefined
   */
  peek(raw: Uint8Array): Promise<V> | undefined {
    const hit = this.#map.get(raw);
    return hit && constantTimeEqual(hit.copy, raw) ? hit.value : undefined;
  }

  /**
   * Records a value already known for `raw`.
   *
   * @param raw the secret bytes
   * @param value the value that `make(raw)` would produce
   */
  set(raw: Uint8Array, value: V): void {
    this.#map.set(raw, { copy: raw.slice(), value: Promise.resolve(value) });
    holdSecret(raw, this.#holder);
  }
}

/** A bounded least-recently-used cache from public bytes to a value. */
export class PublicCache<V> {
  #map = new Map<string, Promise<V>>();
  #max: number;

  /**
   * An empty cache.
   *
   * @param max the number of entries kept
   */
  constructor(max = 256) {
    this.#max = max;
  }

  /**
   * The cached value for `bytes`, or `make(bytes)` (then cached).
   *
   * @param bytes the public bytes
   * @param make builds the value on a miss
   * @returns the value
   */
  get(bytes: Uint8Array, make: (bytes: Uint8Array) => Promise<V>): Promise<V> {
    const k = toHex(bytes);
    const hit = this.#map.get(k);
    if (hit) {
      this.#map.delete(k);
      this.#map.set(k, hit);
      return hit;
    }
    const value = make(bytes);
    this.#map.set(k, value);
    if (this.#map.size > this.#max) {
      this.#map.delete(this.#map.keys().next().value!);
    }
    value.catch(() => {
      if (this.#map.get(k) === value) this.#map.delete(k);
    });
    return value;
  }
}
