/**
 * Bytes a member writes to storage per operation through the public API,
 * and the time the API takes to process a commit next to the group layer
 * alone (`receiveMessage`, no storage):
 *
 * ```sh
 * deno run -A bench/storage_bytes.ts 100 1000
 * ```
 *
 * A counting storage wrapper sums keys and values of every batch. Per size:
 * the creator adds n − 1 members at once (the add's commit and its merge),
 * members 1 and 2 join; member 1 updates (its own update: the commit and its
 * merge), member 2 processes that commit (processed commit). Updates by a
 * few members first fill parent nodes along their paths.
 *
 * @module
 */

import { type KeyPackageOutput, MemoryStorage, MLS } from "../mod.ts";
import type {
  Storage,
  StorageValue,
  StorageWrite,
} from "../src/api/storage/storage.ts";
import { defaultProvider } from "../providers/mod.ts";
import { decode } from "../src/codec/codec.ts";
import { mlsMessageCodec } from "../src/framing/mls_message.ts";
import { receiveMessage } from "../src/group/receive.ts";
import { loadState } from "../src/api/persist.ts";
import { groupKey, signerKey } from "../src/api/records.ts";

class Counting implements Storage {
  readonly canStoreCryptoKeys = true;
  readonly inner = new MemoryStorage();
  bytes = 0;
  /** Bytes by record kind (the key's first part), when `--by-record`. */
  byKind = new Map<string, number>();
  get(key: string): Promise<StorageValue | undefined> {
    return this.inner.get(key);
  }
  batch(
    writes: readonly StorageWrite[],
    options?: Parameters<Storage["batch"]>[1],
  ): Promise<void> {
    for (const w of writes) {
      const n = w.key.length +
        (w.value instanceof Uint8Array ? w.value.length : 0);
      this.bytes += n;
      const kind = w.key.split("/")[0];
      this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + n);
    }
    return this.inner.batch(writes, options);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

const byRecord = Deno.args.includes("--by-record");
const args = Deno.args.filter((a) => !a.startsWith("--"));
const sizes = args.length > 0 ? args.map(Number) : [100, 1000];
const rounds = 15;

/** Prints what `f` wrote by record kind, with `--by-record`. */
async function traced<T>(
  storage: Counting,
  what: string,
  f: () => Promise<T>,
): Promise<T> {
  storage.byKind.clear();
  const out = await f();
  if (byRecord) {
    console.log(
      `  ${what}: ${
        [...storage.byKind].map(([k, n]) => `${k} ${kb(n)}`).join(", ")
      }`,
    );
  }
  return out;
}
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function apiSide(n: number) {
  const storage = new Counting();
  const mls = new MLS({ storage });
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await mls.generateIdentity());
  const creator = await mls.groupCreate(
    ids[0],
    await mls.generateCredential("m0"),
  );
  const kps: KeyPackageOutput[] = [];
  for (let i = 1; i < n; i++) {
    kps.push(
      await mls.generateKeyPackage(
        ids[i],
        await mls.generateCredential(`m${i}`),
      ),
    );
  }
  let from = storage.bytes;
  const add = await traced(storage, "add", async () => {
    const add = await creator.add(kps);
    await creator.receive(add);
    return add;
  });
  const addBytes = storage.bytes - from;
  const joined = [creator];
  const joiners = Math.min(n - 1, 6);
  for (let i = 1; i <= joiners; i++) {
    joined.push(await mls.groupJoin(ids[i], add));
  }
  // Fill parents: a few members update.
  for (let k = 3; k < joined.length; k++) {
    const c = await joined[k].update();
    for (const v of joined) await v.receive(c);
  }
  from = storage.bytes;
  const upd = await traced(storage, "own update", async () => {
    const upd = await joined[1].update();
    await joined[1].receive(upd);
    return upd;
  });
  const ownBytes = storage.bytes - from;
  from = storage.bytes;
  const t0 = performance.now();
  await traced(storage, "processed", () => joined[2].receive(upd));
  const apiMs = performance.now() - t0;
  const procBytes = storage.bytes - from;
  void apiMs;
  for (const v of [joined[0], ...joined.slice(3)]) await v.receive(upd);
  // The same member's state in the group layer alone, loaded from storage
  // and then kept in step: each round times receiveMessage on it and
  // receive() on the view, for the same commit.
  const me = joined[2];
  const signer = (await storage.get(signerKey(me.clientId))) as Uint8Array;
  let state = (await loadState(
    storage,
    defaultProvider(),
    groupKey(me.groupId, me.clientId),
    me.groupId,
    me.clientId,
    signer,
  ))!.state;
  const api: number[] = [];
  const internal: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const c = await joined[1].update();
    await joined[1].receive(c);
    const t0 = performance.now();
    const out = await receiveMessage(
      state,
      decode(mlsMessageCodec, c.commit, "MLSMessage"),
    );
    const t1 = performance.now();
    await me.receive(c);
    const t2 = performance.now();
    if (out.kind !== "commit") throw new Error(out.kind);
    state = out.state;
    if (r > 0) {
      internal.push(t1 - t0);
      api.push(t2 - t1);
    }
    for (const v of [joined[0], ...joined.slice(3)]) await v.receive(c);
  }
  return {
    addBytes,
    ownBytes,
    procBytes,
    apiMs: median(api),
    internalMs: median(internal),
  };
}

console.log(
  "| members | add n−1 members | own update | processed commit | receive(): API | group layer |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const n of sizes) {
  const api = await apiSide(n);
  console.log(
    `| ${n} | ${kb(api.addBytes)} | ${kb(api.ownBytes)} | ${
      kb(api.procBytes)
    } | ${api.apiMs.toFixed(1)} ms | ${api.internalMs.toFixed(1)} ms |`,
  );
}
