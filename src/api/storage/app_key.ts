/**
 * A browser's application key for {@link EncryptedStorage}: an AES-256-GCM
 * `CryptoKey` created once as non-extractable and kept in an IndexedDB
 * database of its own, so that it survives reloads while its bytes never
 * reach JavaScript (a script can use it, not copy it out).
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import {
  failure,
  type IdbDatabase,
  type IdbFactory,
  type IdbObjectStore,
} from "./idb.ts";

const STORE = "keys";

/** Options of {@link openAppKey} and {@link deleteAppKey}. */
export interface AppKeyOptions {
  /** The IndexedDB database holding the key (default `"webmls-app-key"`). */
  database?: string;
  /** The key's name in it, for several keys (default `"default"`). */
  name?: string;
  /** The `IDBFactory` (default `globalThis.indexedDB`). */
  indexedDB?: unknown;
}

function openDb(options: AppKeyOptions): Promise<IdbDatabase> {
  const factory = (options.indexedDB ??
    (globalThis as { indexedDB?: unknown }).indexedDB) as
      | IdbFactory
      | undefined;
  if (!factory) {
    return Promise.reject(
      new MlsError("invalid_argument", "IndexedDB is not available here"),
    );
  }
  return new Promise((resolve, reject) => {
    const req = factory.open(options.database ?? "webmls-app-key", 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) {
        req.result.createObjectStore(STORE);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(failure(req.error, "open"));
    req.onblocked = () => reject(failure(undefined, "open (blocked)"));
  });
}

/**
 * Runs `body` in one readwrite transaction of the key store and resolves
 * with what it produced once the transaction has committed.
 */
async function inTransaction<T>(
  options: AppKeyOptions,
  body: (store: IdbObjectStore, done: (v: T) => void) => void,
): Promise<T> {
  const db = await openDb(options);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite");
      let out: T;
      tx.oncomplete = () => resolve(out);
      tx.onerror = () => reject(failure(tx.error, "transaction"));
      tx.onabort = () => reject(failure(tx.error, "transaction"));
      body(tx.objectStore(STORE), (v) => out = v);
    });
  } finally {
    db.close();
  }
}

/**
 * The application key named `options.name`: read from its IndexedDB
 * database, or created there (AES-256-GCM, non-extractable, for encrypt
 * and decrypt) on first use. Two pages racing to create it get the same
 * key: the read and the write are one transaction.
 *
 * @example
 * ```ts ignore
 * import { EncryptedStorage, IndexedDbStorage, openAppKey } from "@webmls/mls";
 * const key = await openAppKey();
 * console.log(key.extractable); // false
 * const storage = await EncryptedStorage.open(new IndexedDbStorage(), { key });
 * ```
 */
export async function openAppKey(
  options: AppKeyOptions = {},
): Promise<CryptoKey> {
  const name = options.name ?? "default";
  // Made before the transaction: IndexedDB commits a transaction left
  // idle while a promise settles.
  let fresh: CryptoKey;
  try {
    fresh = await crypto.subtle.generateKey(
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    ) as CryptoKey;
  } catch (e) {
    throw new MlsError(
      "crypto_failure",
      "generating the key failed",
      undefined,
      {
        cause: e,
      },
    );
  }
  const key = await inTransaction<unknown>(options, (store, done) => {
    const req = store.get(name);
    req.onsuccess = () => {
      if (req.result !== undefined) return done(req.result);
      store.put(fresh, name);
      done(fresh);
    };
  });
  if (!(typeof CryptoKey !== "undefined" && key instanceof CryptoKey)) {
    throw new MlsError(
      "storage_failure",
      "the application key store holds something else",
    );
  }
  return key;
}

/**
 * Deletes the application key named `options.name`: everything encrypted
 * under it becomes unreadable for good.
 *
 * @example
 * ```ts ignore
 * import { deleteAppKey } from "@webmls/mls";
 * await deleteAppKey(); // e.g. on sign-out, after mls.deleteState()
 * ```
 */
export async function deleteAppKey(options: AppKeyOptions = {}): Promise<void> {
  await inTransaction<void>(options, (store, done) => {
    store.delete(options.name ?? "default");
    done();
  });
}
