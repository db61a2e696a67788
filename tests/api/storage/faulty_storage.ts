/**
 * Test helper: a {@link Storage} that fails on demand. It wraps another
 * storage; an armed fault makes matching calls throw (before they reach
 * the inner storage, so nothing is written) a given number of times, or
 * until cleared.
 *
 * @module
 */

import { MlsError } from "../../../mod.ts";
import type {
  Storage,
  StorageValue,
  StorageWrite,
} from "../../../src/api/storage/storage.ts";

/** Which calls a fault hits. */
export interface Fault {
  /** `"batch"` (writes), `"get"` or `"list"` (reads). */
  op: "batch" | "get" | "list";
  /**
   * Hit only calls whose keys (a batch's keys, a get's key, a list's
   * prefix) this accepts.
   */
  match: (keys: string[]) => boolean;
  /** How many calls fail (default: until {@link FaultyStorage.clear}). */
  times?: number;
  /**
   * What is thrown: an `MlsError("storage_failure")` (default) or a plain
   * `Error`, as a backend that does not convert its errors would.
   */
  as?: "mls" | "plain";
}

/** A storage whose calls fail on demand. */
export class FaultyStorage implements Storage {
  readonly #inner: Storage;
  #faults: Fault[] = [];
  /** How many calls failed so far. */
  injected = 0;
  /** Called after each injected failure. */
  onInjected: (op: Fault["op"], keys: string[]) => void = () => {};

  constructor(inner: Storage) {
    this.#inner = inner;
  }

  get canStoreCryptoKeys(): boolean {
    return this.#inner.canStoreCryptoKeys;
  }

  /** Arms a fault. */
  fail(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? Infinity });
  }

  /** Disarms every fault. */
  clear(): void {
    this.#faults = [];
  }

  #maybeFail(op: Fault["op"], keys: string[]): void {
    const f = this.#faults.find((f) =>
      f.op === op && f.times! > 0 && f.match(keys)
    );
    if (!f) return;
    f.times!--;
    this.injected++;
    this.onInjected(op, keys);
    throw f.as === "plain"
      ? new Error(`injected ${op} failure`)
      : new MlsError("storage_failure", `injected ${op} failure`);
  }

  get(key: string): Promise<StorageValue | undefined> {
    try {
      this.#maybeFail("get", [key]);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.get(key);
  }

  batch(writes: readonly StorageWrite[]): Promise<void> {
    try {
      this.#maybeFail("batch", writes.map((w) => w.key));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.batch(writes);
  }

  list(prefix: string): Promise<string[]> {
    try {
      this.#maybeFail("list", [prefix]);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.list(prefix);
  }

  close(): void | Promise<void> {
    return this.#inner.close?.();
  }
}
