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

import { MemoryStorage, MLS } from "../mod.ts";
import type {
  Storage,
  StorageValue,
  StorageWrite,
} from "../src/api/storage/storage.ts";
import { defaultProvider } from "../providers/mod.ts";
import { decode, encode } from "../src/codec/codec.ts";
import { mlsMessageCodec } from "../src/framing/mls_message.ts";
import { createCommit } from "../src/group/commit.ts";
import { createGroup } from "../src/group/create.ts";
import { generateKeyPackage } from "../src/group/key_package.ts";
import { receiveMessage } from "../src/group/receive.ts";
import { joinFromWelcome } from "../src/group/welcome.ts";

class Counting implements Storage {
  readonly canStoreCryptoKeys = true;
  readonly inner = new MemoryStorage();
  bytes = 0;
  get(key: string): Promise<StorageValue | undefined> {
    return this.inner.get(key);
  }
  batch(
    writes: readonly StorageWrite[],
    options?: Parameters<Storage["batch"]>[1],
  ): Promise<void> {
    for (const w of writes) {
      this.bytes += w.key.length +
        (w.value instanceof Uint8Array ? w.value.length : 0);
    }
    return this.inner.batch(writes, options);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [100, 1000];
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
  const kps = [];
  for (let i = 1; i < n; i++) {
    kps.push(
      await mls.generateKeyPackage(
        ids[i],
        await mls.generateCredential(`m${i}`),
      ),
    );
  }
  let from = storage.bytes;
  const add = await creator.add(kps);
  await creator.receive(add);
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
  const upd = await joined[1].update();
  await joined[1].receive(upd);
  const ownBytes = storage.bytes - from;
  from = storage.bytes;
  const t0 = performance.now();
  await joined[2].receive(upd);
  const apiMs = performance.now() - t0;
  const procBytes = storage.bytes - from;
  const times = [apiMs];
  for (const v of [joined[0], ...joined.slice(3)]) await v.receive(upd);
  // More processed commits, timed.
  for (let r = 0; r < 4; r++) {
    const c = await joined[1].update();
    await joined[1].receive(c);
    const t = performance.now();
    await joined[2].receive(c);
    times.push(performance.now() - t);
    for (const v of [joined[0], ...joined.slice(3)]) await v.receive(c);
  }
  return { addBytes, ownBytes, procBytes, apiMs: median(times) };
}

async function internalSide(n: number): Promise<number> {
  const cs = await defaultProvider().suite(1);
  const cred = (s: string) => ({
    credentialType: 1 as const,
    identity: new TextEncoder().encode(s),
  });
  const signer = await cs.signatureGenerateKeyPair();
  const creator = await createGroup(cs, cred("m0"), signer);
  const members = [];
  for (let i = 1; i < n; i++) {
    const s = await cs.signatureGenerateKeyPair();
    members.push({
      signer: s,
      kp: await generateKeyPackage(cs, cred(`m${i}`), s),
    });
  }
  const add = await createCommit(creator, {
    proposals: members.map((m) => ({
      proposalType: 1 as const,
      keyPackage: m.kp.keyPackage,
    })),
  });
  const join = async (m: typeof members[number]) =>
    (await joinFromWelcome(cs, add.welcome!, {
      keyPackage: m.kp.keyPackage,
      ...m.kp.privateKeys,
      signer: m.signer.privateKey,
    })).state;
  let a = await join(members[0]);
  let b = await join(members[1]);
  const times = [];
  for (let r = 0; r < 5; r++) {
    const c = await createCommit(a);
    a = c.state;
    const bytes = encode(mlsMessageCodec, c.message);
    const t = performance.now();
    const out = await receiveMessage(
      b,
      decode(mlsMessageCodec, bytes, "MLSMessage"),
    );
    times.push(performance.now() - t);
    if (out.kind !== "commit") throw new Error(out.kind);
    b = out.state;
  }
  return median(times);
}

console.log(
  "| members | add n−1 members | own update | processed commit | receive(): API | group layer |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const n of sizes) {
  const api = await apiSide(n);
  const internal = await internalSide(n);
  console.log(
    `| ${n} | ${kb(api.addBytes)} | ${kb(api.ownBytes)} | ${
      kb(api.procBytes)
    } | ${api.apiMs.toFixed(1)} ms | ${internal.toFixed(1)} ms |`,
  );
}
