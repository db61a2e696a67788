/**
 * One side of the comparison benchmark, in its own worker so that the
 * orchestrator (`compare.ts`) can stop an implementation that exceeds its
 * time budget. The worker builds fixtures (untimed) and times single
 * repetitions of one operation at a time; only the operation itself is
 * inside the timer.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import type { BenchJoiner, Side } from "./sides/side.ts";

// deno-lint-ignore no-explicit-any
type AnySide = Side<any, BenchJoiner>;
// deno-lint-ignore no-explicit-any
type Member = any;

/** A request from the orchestrator. */
export type Request =
  | {
    cmd: "init";
    side:
      | "webmls"
      | "webmls-js"
      | "webmls-webcrypto"
      | "ts-mls"
      | "core-crypto";
  }
  | { cmd: "group"; n: number }
  | { cmd: "addBase"; k: number }
  | { cmd: "drop"; n: number }
  | { cmd: "rep"; op: string; n: number; iterations?: number };

/** Timings of one repetition, by phase, in milliseconds. */
export type RepResult = Record<string, number>;

let side: AnySide;
/**
 * Whether the side's state changes in place (core-crypto): it cannot fork
 * a state, so every repetition of "add" starts from a fresh two-member
 * group and a fresh client to join (built untimed).
 */
let stateful = false;
const pool: BenchJoiner[] = [];
const groups = new Map<number, { a: Member; b: Member }>();
const addBases = new Map<
  number,
  { a: Member; b: Member; joiners: BenchJoiner[] }
>();

// deno-lint-ignore no-explicit-any
const gc: (() => void) | undefined = (globalThis as any).gc;

async function joiners(count: number): Promise<BenchJoiner[]> {
  while (pool.length < count) {
    const batch = Math.min(64, count - pool.length);
    const base = pool.length;
    pool.push(
      ...await Promise.all(
        Array.from(
          { length: batch },
          (_, i) => side.generateKeyPackage(`member ${base + i}`),
        ),
      ),
    );
  }
  return pool.slice(0, count);
}

/** A group of `n` members: creator `a` at leaf 0, `b` at leaf n - 1. */
async function buildGroup(
  n: number,
): Promise<{ a: Member; b: Member }> {
  const a0 = await side.createGroup("creator");
  if (n === 1) return { a: a0, b: a0 };
  const js = side.freshKeyPackage
    ? [...await joiners(n - 2), await side.freshKeyPackage()]
    : await joiners(n - 1);
  const c = await side.commit(a0, js.map((j) => j.keyPackage));
  const b = await side.join(js[js.length - 1], c.welcome!);
  const leaf = side.leafIndex(b);
  if (leaf >= 0 && leaf !== n - 1) throw new Error("unexpected leaf");
  return { a: c.member, b };
}

/** A two-member group and `k` key packages to add to it (untimed). */
async function addBase(
  k: number,
): Promise<{ a: Member; b: Member; joiners: BenchJoiner[] }> {
  const g = await buildGroup(2);
  if (side.freshKeyPackage) {
    // The first one joins, so it is a client of its own.
    return {
      ...g,
      joiners: [await side.freshKeyPackage(), ...await joiners(k - 1)],
    };
  }
  const all = await joiners(k + 1);
  return { ...g, joiners: all.slice(1) };
}

/** Runs `f`, adding its time to `out[phase]`. */
async function time<T>(
  out: RepResult,
  phase: string,
  f: () => Promise<T> | T,
): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  out[phase] = (out[phase] ?? 0) + performance.now() - t0;
  return r;
}

const CONTEXT = new TextEncoder().encode("benchmark context");
const payloads = new Map<number, Uint8Array>();
function payload(size: number): Uint8Array {
  let p = payloads.get(size);
  if (!p) {
    p = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) {
      crypto.getRandomValues(p.subarray(i, Math.min(size, i + 65536)));
    }
    payloads.set(size, p);
  }
  return p;
}

