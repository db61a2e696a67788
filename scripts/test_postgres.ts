/**
 * `deno task test:postgres`: the store tests on Postgres and the
 * three-node tests (`tests/postgres/`). With `WEBMLS_TEST_POSTGRES` set
 * (a server where the tests may create databases, e.g.
 * `postgres://postgres@127.0.0.1:5432/postgres`) it uses that server;
 * otherwise it starts a throwaway cluster (`pg_cluster.ts`: Debian's
 * `postgresql` package, initdb/pg_ctl in a temporary directory, as the
 * `postgres` user when run as root) and removes it afterwards. Each test
 * creates a database of its own (`t_…`); on a server you name they stay
 * (drop them, or use a throwaway server). Extra
 * arguments go to `deno test` (e.g. `--filter "three nodes"`).
 *
 * @module
 */

import { startCluster } from "./pg_cluster.ts";

/** The test files with Postgres cases (named "… (Postgres) …"). */
const FILES = [
  "tests/server/group_log_test.ts",
  "tests/server/flow_test.ts",
  "tests/server/api_test.ts",
  "tests/server/race_test.ts",
  "tests/server/group_security_test.ts",
  "tests/server/client_security_test.ts",
  "tests/server/names_test.ts",
  "tests/server/inbox_scale_test.ts",
  "tests/server/pq_flow_test.ts",
  "tests/server/store_pg_test.ts",
  "tests/export/store_test.ts",
  "tests/postgres/",
];

const given = Deno.env.get("WEBMLS_TEST_POSTGRES");
const cluster = given ? undefined : await startCluster();
const url = given ?? cluster!.url;
console.log(
  given
    ? "Postgres: WEBMLS_TEST_POSTGRES"
    : `Postgres: throwaway cluster at ${url}`,
);
let code = 1;
try {
  const extra = Deno.args.includes("--filter") ? [] : ["--filter", "Postgres"];
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...extra, ...Deno.args, ...FILES],
    env: { WEBMLS_TEST_POSTGRES: url },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  code = status.code;
} finally {
  await cluster?.stop();
}
Deno.exit(code);
