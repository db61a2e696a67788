/**
 * Inbox cost against inbox size, on the memory store and on Deno KV (a
 * temporary file): with N unacknowledged messages waiting, the time to
 * fetch the oldest page of 100 and the time to acknowledge it.
 *
 * The inbox is filled through `accept` (application messages of a
 * two-member group, 200 bytes each), the path the service uses. Each round
 * fetches the oldest 100, acknowledges them, and tops the inbox up again by
 * 100 (untimed), so every round sees N messages; the table shows the
 * median of the rounds. N = 100 is the baseline: the inbox holds nothing
 * but the page.
 *
 * `deno task bench:inbox [--sizes 100,1000,20000,100000] [--rounds 7]
 *  [--store memory|kv|both]`
 *
 * @module
 */

import { KvStore } from "../server/store/kv.ts";
import { MemoryStore } from "../server/store/memory.ts";
import type { DeliveryStore } from "../server/store/store.ts";

function flag(name: string, dflt: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : dflt;
}

const SIZES = flag("sizes", "100,1000,20000,100000").split(",").map(Number);
const ROUNDS = Number(flag("rounds", "7"));
const STORES = flag("store", "both");
const PAGE = 100;
const GID = "ab".repeat(16);
const ALICE = "a1".repeat(32);
const BOB = "b0".repeat(32);
const BODY = new Uint8Array(200).fill(7);

/** Waits for background inbox work where the store has any (not timed). */
async function settle(store: DeliveryStore): Promise<void> {
  const s = store as { flush?: () => Promise<void> };
  await s.flush?.();
}

async function post(store: DeliveryStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.accept({
      groupId: GID,
      poster: ALICE,
      kind: "application",
      epoch: 0,
      message: BODY,
    });
    if (!r.ok) throw new Error(`accept failed: ${r.reason}`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Row {
  store: string;
  size: number;
  fetchMs: number;
  ackMs: number;
  fillS: number;
}

async function run(name: string, store: DeliveryStore): Promise<Row[]> {
  await store.createGroup({
    groupId: GID,
    epoch: 0,
    members: [ALICE, BOB],
    groupInfo: new Uint8Array(10),
    externalJoins: false,
  });
  const rows: Row[] = [];
  let have = 0;
  for (const size of SIZES) {
    const t0 = performance.now();
    await post(store, size - have);
    have = size;
    await settle(store);
    const fillS = (performance.now() - t0) / 1000;
    const fetches: number[] = [];
    const acks: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      const page = await store.fetchInbox(BOB, undefined, PAGE);
      fetches.push(performance.now() - t);
      if (page.length !== Math.min(PAGE, size)) {
        throw new Error(`fetched ${page.length}, expected ${PAGE}`);
      }
      t = performance.now();
      const acked = await store.ack(BOB, page[page.length - 1].cursor);
      acks.push(performance.now() - t);
      if (acked !== page.length) throw new Error(`acked ${acked}`);
      await post(store, page.length);
      await settle(store);
    }
    const row = {
      store: name,
      size,
      fetchMs: median(fetches),
      ackMs: median(acks),
      fillS,
    };
    console.error(
      `${name} N=${size}: fetch ${row.fetchMs.toFixed(3)} ms, ack ${
        row.ackMs.toFixed(3)
      } ms (filled in ${fillS.toFixed(1)} s)`,
    );
    rows.push(row);
  }
  await store.close();
  return rows;
}

const rows: Row[] = [];
if (STORES !== "kv") rows.push(...await run("memory", new MemoryStore()));
if (STORES !== "memory") {
  const dir = await Deno.makeTempDir({ prefix: "webmls-inbox-bench-" });
  try {
    rows.push(...await run("Deno KV", await KvStore.open(`${dir}/bench.kv`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

console.log("| store | unacknowledged | fetch 100 (ms) | ack 100 (ms) |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.size.toLocaleString("en")} | ${
      r.fetchMs.toFixed(3)
    } | ${r.ackMs.toFixed(3)} |`,
  );
}
