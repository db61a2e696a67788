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
 * @module
 */

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
 * A key-value store. Every method either completes or throws; a failed
 * {@link Storage.batch} must leave the store exactly as it was.
 */
export interface Storage {
  /** Whether values may be `CryptoKey` objects. */
  readonly canStoreCryptoKeys: boolean;
  /** Reads one key. */
  get(key: string): Promise<StorageValue | undefined>;
  /**
   * Applies all writes atomically: all of them or none. The values' bytes
   * must be copied (or written out) before the returned promise settles:
   * callers overwrite secret-bearing buffers once a batch is done.
   */
  batch(writes: readonly StorageWrite[]): Promise<void>;
  /** The keys that start with `prefix`, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  /** Releases resources (closes a database); further use is an error. */
  close?(): void | Promise<void>;
}

/** Reads a key that must hold bytes. */
export async function getBytes(
  storage: Storage,
  key: string,
): Promise<Uint8Array | undefined> {
  const v = await storage.get(key);
  return v instanceof Uint8Array ? v : undefined;
}
