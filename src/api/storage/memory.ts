/**
 * In-memory {@link Storage}: the default. State lasts as long as the
 * object; values are copied in and out so callers cannot alias them.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import {
  type BatchOptions,
  conditionHolds,
  conflict,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "./storage.ts";

function copy(v: StorageValue): StorageValue {
  return v instanceof Uint8Array ? v.slice() : v;
}

/**
 * A {@link Storage} in a `Map`.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "@webmls/mls";
 * const storage = new MemoryStorage();
 * await storage.batch([{ key: "a", value: new Uint8Array([1]) }]);
 * console.log(await storage.get("a"));
 * ```
 */
export class MemoryStorage implements Storage {
  /** Memory can hold `CryptoKey` objects. */
  readonly canStoreCryptoKeys = true;
  /** Batches check their conditions (several `MLS` over one object). */
  readonly conditionalBatches = true;
  #data = new Map<string, StorageValue>();

  /** Reads one key. */
  get(key: string): Promise<StorageValue | undefined> {
    const v = this.#data.get(key);
    return Promise.resolve(v === undefined ? undefined : copy(v));
  }

  /**
   * Applies all writes (checked first, then one synchronous loop: nothing
   * is applied if any write is invalid or any condition of
   * `options.expect` does not hold, `storage_conflict`).
   */
  batch(
    writes: readonly StorageWrite[],
    options?: BatchOptions,
  ): Promise<void> {
    for (const w of writes) {
      const ok = typeof w.key === "string" &&
        (w.value === undefined || w.value instanceof Uint8Array ||
          (typeof CryptoKey !== "undefined" && w.value instanceof CryptoKey));
      if (!ok) {
        return Promise.reject(
          new MlsError(
            "invalid_argument",
            "values are bytes or CryptoKeys",
            w.key,
          ),
        );
      }
    }
    for (const c of options?.expect ?? []) {
      if (!conditionHolds(this.#data.get(c.key), c.value)) {
        return Promise.reject(conflict(c.key));
      }
    }
    for (const w of writes) {
      if (w.value === undefined) this.#data.delete(w.key);
      else this.#data.set(w.key, copy(w.value));
    }
    return Promise.resolve();
  }

  /** Keys with `prefix`, sorted. */
  list(prefix: string): Promise<string[]> {
    return Promise.resolve(
      [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort(),
    );
  }
}
