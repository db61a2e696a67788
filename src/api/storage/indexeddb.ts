/**
 * {@link Storage} on IndexedDB, for browsers: one object store whose keys
 * are the storage keys. Values are structured-cloned, so `CryptoKey`
 * objects persist, non-extractable ones included: a signature key survives
 * a reload without its bytes ever reaching JavaScript.
 *
 * Tabs of one origin share the database: a conditional batch reads and
 * compares its conditions in the readwrite transaction that writes, so
 * one writer wins; and every committed batch is announced on a
 * `BroadcastChannel` named after the database, so that the other tabs'
 * `MLS` instances ({@link IndexedDbStorage.watch}) bring their views up to
 * date.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import {
  failure,
  type IdbDatabase,
  type IdbFactory,
  type IdbKeyRangeStatic,
  request,
} from "./idb.ts";
import {
  type BatchOptions,
  conditionHolds,
  conflict,
  type Storage,
  type StorageValue,
  type StorageWrite,
} from "./storage.ts";

const STORE = "kv";

/** Subset of the DOM's `BroadcastChannel` (and Node's `unref`). */
interface Channel {
  postMessage(message: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  close(): void;
  unref?(): void;
}

/**
 * The exclusive upper bound of the strings that start with `prefix`
 * (IndexedDB orders strings by UTF-16 code units), or `undefined` when no
 * string is above them all.
 */
function prefixEnd(prefix: string): string | undefined {
  let p = prefix;
  while (p.length > 0 && p.charCodeAt(p.length - 1) === 0xffff) {
    p = p.slice(0, -1);
  }
  if (p.length === 0) return undefined;
  return p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
}

/** Options of {@link IndexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /**
   * The `IDBFactory` to use; default `globalThis.indexedDB`. Typed loosely
   * so that this module type-checks without the DOM library.
   */
  indexedDB?: unknown;
  /** The `IDBKeyRange` constructor; default `globalThis.IDBKeyRange`. */
  keyRange?: unknown;
}

/**
 * A {@link Storage} on IndexedDB (browsers). Each batch is one readwrite
 * transaction, so it is atomic; values may be `CryptoKey` objects.
 *
 * @example
 * ```ts ignore
 * import { IndexedDbStorage } from "@webmls/mls";
 * const storage = new IndexedDbStorage("my-app-mls");
 * await storage.batch([{ key: "a/b", value: new Uint8Array([1]) }]);
 * console.log(await storage.get("a/b"), await storage.list("a/"));
 * storage.close();
 * ```
 */
export class IndexedDbStorage implements Storage {
  /** IndexedDB structured-clones `CryptoKey` objects. */
  readonly canStoreCryptoKeys = true;
  /** Conditions are checked inside the writing transaction. */
  readonly conditionalBatches = true;
  #db: Promise<IdbDatabase>;
  #keyRange: IdbKeyRangeStatic | undefined;
  #closed = false;
  #name: string;
  /** The change announcements, opened on first use (if available). */
  #channel: Channel | undefined | null;
  #listeners = new Set<(keys: readonly string[]) => void>();

