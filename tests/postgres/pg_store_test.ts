// The Postgres store's own mechanics (issue 19): migrations applied once
// by nodes starting together, one commit per epoch among many concurrent
// ones from two nodes' pools, and the wake-ups across nodes: a NOTIFY from
// another node, catch-up after a gap in positions, after the listening
// connection is dropped, and after a notification that never came.
// Registered only with WEBMLS_TEST_POSTGRES (`deno task test:postgres`).
import assert from "node:assert/strict";
import postgres from "postgres";
import type { PgStore } from "../../server/store/pg.ts";
import { MIGRATIONS } from "../../server/store/pg_schema.ts";
import type { AcceptRequest } from "../../server/store/store.ts";
import { freshDatabase, openPg, PG_URL } from "../server/pg_stores.ts";

const G = "0b".repeat(16);
const id = (i: number) => i.toString(16).padStart(2, "0").repeat(32);
const A = id(1);
const B = id(2);
const C = id(3);

function commit(poster: string, epoch: number, n: number): AcceptRequest {
  return {
    groupId: G,
    poster,
    kind: "commit",
    epoch,
    message: new Uint8Array([0xcc, epoch, n]),
    nextMembers: [A, B, C],
    groupInfo: new Uint8Array([n]),
  };
}

async function group(s: PgStore, members = [A, B, C]): Promise<void> {
  assert.ok(
    await s.createGroup({
      groupId: G,
      epoch: 0,
      members,
      groupInfo: new Uint8Array(4),
      externalJoins: false,
    }),
  );
}

