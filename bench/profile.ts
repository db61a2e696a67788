/**
 * Runs one benchmark operation in a loop on one side, for profiling:
 *
 * ```sh
 * deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts update 1000 20
 * deno run -A bench/cpuprofile_top.ts /tmp/prof/*.cpuprofile
 * ```
 *
 * Arguments: operation (`keyPackage`, `createGroup`, `add`, `commit`
 * (empty commit only), `process` (processing an empty commit only),
 * `message100`, `message1M`, `export`, `state`, `join`), group size,
 * iterations; `ts-mls` to profile ts-mls instead, `--js-kdf` with the
 * `kdf: "js"` provider option,
 * `--count` to count `crypto.subtle` calls, `--trace` for a timeline of
 * the calls of the last iteration. Prints the
 * mean time per iteration of each phase.
 *
 * @module
 */

import type { BenchJoiner, Side } from "./sides/side.ts";
import { SUBTLE_METHODS } from "../tests/subtle_methods.ts";

// deno-lint-ignore no-explicit-any
type AnySide = Side<any, BenchJoiner>;
// deno-lint-ignore no-explicit-any
type Member = any;

const [op = "process", nArg = "100", itArg = "20"] = Deno.args.filter((
  a,
  i,
) =>
  !a.startsWith("--") && a !== "ts-mls" && a !== "webmls" &&
  Deno.args[i - 1] !== "--fixture"
);
const n = Number(nArg);
const iterations = Number(itArg);
const sideName = Deno.args.includes("ts-mls") ? "ts-mls" : "webmls";
const side: AnySide = sideName === "webmls"
  ? await (await import("./sides/webmls.ts")).webmlsSide(1, {
    ...(Deno.args.includes("--js-kdf") ? { kdf: "js" } : {}),
  })
  : await (await import("./sides/ts_mls.ts")).tsMlsSide();

async function joiners(count: number): Promise<BenchJoiner[]> {
  const out: BenchJoiner[] = [];
  while (out.length < count) {
    const b = Math.min(64, count - out.length);
    out.push(
      ...await Promise.all(
        Array.from({ length: b }, (_, i) => side.generateKeyPackage(`m${i}`)),
      ),
    );
  }
  return out;
}

const totals: Record<string, number> = {};
const samples: Record<string, number[]> = {};

