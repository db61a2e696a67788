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
 * and forget a promise that rejects. {@link forgetSecret} drops the entries
 * of a secret deleted while its buffer may still be referenced.
 *
 * @module
 */

const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

interface SecretEntry<V> {
  copy: Uint8Array;
  value: Promise<V>;
}

/** The caches holding an entry for a buffer, for {@link forgetSecret}. */
const holders = new WeakMap<
  Uint8Array,
  WeakMap<Uint8Array, SecretEntry<unknown>>[]
>();

/**
 * Drops every {@link SecretCache} entry made from `raw` (wiping the entry's
 * copy of the bytes): for secrets deleted before their buffer becomes
 * garbage, such as a hash ratchet's consumed generation, so that nothing
 * made from them (a copy, an imported key) outlives them in a cache.
 *
 * @param raw the secret bytes whose entries go
 */
export function forgetSecret(raw: Uint8Array): void {
  const maps = holders.get(raw);
  if (!maps) return;
  holders.delete(raw);
  for (const m of maps) {
    const e = m.get(raw);
    if (e) {
      e.copy.fill(0);
      m.delete(raw);
    }
  }
}

/** A cache from secret bytes (by identity, checked by content) to a value. */
export class SecretCache<V> {
  #map = new WeakMap<Uint8Array, SecretEntry<V>>();

  #hold(raw: Uint8Array): void {
    const m = this.#map as WeakMap<Uint8Array, SecretEntry<unknown>>;
    const maps = holders.get(raw);
    if (!maps) holders.set(raw, [m]);
    else if (!maps.includes(m)) maps.push(m);
  }

  /**
   * The cached value for `raw`, or `make(raw)` (then cached).
   *
   * @param raw the secret bytes
   * @param make builds the value on a miss
   * @returns the value
   */
  get(raw: Uint8Array, make: (raw: Uint8Array) => Promise<V>): Promise<V> {
    const hit = this.#map.get(raw);
    if (hit && same(hit.copy, raw)) return hit.value;
    const value = make(raw);
    const entry = { copy: raw.slice(), value };
    this.#map.set(raw, entry);
    this.#hold(raw);
    value.catch(() => {
      if (this.#map.get(raw) === entry) this.#map.delete(raw);
    });
    return value;
  }

  /**
   * Records a value already known for `raw`.
   *
   * @param raw the secret bytes
   * @param value the value that `make(raw)` would produce
   */
  set(raw: Uint8Array, value: V): void {
    this.#map.set(raw, { copy: raw.slice(), value: Promise.resolve(value) });
    this.#hold(raw);
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
    const k = hex(bytes);
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
