// Sizes and timings of the post-quantum suites against suite 1, on webmls's
// internal group API (no storage), one process, operations in turn:
//
//   deno run -A bench/pq_suites.ts [--reps N] [--members N]
//
// Per suite: the key package (MLSMessage bytes, time to generate), adding
// one member to a one-member group (commit and Welcome bytes, time to
// create the commit, time to join), a self-update in a group of
// `--members` (8) (commit bytes, time to create it, time for one member to
// process it), and a 100-byte application message (bytes, time to
// encrypt and decrypt). Times are the fastest of `--reps` (5) after a
// warm-up: on a shared, loaded machine the least disturbed run.
// Prints a markdown table (the rows in bench/README.md).
import { createProvider } from "../providers/mod.ts";
import type { SuiteCrypto } from "../providers/provider.ts";
import { suiteTable } from "../src/crypto/pq_suites.ts";
import {
  webmlsGroup,
  WebmlsJoiner,
  type WebmlsMember,
} from "../tests/interop/webmls_adapter.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const REPS = arg("--reps", 5);
const MEMBERS = arg("--members", 8);

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

function fastest(xs: number[]): number {
  return Math.min(...xs);
}

interface Row {
  kp: number;
  kpMs: number;
  addCommit: number;
  welcome: number;
  addMs: number;
  joinMs: number;
  update: number;
  updateMs: number;
  processMs: number;
  message: number;
  messageMs: number;
}

async function once(cs: SuiteCrypto): Promise<Row> {
  const [kpMs, j] = await time(() => WebmlsJoiner.create(cs, "bob"));
  const alice = await webmlsGroup(cs, "alice");
  const [addMs, c] = await time(() =>
    alice.commit({ add: [j.keyPackage], public: false })
  );
  const [joinMs, bob] = await time(() => j.join(c.welcome!));
  // A group of MEMBERS: the others join in one commit (untimed).
  const more = await Promise.all(
    Array.from(
      { length: MEMBERS - 2 },
      (_, i) => WebmlsJoiner.create(cs, `m${i}`),
    ),
  );
  const c2 = await alice.commit({
    add: more.map((m) => m.keyPackage),
    public: false,
  });
  await bob.receive(c2.commit);
  const [updateMs, u] = await time(() => alice.commit({ public: false }));
  const [processMs] = await time(() => bob.receive(u.commit));
  const text = new Uint8Array(100).fill(0x61);
  const [messageMs, m] = await time(async () => {
    const bytes = await (alice as WebmlsMember).send(text);
    await bob.receive(bytes);
    return bytes;
  });
  return {
    kp: j.keyPackage.length,
    kpMs,
    addCommit: c.commit.length,
    welcome: c.welcome!.length,
    addMs,
    joinMs,
    update: u.commit.length,
    updateMs,
    processMs,
    message: m.length,
    messageMs,
  };
}

async function measure(cs: SuiteCrypto): Promise<Row> {
  await once(cs); // warm-up
  const rows: Row[] = [];
  for (let i = 0; i < REPS; i++) rows.push(await once(cs));
  const out = { ...rows[0] };
  for (const k of Object.keys(out) as (keyof Row)[]) {
    if (k.endsWith("Ms")) out[k] = fastest(rows.map((r) => r[k]));
  }
  return out;
}

const SUITES: [string, "draft" | "ts-mls" | "openmls", number][] = [
  ["RFC 9420", "draft", 1],
  ...[1, 2, 6, 7, 8, 9, 10, 11].map((n) =>
    [`draft TBD${n}`, "draft", 0xf000 + n] as [string, "draft", number]
  ),
  ...Array.from(
    { length: 12 },
    (_, i) => ["ts-mls", "ts-mls", 77 + i] as [string, "ts-mls", number],
  ),
  ["OpenMLS", "openmls", 0x4d],
];

const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);
console.log(
  `| suite | name | key package B (ms) | add: commit B, Welcome B (commit ms, join ms) | update in ${MEMBERS}: commit B (create ms, process ms) | 100 B message: B (send+receive ms) |`,
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const [source, numbering, id] of SUITES) {
  const cs = await createProvider({ codePoints: numbering }).suite(id);
  const r = await measure(cs);
  const name = suiteTable(numbering)[id].name;
  const hex = "0x" + id.toString(16).padStart(4, "0").toUpperCase();
  const code = `${source} ${source === "ts-mls" || id === 1 ? id : hex}`;
  console.log(
    `| ${code} | ${name} | ${r.kp} (${
      ms(r.kpMs)
    }) | ${r.addCommit}, ${r.welcome} (${ms(r.addMs)}, ${
      ms(r.joinMs)
    }) | ${r.update} (${ms(r.updateMs)}, ${ms(r.processMs)}) | ${r.message} (${
      ms(r.messageMs)
    }) |`,
  );
}
