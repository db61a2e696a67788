/**
 * {@link ExportStore} on Deno KV: survives restarts and is shared by every
 * process that opens the same database (a delivery service and a key
 * export service deployed apart use one database).
 *
 * Keys, under a prefix (default `["webmls-exports"]`):
 * `["e", groupId, consumerId, epoch, labelHex, contextHex]` → the sealed
 * export; `["c", groupId, consumerId]` → the consumer's signature key;
 * `["n", nonce]` → seen nonces (expiring).
 *
 * @module
 */

import type { ConsumerRecord, ExportStore, StoredExport } from "./store.ts";

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
}

/** A {@link ExportStore} on Deno KV. */
export class KvExportStore implements ExportStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #owns: boolean;

  /** Wraps an open database. */
  constructor(kv: Deno.Kv, options: KvExportStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["webmls-exports"];
    this.#owns = options.ownsKv ?? true;
  }

  /** Opens a database (a file path; default: Deno's default location). */
  static async open(
    path?: string,
    options: KvExportStoreOptions = {},
  ): Promise<KvExportStore> {
    return new KvExportStore(await Deno.openKv(path), options);
  }

  #key(e: StoredExport, groupId: string): Deno.KvKey {
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

  /** See {@link ExportStore.putExports}. */
  async putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
  ): Promise<number> {
    // Read which exports exist, then write the others with a check that
    // they still do not: a concurrent writer makes the commit fail, and
    // the loop reads again. One atomic step either way.
    for (;;) {
      const keys = exports.map((e) => this.#key(e, groupId));
      const fresh: number[] = [];
      for (let i = 0; i < keys.length; i += 10) {
        const got = await this.#kv.getMany(keys.slice(i, i + 10));
        got.forEach((g, j) => {
          if (g.versionstamp === null) fresh.push(i + j);
        });
      }
      const op = this.#kv.atomic();
      for (const i of fresh) {
        const e = exports[i];
        op.check({ key: keys[i], versionstamp: null });
        op.set(
          keys[i],
          {
            kemOutput: e.kemOutput.slice(),
            ciphertext: e.ciphertext.slice(),
          } satisfies ExportValue,
        );
      }
      for (const c of consumers) {
        op.set([...this.#prefix, "c", groupId, c.consumerId], {
          signatureKey: c.signatureKey.slice(),
        });
      }
      if ((await op.commit()).ok) return fresh.length;
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
        kemOutput: value.kemOutput,
        ciphertext: value.ciphertext,
      });
    }
    return out;
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
    if (this.#owns) this.#kv.close();
  }
}
