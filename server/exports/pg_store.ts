/**
 * {@link ExportStore} on Postgres, in the delivery store's database
 * (`PgStore.exports()`; tables of migration 2 in `store/pg_schema.ts`).
 *
 * - A post is one transaction that first takes a per-group advisory lock,
 *   so the copy cap (`maxCopies` per export) holds across nodes; each copy
 *   is keyed by consumer, epoch, label, context and poster leaf and kept as
 *   first stored (`ON CONFLICT DO NOTHING`): nobody replaces a member's copy.
 * - Wake-ups: the posting transaction sends `NOTIFY` on {@link EXPORT_CHANNEL}
 *   with `<group>/<consumer>` (delivered at commit, to every node); a node
 *   listens once its first subscriber comes. A missed notification only
 *   delays a waiter until the routes' periodic re-check.
 * - A nonce is taken by one statement that inserts it or renews it only when
 *   expired, so two nodes never both accept one nonce.
 *
 * @module
 */

import { Notifier } from "../store/notifier.ts";
import { bytes, type Sql } from "../store/pg_sql.ts";
import {
  type ConsumerRecord,
  exportKey,
  type ExportStore,
  type ExportSubscription,
  type PutResult,
  type StoredExport,
  watchKey,
} from "./store.ts";

/** The channel of export wake-ups (payload `<group>/<consumer>`). */
export const EXPORT_CHANNEL = "webmls_exports";

/** The key export service's store on Postgres. */
export class PgExportStore implements ExportStore {
  readonly #sql: Sql;
  readonly #notifier = new Notifier();
  #listening: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  /** @param sql the delivery store's pool (closed by the delivery store) */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** See {@link ExportStore.putExports}. */
  async putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
    maxCopies: number,
  ): Promise<PutResult> {
    return await this.#sql.begin(async (tx): Promise<PutResult> => {
      // One post of a group at a time, on every node: the cap is counted
      // and then kept.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`exports/${groupId}`}))`;
      const fresh: StoredExport[] = [];
      const counted = new Map<string, number>();
      for (const e of exports) {
        const [row] = await tx`
          SELECT count(*)::int AS n,
            bool_or(poster = ${e.poster}) AS mine
          FROM exports
          WHERE group_id = ${groupId} AND consumer_id = ${e.consumerId}
            AND epoch = ${e.epoch} AND label = ${e.label}
            AND context = ${e.context}`;
        if (row.mine) continue; // this member's copy stays
        const k = exportKey(e);
        const n = (counted.get(k) ?? row.n) + 1;
        if (n > maxCopies) return { full: true }; // nothing written yet
        counted.set(k, n);
        fresh.push(e);
      }
      for (const e of fresh) {
        await tx`
          INSERT INTO exports (group_id, consumer_id, epoch, label, context,
            poster, kem_output, ciphertext)
          VALUES (${groupId}, ${e.consumerId}, ${e.epoch}, ${e.label},
            ${e.context}, ${e.poster}, ${e.kemOutput}, ${e.ciphertext})
          ON CONFLICT DO NOTHING`;
      }
      for (const c of consumers) {
        await tx`
          INSERT INTO export_consumers (group_id, consumer_id, signature_key)
          VALUES (${groupId}, ${c.consumerId}, ${c.signatureKey})
          ON CONFLICT (group_id, consumer_id)
            DO UPDATE SET signature_key = EXCLUDED.signature_key`;
      }
      for (
        const key of new Set(fresh.map((e) => watchKey(groupId, e.consumerId)))
      ) {
        await tx`SELECT pg_notify(${EXPORT_CHANNEL}, ${key})`;
      }
      return { stored: fresh.length };
    });
  }

  /** See {@link ExportStore.listExports}. */
  async listExports(
    groupId: string,
    consumerId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<StoredExport[]> {
    const rows = await this.#sql`
      SELECT epoch, label, context, poster, kem_output, ciphertext
      FROM exports
      WHERE group_id = ${groupId} AND consumer_id = ${consumerId}
        AND epoch >= ${fromEpoch}
      ORDER BY epoch, label, context, poster
      LIMIT ${Math.max(0, Math.floor(limit))}`;
    return rows.map((r) => ({
      consumerId,
      epoch: r.epoch,
      label: bytes(r.label),
      context: bytes(r.context),
      poster: r.poster,
      kemOutput: bytes(r.kem_output),
      ciphertext: bytes(r.ciphertext),
    }));
  }

  /** See {@link ExportStore.subscribe}. */
  async subscribe(
    groupId: string,
    consumerId: string,
  ): Promise<ExportSubscription> {
    // Subscribe first, then listen: a post committed in between is seen by
    // the caller's list that follows.
    const sub = this.#notifier.subscribe(watchKey(groupId, consumerId));
    this.#listening ??= this.#sql.listen(
      EXPORT_CHANNEL,
      (key) => this.#notifier.notify(new Set([key])),
      // A reconnect may have missed notifications: wake every waiter.
      () => this.#notifier.notifyAll(),
    ).then((meta) => {
      this.#unlisten = meta.unlisten;
    });
    try {
      await this.#listening;
    } catch (e) {
      this.#listening = undefined;
      sub.close();
      throw e;
    }
    return sub;
  }

  /** See {@link ExportStore.consumer}. */
  async consumer(
    groupId: string,
    consumerId: string,
  ): Promise<ConsumerRecord | null> {
    const [r] = await this.#sql`
      SELECT signature_key FROM export_consumers
      WHERE group_id = ${groupId} AND consumer_id = ${consumerId}`;
    return r ? { consumerId, signatureKey: bytes(r.signature_key) } : null;
  }

  /** See {@link ExportStore.useNonce}. */
  async useNonce(
    nonce: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    // Expired nonces are swept now and then (bounded table).
    if (Math.random() < 0.01) {
      await this.#sql`DELETE FROM export_nonces WHERE expires_at <= ${now}`;
    }
    const rows = await this.#sql`
      INSERT INTO export_nonces (nonce, expires_at)
      VALUES (${nonce}, ${expiresAt})
      ON CONFLICT (nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE export_nonces.expires_at <= ${now}
      RETURNING 1`;
    return rows.length === 1;
  }

  /** Stops listening and ends the subscriptions; the delivery store closes the pool. */
  async close(): Promise<void> {
    this.#notifier.closeAll();
    await this.#unlisten?.().catch(() => {});
  }
}
