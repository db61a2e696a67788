/**
 * {@link NameStore} on Postgres, in the delivery store's database
 * (`PgStore.names()`). A claim is one transaction that takes advisory
 * locks on the claimant and on the wanted name (in a fixed order), reads
 * the records `claimWrites` needs, and writes what it returns: two clients
 * claiming one name never both get it.
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
import { lockKey, num, type Sql } from "./pg_sql.ts";

function nameRecord(r: Record<string, unknown> | undefined): NameRecord | null {
  if (!r) return null;
  return {
    clientId: r.client_id as string,
    display: r.display as string,
    ...(r.held_until === null ? {} : { heldUntil: num(r.held_until) }),
  };
}

/** Display names on Postgres; see the module documentation. */
export class PgNameStore implements NameStore {
  readonly #sql: Sql;

  /** @param sql the delivery store's pool (closed by the delivery store) */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** See {@link NameStore.claim}. */
  async claim(
    clientId: string,
    key: string,
    display: string,
    now: number,
    limits: NameStoreLimits,
  ): Promise<ClaimNameResult> {
    return await this.#sql.begin(async (tx): Promise<ClaimNameResult> => {
      // Locks in one order (owner, then name) so two claims cannot deadlock.
      await lockKey(tx, `name-owner:${clientId}`);
      await lockKey(tx, `name:${key}`);
      const [o] = await tx`
        SELECT current, previous FROM name_owners
        WHERE client_id = ${clientId}`;
      const owner: OwnerRecord | null = o
        ? {
          current: o.current,
          ...(o.previous === null ? {} : { previous: o.previous }),
        }
        : null;
      const keys = [key, owner?.current, owner?.previous]
        .filter((k): k is string => k !== undefined);
      const rows = await tx`
        SELECT * FROM names WHERE key = ANY(${keys}::text[])`;
      const get = (k?: string) =>
        k === undefined ? null : nameRecord(rows.find((r) => r.key === k));
      const w = claimWrites(clientId, key, display, now, limits, {
        owner,
        wanted: get(key),
        current: get(owner?.current),
        previous: get(owner?.previous),
      });
      if (!w) return "taken";
      for (const [k, v] of w.names) {
        if (!v) {
          await tx`DELETE FROM names WHERE key = ${k}`;
          continue;
        }
        await tx`
          INSERT INTO names (key, client_id, display, held_until)
          VALUES (${k}, ${v.clientId}, ${v.display}, ${v.heldUntil ?? null})
          ON CONFLICT (key) DO UPDATE SET client_id = EXCLUDED.client_id,
            display = EXCLUDED.display, held_until = EXCLUDED.held_until`;
      }
      await tx`
        INSERT INTO name_owners (client_id, current, previous)
        VALUES (${clientId}, ${w.owner.current}, ${w.owner.previous ?? null})
        ON CONFLICT (client_id) DO UPDATE SET current = EXCLUDED.current,
          previous = EXCLUDED.previous`;
      return "ok";
    });
  }

  /** See {@link NameStore.byKey}. */
  async byKey(key: string): Promise<NameEntry | null> {
    const [r] = await this.#sql`
      SELECT client_id, display FROM names
      WHERE key = ${key} AND held_until IS NULL`;
    return r ? { clientId: r.client_id, display: r.display } : null;
  }

  /** See {@link NameStore.nameOf}. */
  async nameOf(clientId: string): Promise<NameEntry | null> {
    const [r] = await this.#sql`
      SELECT n.client_id, n.display FROM name_owners o
      JOIN names n ON n.key = o.current AND n.held_until IS NULL
      WHERE o.client_id = ${clientId}`;
    return r ? { clientId: r.client_id, display: r.display } : null;
  }

  /** See {@link NameStore.close}: the delivery store closes the pool. */
  close(): void {}
}
