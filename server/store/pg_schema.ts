/**
 * The Postgres store's schema, as versioned migrations applied at start
 * (`migrate`): each runs once, in its own transaction, recorded in
 * `webmls_migrations`; several nodes starting together serialize on an
 * advisory lock, so each migration is applied exactly once. Never edit a
 * migration that shipped: append a new one.
 *
 * Tables (fan-out on read, as on the other stores, issue 23):
 *
 * - `counter`: one row, the last position handed out. An accept takes the
 *   next position (with the log row, in one statement) and holds the row
 *   lock until it commits, so positions commit in increasing order and a
 *   reader never sees position n+1 before n (its cursor can never skip a
 *   message).
 * - `group_log`: each group message once, at its position.
 * - `memberships`: a client's intervals in a group's log (`from_pos <
 *   pos <= to_pos`, `since` its first epoch): who reads what.
 * - `inbox`: per-client items (Welcomes), keyed by (client, position).
 * - `readers`: a client's acknowledged position; `forgotten`: positions a
 *   stream acknowledged above it.
 *
 * @module
 */

import type { Sql } from "./pg_sql.ts";

/** The migrations, in order; version = index + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE clients (
    client_id text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    created_at bigint NOT NULL
  );
  CREATE TABLE key_packages (
    ref text PRIMARY KEY,
    owner text NOT NULL,
    bytes bytea NOT NULL,
    last_resort boolean NOT NULL,
    not_after bigint NOT NULL,
    added bigserial NOT NULL
  );
  CREATE INDEX key_packages_owner ON key_packages (owner, added);
  CREATE TABLE key_package_refs (
    ref text PRIMARY KEY,
    owner text NOT NULL
  );
  CREATE TABLE claim_counts (
    window_no bigint NOT NULL,
    key text NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (window_no, key)
  );
  CREATE TABLE challenges (
    challenge text PRIMARY KEY,
    expires_at bigint NOT NULL
  );
  CREATE TABLE groups (
    group_id text PRIMARY KEY,
    epoch integer NOT NULL,
    seq bigint NOT NULL,
    external_joins boolean NOT NULL,
    handshakes text,
    members jsonb NOT NULL,
    group_info bytea NOT NULL,
    group_info_epoch integer NOT NULL
  );
  CREATE TABLE proposals (
    group_id text NOT NULL,
    ref text NOT NULL,
    epoch integer NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (group_id, ref)
  );
  CREATE TABLE joined (
    group_id text NOT NULL,
    client_id text NOT NULL,
    since integer NOT NULL,
    PRIMARY KEY (group_id, client_id)
  );
  CREATE INDEX joined_client ON joined (client_id);
  CREATE TABLE counter (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    n bigint NOT NULL
  );
  INSERT INTO counter (n) VALUES (0);
  CREATE TABLE group_log (
    group_id text NOT NULL,
    pos bigint NOT NULL,
    kind text NOT NULL,
    epoch integer NOT NULL,
    seq bigint NOT NULL,
    bytes bytea NOT NULL,
    skip text,
    at bigint NOT NULL,
    PRIMARY KEY (group_id, pos)
  );
  CREATE TABLE memberships (
    group_id text NOT NULL,
    client_id text NOT NULL,
    since integer NOT NULL,
    from_pos bigint NOT NULL,
    to_pos bigint,
    PRIMARY KEY (client_id, group_id, from_pos)
  );
  CREATE INDEX memberships_group ON memberships (group_id);
  CREATE TABLE inbox (
    client_id text NOT NULL,
    pos bigint NOT NULL,
    group_id text NOT NULL,
    epoch integer NOT NULL,
    seq bigint NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (client_id, pos)
  );
  CREATE TABLE readers (
    client_id text PRIMARY KEY,
    acked bigint NOT NULL
  );
  CREATE TABLE forgotten (
    client_id text NOT NULL,
    pos bigint NOT NULL,
    PRIMARY KEY (client_id, pos)
  );
  CREATE TABLE names (
    key text PRIMARY KEY,
    client_id text NOT NULL,
    display text NOT NULL,
    held_until bigint
  );
  CREATE TABLE name_owners (
    client_id text PRIMARY KEY,
    current text NOT NULL,
    previous text
  );
  `,
  // 2: the key export service's store (issue 18), `server/exports/pg_store.ts`.
  `
  CREATE TABLE exports (
    group_id text NOT NULL,
    consumer_id text NOT NULL,
    epoch integer NOT NULL,
    label bytea NOT NULL,
    context bytea NOT NULL,
    poster integer NOT NULL,
    kem_output bytea NOT NULL,
    ciphertext bytea NOT NULL,
    PRIMARY KEY (group_id, consumer_id, epoch, label, context, poster)
  );
  CREATE TABLE export_consumers (
    group_id text NOT NULL,
    consumer_id text NOT NULL,
    signature_key bytea NOT NULL,
    PRIMARY KEY (group_id, consumer_id)
  );
  CREATE TABLE export_nonces (
    nonce text PRIMARY KEY,
    expires_at bigint NOT NULL
  );
  CREATE INDEX export_nonces_expiry ON export_nonces (expires_at);
  `,
];

/** Advisory lock key of the migrations (any constant). */
const MIGRATION_LOCK = 0x77656d6c;

/** Applies the migrations not applied yet; returns the schema version. */
export async function migrate(sql: Sql): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS webmls_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
    const [row] = await tx<{ v: number }[]>`
      SELECT coalesce(max(version), 0)::int AS v FROM webmls_migrations`;
    if (row.v > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${row.v} is newer than this service's ${MIGRATIONS.length}`,
      );
    }
    for (let v = row.v + 1; v <= MIGRATIONS.length; v++) {
      await tx.unsafe(MIGRATIONS[v - 1]);
      await tx`INSERT INTO webmls_migrations (version) VALUES (${v})`;
    }
    return MIGRATIONS.length;
  });
}