function heap(): number {
  gc?.();
  gc?.();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

// Keeps the measured state alive until the heap has been measured.
const retained: unknown[] = [];

/**
 * One repetition: `iterations` runs of the operation, each phase's time
 * the mean over the runs (cheap operations run many times per repetition,
 * so that timer resolution and one-off pauses matter less).
 */
async function rep(
  op: string,
  n: number,
  iterations: number,
): Promise<RepResult> {
  const out: RepResult = {};
  for (let i = 0; i < iterations; i++) await once(op, n, out);
  for (const k of Object.keys(out)) {
    if (k !== "bytes" && k !== "heap") out[k] /= iterations;
  }
  return out;
}

/** One run of `op`, its phase times added to `out`. */
async function once(op: string, n: number, out: RepResult): Promise<RepResult> {
  switch (op) {
    case "keyPackage":
      await time(out, "keyPackage", () => side.generateKeyPackage("bench"));
      return out;
    case "createGroup":
      await time(out, "createGroup", () => side.createGroup("bench"));
      return out;
    case "add": {
      const f = stateful ? await addBase(n) : addBases.get(n)!;
      const c = await time(
        out,
        "commit",
        () => side.commit(side.fork(f.a), f.joiners.map((j) => j.keyPackage)),
      );
      await time(out, "process", () => side.process(f.b, c.commit));
      await time(out, "join", () => side.join(f.joiners[0], c.welcome!));
      return out;
    }
    case "update": {
      const g = groups.get(n)!;
      const c = await time(
        out,
        "commit",
        () => side.commit(side.fork(g.a), []),
      );
      const b = await time(out, "process", () => side.process(g.b, c.commit));
      if (side.epoch(b) !== side.epoch(g.b) + 1n) throw new Error("no epoch");
      return out;
    }
    case "message100":
    case "message1M": {
      const g = groups.get(n)!;
      const data = payload(op === "message100" ? 100 : 1 << 20);
      const s = await time(out, "send", () => side.send(g.a, data));
      g.a = s.member;
      const r = await time(out, "receive", () => side.receive(g.b, s.message));
      g.b = r.member;
      if (r.data.length !== data.length) throw new Error("wrong data");
      return out;
    }
    case "export": {
      const g = groups.get(n)!;
      await time(out, "export", () => side.exportSecret(g.a, "bench", CONTEXT));
      return out;
    }
    case "state": {
      const g = groups.get(n)!;
      const bytes = await time(out, "serialize", () => side.serialize(g.b));
      await time(out, "load", () => side.load(bytes));
      out.bytes = bytes.length;
      return out;
    }
    case "memory": {
      // The heap a member holds: its state loaded from storage, after
      // processing one commit (so its caches are warm), nothing else.
      const g = groups.get(n)!;
      let bytes: Uint8Array | undefined = side.serialize(g.b);
      let commit: Uint8Array | undefined =
        (await side.commit(side.fork(g.a), [])).commit;
      out.bytes = bytes.length;
      const before = heap();
      let s = await side.load(bytes);
      s = await side.process(s, commit);
      bytes = commit = undefined;
      retained.push(s);
      s = undefined;
      out.heap = heap() - before;
      retained.length = 0;
      return out;
    }
  }
  throw new Error(`unknown operation ${op}`);
}

async function handle(req: Request): Promise<unknown> {
  switch (req.cmd) {
    case "init":
      if (req.side === "ts-mls") {
        side = await (await import("./sides/ts_mls.ts")).tsMlsSide();
      } else if (req.side === "core-crypto") {
        side = await (await import("./sides/core_crypto.ts")).coreCryptoSide();
        stateful = true;
      } else {
        side = await (await import("./sides/webmls.ts")).webmlsSide(
          1,
          req.side === "webmls-js"
            ? { kdf: "js" }
            : req.side === "webmls-webcrypto"
            ? { kdf: "webcrypto" }
            : {},
        );
      }
      return side.name;
    case "group": {
      const t0 = performance.now();
      groups.set(req.n, await buildGroup(req.n));
      return performance.now() - t0;
    }
    case "addBase": {
      const t0 = performance.now();
      if (!stateful) addBases.set(req.k, await addBase(req.k));
      return performance.now() - t0;
    }
    case "drop":
      groups.delete(req.n);
      addBases.delete(req.n);
      return null;
    case "rep":
      return await rep(
        req.op,
        req.n,
        req.op === "memory" ? 1 : req.iterations ?? 1,
      );
  }
}

self.onmessage = async (e: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = e.data;
  try {
    self.postMessage({ id, ok: true, value: await handle(req) });
  } catch (err) {
    self.postMessage({
      id,
      ok: false,
      // An operation the side cannot do is reported as such, not as a failure.
      unsupported: err instanceof Error && err.name === "Unsupported",
      error: err instanceof Error ? err.stack ?? err.message : String(err),
    });
  }
};