// --count: count crypto.subtle calls per method during the timed phases;
// --trace: print a timeline of the calls of the last iteration.
const counts: Record<string, number> = {};
let counting = false;
let tracing = false;
const trace: { start: number; end: number; name: string; where: string }[] = [];
if (Deno.args.includes("--count") || Deno.args.includes("--trace")) {
  const subtle = crypto.subtle as unknown as Record<
    string,
    (...a: unknown[]) => Promise<unknown>
  >;
  for (
    const m of SUBTLE_METHODS
  ) {
    const orig = subtle[m].bind(crypto.subtle);
    subtle[m] = (...a: unknown[]) => {
      if (tracing) {
        const start = performance.now();
        const where = (new Error().stack ?? "").split("\n").slice(2)
          .map((l) => /(src|providers)\/([\w/]+\.ts):(\d+)/.exec(l))
          .filter((x) => x).slice(0, Number(Deno.env.get("TRACE_DEPTH") ?? 2))
          .map((x) => `${x![2]}:${x![3]}`)
          .join(" < ");
        const p = orig(...a);
        const alg = a[0] as string | { name?: string };
        const name = `${m}(${typeof alg === "string" ? alg : alg?.name ?? ""})`;
        p.finally(() =>
          trace.push({ start, end: performance.now(), name, where })
        );
        return p;
      }
      if (counting) {
        const alg = a[0] as string | { name?: string };
        const name = m === "importKey" || m === "exportKey"
          ? `${m}(${a[0]},${(a[2] as { name?: string })?.name ?? a[2] ?? ""})`
          : `${m}(${typeof alg === "string" ? alg : alg?.name ?? ""})`;
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return orig(...a);
    };
  }
}
let iteration = 0;
async function time<T>(phase: string, f: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  counting = Deno.args.includes("--count");
  tracing = Deno.args.includes("--trace") && iteration === iterations - 1;
  if (tracing) traceStart = t0;
  const r = await f();
  counting = tracing = false;
  (samples[phase] ??= []).push(performance.now() - t0);
  totals[phase] = (totals[phase] ?? 0) + performance.now() - t0;
  return r;
}

// --fixture FILE: load the two members from FILE (written by a first run
// with the same flag), so that a profile holds little set-up work.
const fixtureIdx = Deno.args.indexOf("--fixture");
const fixture = fixtureIdx >= 0 ? Deno.args[fixtureIdx + 1] : undefined;
const t0 = performance.now();
let a: Member, b: Member, built: { welcome?: Uint8Array } = {};
let js: BenchJoiner[] = [];
const saved = fixture &&
  await Deno.readFile(fixture).catch(() => undefined);
if (saved && op !== "join" && op !== "add") {
  const view = new DataView(saved.buffer);
  const la = view.getUint32(0);
  a = await side.load(saved.subarray(4, 4 + la));
  b = await side.load(saved.subarray(4 + la));
  // A loaded webmls state computes its tree hashes at first use; a joined
  // one (as in the benchmark) has them already.
  if (a.tree?.treeHash) {
    await Promise.all([a, b].map((m) => m.tree.treeHash(m.cs)));
  }
} else {
  const a0 = await side.createGroup("creator");
  js = await joiners(Math.max(n - 1, 1));
  built = await side.commit(a0, js.map((j) => j.keyPackage));
  a = (built as { member: unknown }).member;
  b = await side.join(js[js.length - 1], built.welcome!);
  if (fixture) {
    const sa = side.serialize(a), sb = side.serialize(b);
    const out = new Uint8Array(4 + sa.length + sb.length);
    new DataView(out.buffer).setUint32(0, sa.length);
    out.set(sa, 4);
    out.set(sb, 4 + sa.length);
    await Deno.writeFile(fixture, out);
  }
}
console.error(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const data = new Uint8Array(op === "message1M" ? 1 << 20 : 100);
// Processing leaves `b` unchanged: one commit serves every iteration.
const pending = op === "process" ? await side.commit(side.fork(a), []) : null;
const extra = op === "add" ? await joiners(n) : [];

let traceStart = 0;
for (let i = 0; i < iterations; i++, iteration++) {
  switch (op) {
    case "keyPackage":
      await time(op, () => side.generateKeyPackage("x"));
      break;
    case "createGroup":
      await time(op, () => side.createGroup("x"));
      break;
    case "commit":
      await time(op, () => side.commit(side.fork(a), []));
      break;
    case "process":
      await time(op, () => side.process(b, pending!.commit));
      break;
    case "add": {
      const c = await time(
        "commit",
        () => side.commit(side.fork(a), extra.map((j) => j.keyPackage)),
      );
      await time("process", () => side.process(b, c.commit));
      await time("join", () => side.join(extra[0], c.welcome!));
      break;
    }
    case "join":
      await time(op, () => side.join(js[js.length - 1], built.welcome!));
      break;
    case "message100":
    case "message1M": {
      const s = await time("send", () => side.send(a, data));
      a = s.member;
      b = (await time("receive", () => side.receive(b, s.message))).member;
      break;
    }
    case "export":
      await time(op, () => side.exportSecret(a, "x", data));
      break;
    case "state": {
      const bytes = await time("serialize", () => side.serialize(b));
      await time("load", () => side.load(bytes));
      break;
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
}
for (const [phase, t] of Object.entries(totals)) {
  const xs = samples[phase].sort((a, b) => a - b);
  console.log(
    `${sideName} ${op} n=${n}: ${phase} mean ${
      (t / iterations).toFixed(3)
    } ms, median ${xs[xs.length >> 1].toFixed(3)} ms`,
  );
}
if (Object.keys(counts).length > 0) {
  console.log(`crypto.subtle calls per iteration (all phases):`);
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(v / iterations).toFixed(1).padStart(8)}  ${k}`);
  }
}
if (trace.length > 0) {
  console.log("timeline of the last iteration (ms from start):");
  for (const t of trace.sort((a, b) => a.start - b.start)) {
    console.log(
      `  ${(t.start - traceStart).toFixed(2).padStart(7)} +${
        (t.end - t.start).toFixed(2).padStart(5)
      }  ${t.name.padEnd(20)} ${t.where}`,
    );
  }
}
