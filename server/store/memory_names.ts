/**
 * {@link NameStore} in memory (tests, `--memory`).
 *
 * @module
 */

import {
  type ClaimNameResult,
  claimWrites,
  type NameEntry,
  type NameRecord,
  type NameStore,
  type NameStoreLimits,
  type OwnerRecord,
} from "./names.ts";

/** Display names in memory. */
export class MemoryNameStore implements NameStore {
  #names = new Map<string, NameRecord>();
  #owners = new Map<string, OwnerRecord>();

  /** See {@link NameStore.claim}. */
  claim(
    clientId: string,
    key: string,
    display: string,
    now: number,
    limits: NameStoreLimits,
  ): Promise<ClaimNameResult> {
    const owner = this.#owners.get(clientId) ?? null;
    const get = (k?: string) =>
      k === undefined ? null : this.#names.get(k) ?? null;
    const w = claimWrites(clientId, key, display, now, limits, {
      owner,
      wanted: get(key),
      current: get(owner?.current),
      previous: get(owner?.previous),
    });
    if (!w) return Promise.resolve("taken");
    for (const [k, v] of w.names) {
      if (v) this.#names.set(k, v);
      else this.#names.delete(k);
    }
    this.#owners.set(clientId, w.owner);
    return Promise.resolve("ok");
  }

  /** See {@link NameStore.byKey}. */
  byKey(key: string): Promise<NameEntry | null> {
    const r = this.#names.get(key);
    return Promise.resolve(
      r && r.heldUntil === undefined
        ? { clientId: r.clientId, display: r.display }
        : null,
    );
  }

  /** See {@link NameStore.nameOf}. */
  nameOf(clientId: string): Promise<NameEntry | null> {
    const o = this.#owners.get(clientId);
    return o ? this.byKey(o.current) : Promise.resolve(null);
  }

  /** See {@link NameStore.close}. */
  close(): void {}
}
