/**
 * The storage interface behind {@link MLS}: a small key-value store with
 * atomic batches. Identities, key-package private keys and group states
 * live in it, so a client survives restarts. Backends: in memory (the
 * default), Deno KV and IndexedDB.
 *
 * Keys are strings with `/`-separated segments; values are bytes, or
 * `CryptoKey` objects on backends that can keep them (IndexedDB, memory), so
 * that non-extractable signature keys never leave WebCrypto.
 *
 * Several writers (two `MLS` instances, two browser tabs on one IndexedDB
 * database, two processes on one Deno KV file) stay apart through
 * conditional batches ({@link BatchOptions.expect}): a member's view writes
 * its group state only if the state is still the one it read. A storage
 * without them ({@link Storage.conditionalBatches} not `true`) gives
 * single-writer semantics only: one live view per member and group.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";

/** A stored value. */
export type StorageValue = Uint8Array | CryptoKey;

/** One write of an atomic batch: `value` undefined deletes the key. */
export interface StorageWrite {
  /** The key. */
  key: string;
  /** The new value, or `undefined` to delete. */
  value?: StorageValue;
}

/**
 * A condition of a conditional batch: `key` holds exactly the bytes
 * `value`, or nothing when `value` is `undefined`.
 */
export interface StorageCondition {
  /** The key. */
  key: string;
  /** The bytes it must hold, or `undefined`: it must be absent. */
  value?: Uint8Array;
}

/**
 * Options of {@link Storage.batch}.
 *
 * @example Write only if nobody wrote since the value was read
 * ```ts
 * import { MemoryStorage, MlsError } from "@webmls/mls";
 * const storage = new MemoryStorage();
 * await storage.batch([{ key: "head", value: new Uint8Array([1]) }]);
 * const read = (await storage.get("head")) as Uint8Array;
 * await storage.batch([{ key: "head", value: new Uint8Array([2]) }], {
 *   expect: [{ key: "head", value: read }],
 * });
 * try {
 *   await storage.batch([{ key: "head", value: new Uint8Array([3]) }], {
 *     expect: [{ key: "head", value: read }], // stale: it holds [2] now
 *   });
 * } catch (e) {
 *   console.log(e instanceof MlsError && e.code); // "storage_conflict"
 * }
 * ```
 */
export interface BatchOptions {
  /**
   * Conditions checked atomically with the writes: if any does not hold,
   * the batch changes nothing and throws `MlsError("storage_conflict")`.
   * Only storages whose {@link Storage.conditionalBatches} is `true` are
   * given conditions.
   */
  expect?: readonly StorageCondition[];
}

/**
 * A key-value store. Every method either completes or throws; a failed
 * {@link Storage.batch} must leave the store exactly as it was.
 *
 * @example A storage that logs its writes, on top of another
 * ```ts
 * import { type BatchOptions, MemoryStorage, type Storage, type StorageWrite } from "@webmls/mls";
 * const inner = new MemoryStorage();
 * const logged: Storage = {
 *   canStoreCryptoKeys: inner.canStoreCryptoKeys,
 *   conditionalBatches: inner.conditionalBatches,
 *   get: (key) => inner.get(key),
 *   list: (prefix) => inner.list(prefix),
 *   batch(writes: readonly StorageWrite[], options?: BatchOptions) {
 *     console.log(writes.map((w) => w.key));
 *     return inner.batch(writes, options);
 *   },
 * };
 * ```
 */
export interface Storage {
  /** Whether values may be `CryptoKey` objects. */
  readonly canStoreCryptoKeys: boolean;
  /**
   * Whether {@link Storage.batch} honours {@link BatchOptions.expect}. A
   * storage without it gets single-writer semantics only: at most one live
   * view per member and group (one tab, one process), or ratchet keys may
   * be used twice.
   */
  readonly conditionalBatches?: boolean;
  /** Reads one key. */
  get(key: string): Promise<StorageValue | undefined>;
  /**
   * Applies all writes atomically: all of them or none, and (on a storage
   * with {@link Storage.conditionalBatches}) only if every condition of
   * `options.expect` holds, checked in the same atomic step; otherwise it
   * throws `MlsError("storage_conflict")` having changed nothing. The
   * values' bytes must be copied (or written out) before the returned
   * promise settles: callers overwrite secret-bearing buffers once a batch
   * is done.
   */
  batch(
    writes: readonly StorageWrite[],
    options?: BatchOptions,
  ): Promise<void>;
  /** The keys that start with `prefix`, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  /** Releases resources (closes a database); further use is an error. */
  close?(): void | Promise<void>;
  /**
   * Optional: calls `listener` with the keys that other instances sharing
   * the same data (other tabs, other storage objects) changed, after their
   * batches commit; returns a function that stops the calls. `MLS` uses it
   * to bring its views up to date without waiting for their next call.
   */
  watch?(listener: (keys: readonly string[]) => void): () => void;
}

/** Whether a stored value satisfies a {@link StorageCondition}. */
export function conditionHolds(
  stored: StorageValue | undefined,
  expected: Uint8Array | undefined,
): boolean {
  if (expected === undefined) return stored === undefined;
  if (!(stored instanceof Uint8Array)) return false;
  if (stored.length !== expected.length) return false;
  for (let i = 0; i < stored.length; i++) {
    if (stored[i] !== expected[i]) return false;
  }
  return true;
}

/** The error of a batch whose condition does not hold. */
export function conflict(key: string): MlsError {
  return new MlsError(
    "storage_conflict",
    `the condition on ${key} does not hold: another writer changed it`,
  );
}

/** Reads a key that must hold bytes. */
export async function getBytes(
  storage: Storage,
  key: string,
): Promise<Uint8Array | undefined> {
  const v = await storage.get(key);
  return v instanceof Uint8Array ? v : undefined;
}
