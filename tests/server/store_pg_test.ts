/**
 * The store contract (store_conformance.ts) on Postgres, each case on a
 * fresh database; registered only when `WEBMLS_TEST_POSTGRES` names a
 * server (`deno task test:postgres`).
 */
import { openPg, PG_URL } from "./pg_stores.ts";
import { storeConformance } from "./store_conformance.ts";

if (PG_URL) storeConformance("Postgres", () => openPg());
