/**
 * {@link ExportStore} in memory (tests, single-process deployments).
 *
 * @module
 */

import {
  type ConsumerRecord,
  exportKey,
  type ExportStore,
  type StoredExport,
} from "./store.ts";

/** An in-memory {@link ExportStore}. */
export class MemoryExportStore implements ExportStore {
  readonly #exports = new Map<string, Map<string, StoredExport>>();
  readonly #consumers = new Map<string, ConsumerRecord>();
  readonly #nonces = new Map<string, number>();

  /** See {@link ExportStore.putExports}. */
  putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
  ): Promise<number> {
    // Synchronous: nothing else runs in between, so the step is atomic.
    let group = this.#exports.get(groupId);
    if (!group) this.#exports.set(groupId, group = new Map());
    let added = 0;
    for (const e of exports) {
      const k = exportKey(e);
      if (group.has(k)) continue;
      group.set(k, copy(e));
      added++;
    }
    for (const c of consumers) {
      this.#consumers.set(`${groupId}/${c.consumerId}`, {
        consumerId: c.consumerId,
        signatureKey: c.signatureKey.slice(),
      });
    }
    return Promise.resolve(added);
  }

  /** See {@link ExportStore.listExports}. */
  listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]> {
    const all = [...this.#exports.get(groupId)?.values() ?? []]
      .filter((e) => e.consumerId === consumerId && e.epoch >= fromEpoch)
      .sort((a, b) => a.epoch - b.epoch);
    return Promise.resolve(all.slice(0, limit).map(copy));
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
      for (const e of g.values()) {
        out.push(e.label, e.context, e.kemOutput, e.ciphertext);
      }
    }
    for (const c of this.#consumers.values()) out.push(c.signatureKey);
    return out;
  }

  /** See {@link ExportStore.close}. */
  close(): void {}
}

function copy(e: StoredExport): StoredExport {
  return {
    consumerId: e.consumerId,
    epoch: e.epoch,
    label: e.label.slice(),
    context: e.context.slice(),
    kemOutput: e.kemOutput.slice(),
    ciphertext: e.ciphertext.slice(),
  };
}
