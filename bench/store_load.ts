/**
 * The delivery stores alone, without HTTP (issue 23): one group of N
 * members, 8 posters accepting M application messages from member 0, and
 * every other member subscribed, fetching and forgetting as a stream does.
 * Prints accepted and delivered messages per second and the p50/p99 delay
 * from `accept` to the fetch that returned the message.
 *
 * `deno run -A --unstable-kv bench/store_load.ts [memory|kv] [members]
 *  [messages] [root]` — `root` (default: this repository) loads the stores of
 * another checkout, for before/after runs of the same loop.
 *
 * @module
 */

import type { DeliveryStore } from "../server/store/store.ts";

const which = Deno.args[0] ?? "kv";
const N = Number(Deno.args[1] ?? 100);
const M = Number(Deno.args[2] ?? 300);
const root = Deno.args[3] ??
  decodeURIComponent(new URL("..", import.meta.url).pathname);

const { KvStore } = await import(`${root}/server/store/kv.ts`);
const { MemoryStore } = await import(`${root}/server/store/memory.ts`);
const dir = await Deno.makeTempDir({ prefix: "webmls-store-load-" });
const store: DeliveryStore = which === "kv"
  ? await KvStore.open(`${dir}/s.kv`)
  : new MemoryStore();
const id = (i: number) => i.toString(16).padStart(64, "0");
const members = Array.from({ length: N }, (_, i) => id(i + 1));
const gid = "ab".repeat(16);
await store.createGroup({
  groupId: gid,
  epoch: 0,
  members,
  groupInfo: new Uint8Array(100),
  externalJoins: false,
});

const sentAt: number[] = [];
const delays: number[] = [];
const done = Promise.withResolvers<void>();
let stop = false;
const indexOf = (b: Uint8Array) => (b[0] << 16) | (b[1] << 8) | b[2];
for (const c of members.slice(1)) {
  (async () => {
    const sub = await store.subscribe(c);
    let cursor: string | undefined;
    let woken = false;
    while (!stop) {
      const msgs = await store.fetchInbox(c, cursor, 100, woken);
      const now = performance.now();
      for (const m of msgs) delays.push(now - sentAt[indexOf(m.bytes)]);
      if (msgs.length > 0) {
        cursor = msgs[msgs.length - 1].cursor;
        store.forget(c, msgs.map((m) => m.cursor)).catch(() => {});
      }
      if (delays.length >= M * (N - 1)) done.resolve();
      if (msgs.length < 100) woken = await sub.changed(1000);
    }
    sub.close();
  })().catch((e) => {
    if (!stop) throw e; // after the run, the store closing ends the readers
  });
}
await new Promise((r) => setTimeout(r, 200)); // subscriptions settle

const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  while (next < M) {
    const i = next++;
    const message = new Uint8Array(200);
    message.set([i >> 16, (i >> 8) & 255, i & 255]);
    sentAt[i] = performance.now();
    const r = await store.accept({
      groupId: gid,
      poster: members[0],
      kind: "application",
      epoch: 0,
      message,
    });
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`);
  }
}));
const posted = performance.now() - t0;
await done.promise;
const total = performance.now() - t0;
stop = true;
delays.sort((a, b) => a - b);
const at = (p: number) => delays[Math.floor(p * (delays.length - 1))];
console.log(
  `${which} ${N} members: accepted ${(M / posted * 1000).toFixed(0)}/s, ` +
    `delivered ${(M / total * 1000).toFixed(0)} messages/s, ` +
    `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`,
);
await store.close();
await Deno.remove(dir, { recursive: true });
Deno.exit(0);