  /**
   * Opens (and on first use creates) a database.
   *
   * @param name the IndexedDB database name; default `"webmls"`
   * @param options a different `indexedDB` factory
   */
  constructor(name = "webmls", options: IndexedDbStorageOptions = {}) {
    this.#name = name;
    const g = globalThis as {
      indexedDB?: unknown;
      IDBKeyRange?: unknown;
    };
    const factory = (options.indexedDB ?? g.indexedDB) as
      | IdbFactory
      | undefined;
    this.#keyRange = (options.keyRange ?? g.IDBKeyRange) as
      | IdbKeyRangeStatic
      | undefined;
    this.#db = factory ? this.#openDb(factory, name) : Promise.reject(
      new MlsError("invalid_argument", "IndexedDB is not available here"),
    );
    // A failed open is reported by the first call, not as unhandled.
    this.#db.catch(() => {});
  }

  #openDb(factory: IdbFactory, name: string): Promise<IdbDatabase> {
    return new Promise((resolve, reject) => {
      const req = factory.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Let a newer version of the page upgrade the database.
        db.onversionchange = () => db.close();
        resolve(db);
      };
      req.onerror = () => reject(failure(req.error, "open"));
      req.onblocked = () =>
        reject(
          new MlsError("storage_failure", "IndexedDB open blocked"),
        );
    });
  }

  async #open(): Promise<IdbDatabase> {
    if (this.#closed) {
      throw new MlsError("storage_closed", "the storage is closed");
    }
    return await this.#db;
  }

  /** Reads one key. */
  async get(key: string): Promise<StorageValue | undefined> {
    const db = await this.#open();
    const store = db.transaction(STORE, "readonly").objectStore(STORE);
    const v = await request(store.get(key), "get");
    return v === undefined ? undefined : v as StorageValue;
  }

  /**
   * Applies all writes in one readwrite transaction, if the conditions of
   * `options.expect`, read in the same transaction, hold (otherwise
   * `MlsError("storage_conflict")`). Throws `MlsError("invalid_argument")`,
   * before writing anything, for a value that is neither bytes nor a
   * `CryptoKey`; a transaction that fails (e.g. `QuotaExceededError`:
   * `storage_limit`) leaves nothing changed. Once committed, the keys are
   * announced to the other tabs.
   */
  async batch(
    writes: readonly StorageWrite[],
    options?: BatchOptions,
  ): Promise<void> {
    for (const w of writes) {
      if (typeof w.key !== "string") {
        throw new MlsError(
          "invalid_argument",
          "a storage key must be a string",
        );
      }
      if (w.value !== undefined && !isStorable(w.value)) {
        throw new MlsError(
          "invalid_argument",
          "a stored value is bytes or a CryptoKey",
          w.key,
        );
      }
    }
    const expect = options?.expect ?? [];
    const db = await this.#open();
    const tx = db.transaction(STORE, "readwrite");
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(failure(tx.error, "batch"));
      tx.onabort = () => reject(failure(tx.error, "batch"));
    });
    const store = tx.objectStore(STORE);
    /** Why the batch aborted itself: a condition, or a synchronous failure. */
    let refused: MlsError | undefined;
    const abort = (why: MlsError) => {
      refused = why;
      try {
        tx.abort();
      } catch {
        // Already aborted.
      }
    };
    const write = () => {
      try {
        for (const w of writes) {
          if (w.value === undefined) store.delete(w.key);
          else store.put(w.value, w.key);
        }
      } catch (e) {
        // A synchronous failure (e.g. DataCloneError): undo everything.
        abort(failure(e, "batch"));
      }
    };
    if (expect.length === 0) write();
    else {
      // Read the conditions, then write from the last read's callback,
      // while the transaction is still active.
      let left = expect.length;
      let holds = true;
      for (const c of expect) {
        const req = store.get(c.key);
        req.onsuccess = () => {
          if (!conditionHolds(req.result as StorageValue, c.value)) {
            holds = false;
          }
          if (--left > 0) return;
          if (holds) write();
          else abort(conflict(c.key));
        };
      }
    }
    try {
      await done;
    } catch (e) {
      throw refused ?? e;
    }
    if (refused) throw refused;
    this.#announce(writes.map((w) => w.key));
  }

  /**
   * Calls `listener` with the keys that batches of other `IndexedDbStorage`
   * objects on the same database (other tabs of the origin) committed,
   * through a `BroadcastChannel`. Returns a function that stops the calls.
   */
  watch(listener: (keys: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    const channel = this.#openChannel();
    // Listening only once watched: a listening channel keeps Deno alive.
    if (channel && !channel.onmessage) {
      channel.onmessage = (e) => {
        const keys = (e.data as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(keys)) return;
        const strings = keys.filter((k): k is string => typeof k === "string");
        for (const l of [...this.#listeners]) {
          try {
            l(strings);
          } catch {
            // A listener's failure is its own.
          }
        }
      };
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #openChannel(): Channel | undefined {
    if (this.#channel !== undefined) return this.#channel ?? undefined;
    const C = (globalThis as { BroadcastChannel?: new (n: string) => Channel })
      .BroadcastChannel;
    if (typeof C !== "function" || this.#closed) {
      this.#channel = null;
      return undefined;
    }
    const channel = new C(`webmls-indexeddb/${this.#name}`);
    channel.unref?.(); // Node: do not keep the process alive.
    this.#channel = channel;
    return channel;
  }

  #announce(keys: string[]): void {
    try {
      this.#openChannel()?.postMessage({ keys });
    } catch {
      // Announcements are best effort: views check the storage anyway.
    }
  }

  /** The keys that start with `prefix`, sorted (by UTF-16 code units). */
  async list(prefix: string): Promise<string[]> {
    const db = await this.#open();
    const kr = this.#keyRange;
    if (!kr) throw new MlsError("invalid_argument", "IDBKeyRange is missing");
    const end = prefixEnd(prefix);
    const range = prefix === ""
      ? undefined
      : end === undefined
      ? kr.lowerBound(prefix)
      : kr.bound(prefix, end, false, true);
    const store = db.transaction(STORE, "readonly").objectStore(STORE);
    const keys = await request(store.getAllKeys(range), "list");
    return keys.filter((k): k is string => typeof k === "string");
  }

  /** Closes the database and the change announcements. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel?.close();
    this.#channel = null;
    this.#listeners.clear();
    try {
      (await this.#db).close();
    } catch {
      // It never opened.
    }
  }
}

function isStorable(v: unknown): boolean {
  if (v instanceof Uint8Array) return true;
  const ck = (globalThis as { CryptoKey?: abstract new () => unknown })
    .CryptoKey;
  return ck !== undefined && v instanceof ck;
}
