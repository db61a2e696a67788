/**
 * The Postgres connection of the Postgres stores (npm `postgres`), and the
 * conversions of its values: `bigint` columns arrive as strings, `bytea`
 * as Node `Buffer`s (copied into plain `Uint8Array`s, so that callers and
 * tests see the same type as from the other stores).
 *
 * @module
 */

import postgres from "postgres";

/** A connection pool (or a transaction inside one). */
// deno-lint-ignore ban-types
export type Sql = postgres.Sql<{}>;

/** A transaction's handle. */
// deno-lint-ignore ban-types
export type Tx = postgres.TransactionSql<{}>;

/** Opens a pool on `url` (`postgres://user@host:port/db`). */
export function connect(url: string, max = 10): Sql {
  return postgres(url, {
    max,
    // Notices (e.g. "relation already exists, skipping") are not errors.
    onnotice: () => {},
    // Idle connections are closed, so a node that went quiet holds none.
    idle_timeout: 60,
    connect_timeout: 10,
  });
}

/** A `bigint` column (a string) as a number. */
export function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

/** A `bytea` column as a plain `Uint8Array`. */
export function bytes(v: Uint8Array): Uint8Array {
  return new Uint8Array(v);
}

/** A 64-bit advisory-lock key for a string (Postgres hashes it). */
export function lockKey(tx: Tx, s: string) {
  return tx`SELECT pg_advisory_xact_lock(hashtextextended(${s}, 0))`;
}
