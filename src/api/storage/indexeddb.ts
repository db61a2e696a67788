/**
 * {@link Storage} on IndexedDB, for browsers: one object store whose keys
 * are the storage keys. Values are structured-cloned, so `CryptoKey`
 * objects persist, non-extractable ones included: a signature key survives
 * a reload without its bytes ever reaching JavaScript.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import type { Storage, StorageValue, StorageWrite } from "./storage.ts";

// The few IndexedDB types used here, declared locally: Deno's default type
// check has no DOM library. They are structural subsets of the DOM's.

/** An IndexedDB request (subset of the DOM's `IDBRequest`). */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

/** The open request (subset of `IDBOpenDBRequest`). */
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

/** A key range (opaque here). */
type IdbKeyRange = object;

/** Subset of `IDBObjectStore`. */
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(range?: IdbKeyRange): IdbRequest<unknown[]>;
}

/** Subset of `IDBTransaction`. */
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  abort(): void;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** Subset of `IDBDatabase`. */
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): IdbTransaction;
  close(): void;
  onversionchange: (() => void) | null;
}

/** Subset of `IDBFactory` (`globalThis.indexedDB`). */
interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}

/** Subset of the `IDBKeyRange` constructor. */
interface IdbKeyRangeStatic {
  bound(
    lower: string,
    upper: string,
    lowerOpen?: boolean,
    upperOpen?: boolean,
  ): IdbKeyRange;
  lowerBound(lower: string): IdbKeyRange;
}

const STORE = "kv";

function request<T>(req: IdbRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(failure(req.error, what));
  });
}

function failure(cause: unknown, what: string): MlsError {
  const name = (cause as { name?: string } | null)?.name;
  return new MlsError(
    name === "QuotaExceededError" ? "storage_limit" : "storage_failure",
    `IndexedDB ${what} failed${name ? `: ${name}` : ""}`,
    undefined,
    { cause },
  );
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
  #db: Promise<IdbDatabase>;
  #keyRange: IdbKeyRangeStatic | undefined;
  #closed = false;

  /**
   * Opens (and on first use creates) a database.
   *
   * @param name the IndexedDB database name; default `"webmls"`
   * @param options a different `indexedDB` factory
   */
  constructor(name = "webmls", options: IndexedDbStorageOptions = {}) {
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
   * Applies all writes in one readwrite transaction. Throws
   * `MlsError("invalid_argument")`, before writing anything, for a value
   * that is neither bytes nor a `CryptoKey`; a transaction that fails
   * (e.g. `QuotaExceededError`: `storage_limit`) leaves nothing changed.
   */
  async batch(writes: readonly StorageWrite[]): Promise<void> {
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
    const db = await this.#open();
    const tx = db.transaction(STORE, "readwrite");
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(failure(tx.error, "batch"));
      tx.onabort = () => reject(failure(tx.error, "batch"));
    });
    const store = tx.objectStore(STORE);
    try {
      for (const w of writes) {
        if (w.value === undefined) store.delete(w.key);
        else store.put(w.value, w.key);
      }
    } catch (e) {
      // A synchronous failure (e.g. DataCloneError): undo everything.
      try {
        tx.abort();
      } catch {
        // Already aborted.
      }
      await done.catch(() => {});
      throw failure(e, "batch");
    }
    await done;
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

  /** Closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
