/**
 * The {@link Storage} as `MLS` uses it: every failure of a backend call
 * (get, list, batch) comes out as an `MlsError` with a stable code — the
 * backend's own `MlsError` as it is (`storage_limit`, `storage_conflict`,
 * ...), anything else as `storage_failure` with the original error as
 * `cause` — and conditions are passed only to a backend that checks them.
 *
 * @module
 */

import { MlsError } from "../../errors.ts";
import type {
  BatchOptions,
  Storage,
  StorageValue,
  StorageWrite,
} from "./storage.ts";

/** `e` as an `MlsError`: itself, or `storage_failure` caused by it. */
export function storageError(e: unknown, what: string): MlsError {
  if (e instanceof MlsError) return e;
  const detail = e instanceof Error ? `: ${e.message}` : "";
  return new MlsError(
    "storage_failure",
    `storage ${what} failed${detail}`,
    undefined,
    { cause: e },
  );
}

async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw storageError(e, what);
  }
}

/** `storage` with every failure an `MlsError` (see the module notes). */
export function guardStorage(storage: Storage): Storage {
  const conditional = storage.conditionalBatches === true;
  const watch = storage.watch?.bind(storage);
  return {
    canStoreCryptoKeys: storage.canStoreCryptoKeys,
    conditionalBatches: conditional,
    get: (key: string): Promise<StorageValue | undefined> =>
      call("get", () => storage.get(key)),
    list: (prefix: string): Promise<string[]> =>
      call("list", () => storage.list(prefix)),
    batch: (
      writes: readonly StorageWrite[],
      options?: BatchOptions,
    ): Promise<void> =>
      call(
        "batch",
        () =>
          conditional && options?.expect?.length
            ? storage.batch(writes, options)
            : storage.batch(writes),
      ),
    watch: watch &&
      ((listener: (keys: readonly string[]) => void): () => void => {
        try {
          return watch(listener);
        } catch {
          return () => {}; // Optional: without it views update on their next call.
        }
      }),
  };
}