if (PG_URL) {
  Deno.test("Postgres store: nodes starting together apply each migration once", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([0, 1, 2].map(() => openPg({}, url)));
    const raw = postgres(url, { max: 1 });
    try {
      const rows = await raw`SELECT version FROM webmls_migrations`;
      assert.deepEqual(
        rows.map((r) => r.version),
        MIGRATIONS.map((_, i) => i + 1),
      );
      // And again at a restart: nothing to do.
      const again = await openPg({}, url);
      await again.close();
      const [n] = await raw`SELECT count(*)::int AS n FROM webmls_migrations`;
      assert.equal(n.n, MIGRATIONS.length);
    } finally {
      await raw.end();
      for (const s of stores) await s.close();
    }
  });

  Deno.test("Postgres store: a database of an older version gets only the newer migrations; a newer one is refused", async () => {
    const url = await freshDatabase();
    const raw = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // As the first release left it: migration 1 only, with a client.
      await raw`CREATE TABLE webmls_migrations (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now())`;
      await raw.unsafe(MIGRATIONS[0]);
      await raw`INSERT INTO webmls_migrations (version) VALUES (1)`;
      await raw`INSERT INTO clients VALUES ('c1', 'h1', 1)`;
      const s = await openPg({}, url);
      try {
        assert.equal(await s.hasClient("c1"), true);
        const rows = await raw`
          SELECT version FROM webmls_migrations ORDER BY version`;
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((_, i) => i + 1),
        );
        // Migration 2's tables are there.
        assert.deepEqual(
          await s.exports().putExports("g", [], [{
            consumerId: "6166",
            epoch: 1,
            label: new Uint8Array([1]),
            context: new Uint8Array(0),
            poster: 0,
            kemOutput: new Uint8Array(32),
            ciphertext: new Uint8Array(48),
          }], 32),
          { stored: 1 },
        );
      } finally {
        await s.close();
      }
      // A database a newer service migrated: this one refuses it.
      await raw`INSERT INTO webmls_migrations (version) VALUES (${
        MIGRATIONS.length + 1
      })`;
      await assert.rejects(openPg({}, url), /newer than this service/);
    } finally {
      await raw.end();
    }
  });

  Deno.test("Postgres store: of 24 concurrent commits for one epoch from two nodes, exactly one wins", async () => {
    const url = await freshDatabase();
    const one = await openPg({}, url);
    const two = await openPg({}, url);
    try {
      await group(one);
      for (let epoch = 0; epoch < 3; epoch++) {
        const results = await Promise.all(
          Array.from(
            { length: 24 },
            (_, i) =>
              (i % 2 ? one : two).accept(commit([A, B, C][i % 3], epoch, i)),
          ),
        );
        const won = results.filter((r) => r.ok);
        assert.equal(won.length, 1, JSON.stringify(results));
        for (const r of results) {
          if (r.ok) continue;
          assert.deepEqual(r, {
            ok: false,
            reason: "epoch_conflict",
            epoch: epoch + 1,
          });
        }
        assert.equal((await two.getGroup(G))?.epoch, epoch + 1);
      }
      // Every member reads the three winners, in order, once each.
      const got = await two.fetchInbox(B, undefined, 100);
      assert.deepEqual(got.map((m) => [m.kind, m.epoch, m.seq]), [
        ["commit", 0, 1],
        ["commit", 1, 2],
        ["commit", 2, 3],
      ]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  Deno.test("Postgres store: an accept on one node wakes a subscriber on another", async () => {
    const url = await freshDatabase();
    const one = await openPg({}, url);
    const two = await openPg({}, url);
    try {
      await group(one);
      const sub = await two.subscribe(B);
      assert.equal(await sub.changed(50), false);
      const t0 = performance.now();
      const woken = sub.changed(5000);
      assert.ok(
        (await one.accept({
          groupId: G,
          poster: A,
          kind: "application",
          epoch: 0,
          message: new Uint8Array([1]),
        })).ok,
      );
      assert.equal(await woken, true);
      assert.ok(performance.now() - t0 < 5000);
      assert.equal((await two.fetchInbox(B, undefined, 10)).length, 1);
      // A client added by a commit on one node is woken on the other.
      const later = id(9);
      const subL = await two.subscribe(later);
      const wokenL = subL.changed(5000);
      assert.ok(
        (await one.accept({
          ...commit(A, 0, 1),
          nextMembers: [A, B, C, later],
          welcome: { bytes: new Uint8Array([7]), recipients: [later] },
        })).ok,
      );
      assert.equal(await wokenL, true);
      // And from then on by its new group's messages.
      const again = subL.changed(5000);
      assert.ok(
        (await one.accept({
          groupId: G,
          poster: A,
          kind: "application",
          epoch: 1,
          message: new Uint8Array([2]),
        })).ok,
      );
      assert.equal(await again, true);
      sub.close();
      subL.close();
    } finally {
      await one.close();
      await two.close();
    }
  });

  Deno.test("Postgres store: a missed notification is caught up (gap, reconnect, counter check)", async () => {
    const url = await freshDatabase();
    const s = await openPg({ wakeCheckMs: 100 }, url);
    const raw = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // C reads no group: only a catch-up wakes it.
      const sub = await s.subscribe(C);
      assert.equal(await sub.changed(300), false);
      // 1. A gap in positions: some notification was lost.
      await raw.begin(async (tx) => {
        const [{ n }] = await tx`
          UPDATE counter SET n = n + 2 RETURNING n::int AS n`;
        await tx`SELECT pg_notify('webmls_wake', ${`g other ${n} ${n}`})`;
      });
      assert.equal(await sub.changed(3000), true);
      assert.equal(s.catchUps, 1);
      // 2. The listening connection dropped: reconnected, everyone woken.
      await raw`
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE 'listen%'`;
      assert.equal(await sub.changed(10_000), true);
      assert.equal(s.catchUps, 2);
      // 3. A position taken with no notification at all: the periodic
      // check sees the counter ahead twice in a row.
      await raw`UPDATE counter SET n = n + 1`;
      assert.equal(await sub.changed(3000), true);
      assert.equal(s.catchUps, 3);
      sub.close();
    } finally {
      await raw.end();
      await s.close();
    }
  });
}
