/**
 * {@link ExportStore} on Postgres, in the delivery store's database
 * (`PgStore.exports()`; tables of migration 2 in `store/pg_schema.ts`).
 * Exports of one post are written in one transaction, each kept as first
 * stored (`ON CONFLICT DO NOTHING` on consumer, epoch, label and context);
 * a nonce is taken by one statement that inserts it or renews it only when
 * expired, so two nodes never both accept one nonce.
 *
 * @module
 */

import { bytes, type Sql } from "../store/pg_sql.ts";
import type { ConsumerRecord, ExportStore, StoredExport } from "./store.ts";

/** The key export service's store on Postgres. */
export class PgExportStore implements ExportStore {
  readonly #sql: Sql;

  /** @param sql the delivery store's pool (closed by the delivery store) */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** See {@link ExportStore.putExports}. */
  async putExports(
    groupId: string,
    consumers: readonly ConsumerRecord[],
    exports: readonly StoredExport[],
  ): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      let added = 0;
      for (const e of exports) {
        const rows = await tx`
          INSERT INTO exports (group_id, consumer_id, epoch, label, context,
            kem_output, ciphertext)
          VALUES (${groupId}, ${e.consumerId}, ${e.epoch}, ${e.label},
            ${e.context}, ${e.kemOutput}, ${e.ciphertext})
          ON CONFLICT DO NOTHING RETURNING 1`;
        added += rows.length;
      }
      for (const c of consumers) {
        await tx`
          INSERT INTO export_consumers (group_id, consumer_id, signature_key)
          VALUES (${groupId}, ${c.consumerId}, ${c.signatureKey})
          ON CONFLICT (group_id, consumer_id)
            DO UPDATE SET signature_key = EXCLUDED.signature_key`;
      }
      return added;
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
      SELECT epoch, label, context, kem_output, ciphertext FROM exports
      WHERE group_id = ${groupId} AND consumer_id = ${consumerId}
        AND epoch >= ${fromEpoch}
      ORDER BY epoch, label, context LIMIT ${Math.max(0, Math.floor(limit))}`;
    return rows.map((r) => ({
      consumerId,
      epoch: r.epoch,
      label: bytes(r.label),
      context: bytes(r.context),
      kemOutput: bytes(r.kem_output),
      ciphertext: bytes(r.ciphertext),
    }));
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

  /** See {@link ExportStore.close}: the delivery store closes the pool. */
  close(): void {}
}
