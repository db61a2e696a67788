/**
 * {@link ExportStore} in memory (tests, single-process deployments).
 *
 * @module
 */

import { Notifier } from "../store/notifier.ts";
import {
  type ConsumerRecord,
  exportKey,
  type ExportStore,
  type ExportSubscription,
  type PutResult,
  type StoredExport,
  watchKey,
} from "./store.ts";

/** An in-memory {@link ExportStore}. */
export class MemoryExportStore implements ExportStore {
  /** Group → export key → poster leaf → copy. */
  readonly #exports = new Map<
    string,
    Map<string, Map<number, StoredExport>>
  >();
  readonly #consumers = new Map<string, ConsumerRecord>();
  readonly #nonces = new Map<string, number>();
  readonly #notifier = new Notifier();

  /** See {@link ExportStore.putExports}. */
  putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
    maxCopies: number,
  ): Promise<PutResult> {
    // Synchronous: nothing else runs in between, so the step is atomic.
    // Check every export first, then write: a full one stores nothing.
    const group = this.#exports.get(groupId) ?? new Map();
    const fresh: StoredExport[] = [];
    for (const e of exports) {
      const copies = group.get(exportKey(e));
      if (copies?.has(e.poster)) continue; // this member's copy stays
      if ((copies?.size ?? 0) >= maxCopies) {
        return Promise.resolve({ full: true });
      }
      fresh.push(e);
    }
    this.#exports.set(groupId, group);
    for (const e of fresh) {
      const k = exportKey(e);
      const copies = group.get(k) ?? new Map<number, StoredExport>();
      group.set(k, copies);
      copies.set(e.poster, copy(e));
    }
    for (const c of consumers) {
      this.#consumers.set(`${groupId}/${c.consumerId}`, {
        consumerId: c.consumerId,
        signatureKey: c.signatureKey.slice(),
      });
    }
    this.#notifier.notify(
      new Set(fresh.map((e) => watchKey(groupId, e.consumerId))),
    );
    return Promise.resolve({ stored: fresh.length });
  }

  /** See {@link ExportStore.listExports}. */
  listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]> {
    const all: { key: string; e: StoredExport }[] = [];
    for (const [key, copies] of this.#exports.get(groupId) ?? []) {
      for (const e of copies.values()) {
        if (e.consumerId === consumerId && e.epoch >= fromEpoch) {
          all.push({ key, e });
        }
      }
    }
    // The order of the KV store's keys: epoch, label, context, poster.
    all.sort((a, b) =>
      a.e.epoch - b.e.epoch ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
      a.e.poster - b.e.poster
    );
    return Promise.resolve(all.slice(0, limit).map((x) => copy(x.e)));
  }

  /** See {@link ExportStore.subscribe}. */
  subscribe(
    groupId: string,
    consumerId: string,
  ): Promise<ExportSubscription> {
    return Promise.resolve(
      this.#notifier.subscribe(watchKey(groupId, consumerId)),
    );
  }

  /** See {@link ExportStore.consumer}. */
  consumer(
    groupId: string,
    consumerId: string,
  ): Promise<ConsumerRecord | null> {
    return Promise.resolve(
      this.#consumers.get(`${groupId}/${consumerId}`) ?? null,
    );
  }

  /** See {@link ExportStore.useNonce}. */
  useNonce(nonce: string, now: number, expiresAt: number): Promise<boolean> {
    for (const [n, until] of this.#nonces) {
      if (until <= now) this.#nonces.delete(n);
    }
    if (this.#nonces.has(nonce)) return Promise.resolve(false);
    this.#nonces.set(nonce, expiresAt);
    return Promise.resolve(true);
  }

  /** Every stored byte array (tests scan them for secrets). */
  storedBytes(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const g of this.#exports.values()) {
      for (const copies of g.values()) {
        for (const e of copies.values()) {
          out.push(e.label, e.context, e.kemOutput, e.ciphertext);
        }
      }
    }
    for (const c of this.#consumers.values()) out.push(c.signatureKey);
    return out;
  }

  /** See {@link ExportStore.close}. */
  close(): void {
    this.#notifier.closeAll();
  }
}

function copy(e: StoredExport): StoredExport {
  return {
    consumerId: e.consumerId,
    epoch: e.epoch,
    label: e.label.slice(),
    context: e.context.slice(),
    poster: e.poster,
    kemOutput: e.kemOutput.slice(),
    ciphertext: e.ciphertext.slice(),
  };
}
