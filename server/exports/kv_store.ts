/**
 * {@link ExportStore} on Deno KV: survives restarts and is shared by every
 * process that opens the same database (a delivery service and a key
 * export service deployed apart use one database).
 *
 * Keys, under a prefix (default `["webmls-exports"]`):
 * `["e", groupId, consumerId, epoch, labelHex, contextHex, posterLeaf]` →
 * one member's sealed copy; `["k", groupId, consumerId, epoch, labelHex,
 * contextHex]` → how many copies; `["h", groupId, consumerId]` → a counter
 * every store of the consumer's exports bumps (watched by waiters);
 * `["l", groupId]` → bumped by every store of the group's exports (an
 * optimistic lock); `["c", groupId, consumerId]` → the consumer's signature key;
 * `["n", nonce]` → seen nonces (expiring).
 *
 * @module
 */

import { Notifier } from "../store/notifier.ts";
import { KvHeads } from "./kv_heads.ts";
import {
  type ConsumerRecord,
  type ExportStore,
  type ExportSubscription,
  type PutResult,
  type StoredExport,
  watchKey,
} from "./store.ts";

interface ExportValue {
  kemOutput: Uint8Array;
  ciphertext: Uint8Array;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Options of {@link KvExportStore}. */
export interface KvExportStoreOptions {
  /** Key prefix (default `["webmls-exports"]`). */
  prefix?: Deno.KvKey;
  /** Whether `close()` closes the database (default true). */
  ownsKv?: boolean;
  /**
   * How often waiters' heads are re-read for other processes' stores, ms
   * (default 1000; `kv.watch` wakes them sooner where it can).
   */
  pollIntervalMs?: number;
}

/** A {@link ExportStore} on Deno KV. */
export class KvExportStore implements ExportStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #owns: boolean;
  readonly #notifier = new Notifier();
  readonly #heads: KvHeads;

  /** Wraps an open database. */
  constructor(kv: Deno.Kv, options: KvExportStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["webmls-exports"];
    this.#owns = options.ownsKv ?? true;
    this.#heads = new KvHeads(
      kv,
      options.pollIntervalMs ?? 1000,
      (key) => this.#notifier.notify([key]),
    );
  }

  /** Opens a database (a file path; default: Deno's default location). */
  static async open(
    path?: string,
    options: KvExportStoreOptions = {},
  ): Promise<KvExportStore> {
    return new KvExportStore(await Deno.openKv(path), options);
  }

  #copies(e: StoredExport, groupId: string): Deno.KvKey {
    return [
      ...this.#prefix,
      "e",
      groupId,
      e.consumerId,
      e.epoch,
      hex(e.label),
      hex(e.context),
    ];
  }

  #count(e: StoredExport, groupId: string): Deno.KvKey {
    return [
      ...this.#prefix,
      "k",
      groupId,
      e.consumerId,
      e.epoch,
      hex(e.label),
      hex(e.context),
    ];
  }

  #head(groupId: string, consumerId: string): Deno.KvKey {
    return [...this.#prefix, "h", groupId, consumerId];
  }

  /** See {@link ExportStore.putExports}. */
  async putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
    maxCopies: number,
  ): Promise<PutResult> {
    // Read each export's copy count and whether the poster's copy exists,
    // then write the new copies with a check that the group's lock key
    // (which every write here bumps) did not move: a concurrent writer
    // makes the commit fail, and the loop reads again. One check, whatever
    // the post's size (Deno KV allows 100). A full export stores nothing.
    const lock = [...this.#prefix, "l", groupId];
    for (;;) {
      const keys = exports.flatMap((e) => [
        [...this.#copies(e, groupId), e.poster],
        this.#count(e, groupId),
      ]);
      const locked = await this.#kv.get(lock);
      const got: Deno.KvEntryMaybe<unknown>[] = [];
      for (let i = 0; i < keys.length; i += 10) {
        got.push(...await this.#kv.getMany(keys.slice(i, i + 10)));
      }
      const op = this.#kv.atomic()
        .check({ key: lock, versionstamp: locked.versionstamp })
        .set(lock, true);
      const heads = new Set<string>();
      let stored = 0;
      for (let i = 0; i < exports.length; i++) {
        const e = exports[i];
        const mine = got[2 * i];
        const count = got[2 * i + 1] as Deno.KvEntryMaybe<number>;
        if (mine.versionstamp !== null) continue; // this member's copy stays
        if ((count.value ?? 0) >= maxCopies) return { full: true };
        op.set(
          mine.key,
          {
            kemOutput: e.kemOutput.slice(),
            ciphertext: e.ciphertext.slice(),
          } satisfies ExportValue,
        );
        op.set(count.key, (count.value ?? 0) + 1);
        heads.add(e.consumerId);
        stored++;
      }
      for (const c of consumers) {
        op.set([...this.#prefix, "c", groupId, c.consumerId], {
          signatureKey: c.signatureKey.slice(),
        });
      }
      // Other processes' waiters watch the head (`subscribe`).
      for (const c of heads) {
        op.sum(this.#head(groupId, c), 1n);
      }
      if ((await op.commit()).ok) {
        this.#notifier.notify([...heads].map((c) => watchKey(groupId, c)));
        return { stored };
      }
    }
  }

  /** See {@link ExportStore.listExports}. */
  async listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]> {
    const prefix = [...this.#prefix, "e", groupId, consumerId];
    const out: StoredExport[] = [];
    const iter = this.#kv.list<ExportValue>({
      prefix,
      start: [...prefix, fromEpoch],
    }, { limit });
    for await (const { key, value } of iter) {
      const n = prefix.length;
      out.push({
        consumerId,
        epoch: key[n] as number,
        label: unhex(key[n + 1] as string),
        context: unhex(key[n + 2] as string),
        poster: key[n + 3] as number,
        kemOutput: value.kemOutput,
        ciphertext: value.ciphertext,
      });
    }
    return out;
  }

  /**
   * See {@link ExportStore.subscribe}: stores by this process wake the
   * subscribers directly; other processes' through the consumer's head
   * (`kv_heads.ts`).
   */
  async subscribe(
    groupId: string,
    consumerId: string,
  ): Promise<ExportSubscription> {
    const key = watchKey(groupId, consumerId);
    const unwatch = await this.#heads.watch(
      key,
      this.#head(groupId, consumerId),
    );
    return this.#notifier.subscribe(key, unwatch);
  }

  /** See {@link ExportStore.consumer}. */
  async consumer(
    groupId: string,
    consumerId: string,
  ): Promise<ConsumerRecord | null> {
    const got = await this.#kv.get<{ signatureKey: Uint8Array }>(
      [...this.#prefix, "c", groupId, consumerId],
    );
    return got.value
      ? { consumerId, signatureKey: got.value.signatureKey }
      : null;
  }

  /** See {@link ExportStore.useNonce}. */
  async useNonce(
    nonce: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const key = [...this.#prefix, "n", nonce];
    const got = await this.#kv.get<number>(key);
    // KV deletes expired keys lazily: an old record does not count.
    if (got.value !== null && got.value > now) return false;
    const res = await this.#kv.atomic()
      .check({ key, versionstamp: got.versionstamp })
      .set(key, expiresAt, { expireIn: Math.max(1, expiresAt - now) })
      .commit();
    return res.ok;
  }

  /** See {@link ExportStore.close}. */
  close(): void {
    this.#notifier.closeAll();
    this.#heads.close();
    if (this.#owns) this.#kv.close();
  }
}
