/**
 * The IndexedDB pieces that {@link IndexedDbStorage} and the browser app key
 * share: structural subsets of the DOM's IndexedDB types (Deno's default
 * type check has no DOM library), a request as a promise, and the
 * `MlsError` of a failure.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";

/** An IndexedDB request (subset of the DOM's `IDBRequest`). */
export interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

/** The open request (subset of `IDBOpenDBRequest`). */
export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

/** A key range (opaque here). */
export type IdbKeyRange = object;

/** Subset of `IDBObjectStore`. */
export interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(range?: IdbKeyRange): IdbRequest<unknown[]>;
}

/** Subset of `IDBTransaction`. */
export interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  abort(): void;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** Subset of `IDBDatabase`. */
export interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): IdbTransaction;
  close(): void;
  onversionchange: (() => void) | null;
}

/** Subset of `IDBFactory` (`globalThis.indexedDB`). */
export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}

/** Subset of the `IDBKeyRange` constructor. */
export interface IdbKeyRangeStatic {
  bound(
    lower: string,
    upper: string,
    lowerOpen?: boolean,
    upperOpen?: boolean,
  ): IdbKeyRange;
  lowerBound(lower: string): IdbKeyRange;
}

/** Resolves with a request's result; rejects with {@link failure}. */
export function request<T>(req: IdbRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(failure(req.error, what));
  });
}

/**
 * The `MlsError` of a failed IndexedDB operation: `storage_limit` for a
 * full quota, else `storage_failure`, with the cause.
 */
export function failure(cause: unknown, what: string): MlsError {
  const name = (cause as { name?: string } | null)?.name;
  return new MlsError(
    name === "QuotaExceededError" ? "storage_limit" : "storage_failure",
    `IndexedDB ${what} failed${name ? `: ${name}` : ""}`,
    undefined,
    { cause },
  );
}
