/**
 * Postgres for the store tests: when `WEBMLS_TEST_POSTGRES` names a server
 * (`deno task test:postgres` starts a throwaway cluster and sets it), the
 * store-conformance tests also run on {@link PgStore}, each test on a
 * database of its own. Without it, the Postgres cases are not registered
 * (`deno task test` has no Postgres server; CI runs `test:postgres`).
 *
 * @module
 */

import postgres from "postgres";
import { PgStore, type PgStoreOptions } from "../../server/store/pg.ts";

/** The admin URL of the test server, if any. */
export const PG_URL: string | undefined = Deno.env.get(
  "WEBMLS_TEST_POSTGRES",
);

let made = 0;

/** A new, empty database on the test server; its URL. */
export async function freshDatabase(): Promise<string> {
  if (!PG_URL) throw new Error("WEBMLS_TEST_POSTGRES is not set");
  const name = `t_${Date.now().toString(36)}_${Deno.pid}_${made++}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A {@link PgStore} on a fresh database (or on `url`). */
export async function openPg(
  options: PgStoreOptions = {},
  url?: string,
): Promise<PgStore> {
  return await PgStore.open(url ?? await freshDatabase(), options);
}
