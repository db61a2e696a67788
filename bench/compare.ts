/**
 * webmls, ts-mls and core-crypto side by side (`deno task bench`).
 *
 * Each implementation runs in its own worker of this process; the workers
 * take turns (never concurrently), the order rotating every repetition,
 * and each repetition times one operation inside the worker. The table
 * shows the median of the repetitions and the ratios ts-mls / webmls and
 * core-crypto / webmls (above 1: webmls is faster). An implementation that needs more than the budget
 * (60 s) for one repetition is stopped and reported as not finishing that
 * size (nor any larger one).
 *
 * Flags:
 * - `--quick`: small sizes only (10 and 100 members);
 * - `--reps N`: repetitions per operation (default 7; 5 with `--quick`);
 * - `--budget S`: seconds one repetition may take (default 60);
 * - `--setup-budget S`: seconds building one group may take (default 600);
 * - `--sizes a,b,..` / `--add-sizes a,b,..` / `--memory-sizes a,b,..`:
 *   override the group sizes;
 * - `--sides a,b,..`: the sides to run (default `webmls,ts-mls,core-crypto`);
 * - `--ops a,b,..`: only these operations (`keyPackage`, `createGroup`,
 *   `add`, `export`, `message100`, `message1M`, `state`, `memory`,
 *   `update`);
 * - `--js-kdf`: also run webmls with the `kdf: "js"` provider option;
 * - `--webcrypto-kdf`: also run webmls with `kdf: "webcrypto"`;
 * - `--write-readme`: also rewrite the tables in `bench/README.md`;
 * - `--json FILE`: also write the raw results.
 *
 * @module
 */

import type { RepResult, Request } from "./worker.ts";
import {
  machineInfo,
  type Measurement,
  renderComparison,
  renderScaling,
  writeReadme,
} from "./report.ts";

/** Command-line options. */
interface Options {
  quick: boolean;
  reps: number;
  budgetMs: number;
  setupBudgetMs: number;
  groupSizes: number[];
  addSizes: number[];
  memorySizes: number[];
  writeReadme: boolean;
  json?: string;
  jsKdf: boolean;
  webcryptoKdf: boolean;
  sides?: string[];
  ops?: string[];
}

function parseArgs(args: string[]): Options {
  const flag = (name: string) => args.includes(`--${name}`);
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const list = (name: string, dflt: number[]) =>
    value(name)?.split(",").map(Number) ?? dflt;
  const quick = flag("quick");
  return {
    quick,
    reps: Number(value("reps") ?? (quick ? 5 : 7)),
    budgetMs: 1000 * Number(value("budget") ?? 60),
    setupBudgetMs: 1000 * Number(value("setup-budget") ?? 600),
    groupSizes: list("sizes", quick ? [10, 100] : [10, 100, 1000, 10000]),
    addSizes: list("add-sizes", quick ? [10, 100] : [10, 100, 1000]),
    memorySizes: list("memory-sizes", quick ? [100] : [1000, 10000]),
    writeReadme: flag("write-readme"),
    json: value("json"),
    jsKdf: flag("js-kdf"),
    webcryptoKdf: flag("webcrypto-kdf"),
    sides: value("sides")?.split(","),
    ops: value("ops")?.split(","),
  };
}

/**
 * `webmls` (default provider), `webmls-js` (`kdf: "js"`), `webmls-webcrypto`
 * (`kdf: "webcrypto"`), `ts-mls`, `core-crypto`.
 */
type SideName =
  | "webmls"
  | "webmls-js"
  | "webmls-webcrypto"
  | "ts-mls"
  | "core-crypto";
let SIDES: SideName[] = ["webmls", "ts-mls", "core-crypto"];

/** A record with one entry per side in the run. */
function perSide<T>(f: (s: SideName) => T): Record<SideName, T> {
  return Object.fromEntries(SIDES.map((s) => [s, f(s)])) as Record<
    SideName,
    T
  >;
}

type Reply =
  | { kind: "ok"; value: unknown }
  | { kind: "error"; error: string }
  | { kind: "na"; error: string }
  | { kind: "timeout" };

/** One implementation's worker, restarted after a timeout. */
class Runner {
  #worker!: Worker;
  #next = 0;
  #pending = new Map<number, (r: Reply) => void>();

  constructor(readonly name: SideName) {}

  async start(): Promise<void> {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (
      e: MessageEvent<
        {
          id: number;
          ok: boolean;
          value?: unknown;
          error?: string;
          unsupported?: boolean;
        }
      >,
    ) => {
      const done = this.#pending.get(e.data.id);
      this.#pending.delete(e.data.id);
      done?.(
        e.data.ok
          ? { kind: "ok", value: e.data.value }
          : e.data.unsupported
          ? { kind: "na", error: e.data.error! }
          : { kind: "error", error: e.data.error! },
      );
    };
    const r = await this.call({ cmd: "init", side: this.name }, 60_000);
    if (r.kind !== "ok") {
      throw new Error(
        `${this.name}: cannot start: ${"error" in r ? r.error : r.kind}`,
      );
    }
  }

  /** Sends a request; on timeout the worker is stopped and restarted. */
  async call(req: Request, budgetMs: number): Promise<Reply> {
    const id = this.#next++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#worker.postMessage({ id, req });
    const reply = await Promise.race([
      new Promise<Reply>((resolve) => this.#pending.set(id, resolve)),
      new Promise<Reply>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "timeout" }), budgetMs);
      }),
    ]);
    clearTimeout(timer);
    if (reply.kind === "timeout") {
      this.#pending.delete(id);
      this.#worker.terminate();
      await this.start();
    }
    return reply;
  }

  stop(): void {
    this.#worker.terminate();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per side: the phase timings of each repetition, or why there are none. */
type SideOutcome =
  | { kind: "ok"; reps: RepResult[] }
  | { kind: "dnf"; budgetMs: number }
  | { kind: "error"; error: string }
  | { kind: "na"; why: string };

/** Why a side skips an operation: a failure carried over, or none. */
type Skip = Partial<Record<SideName, SideOutcome>>;
const NO_SKIP: Skip = {};

const log = (s: string) => console.error(s);

/**
 * Runs `op` at size `n` on every side, interleaved: repetition i starts
 * with side i mod (number of sides), then the others in turn. A first
 * repetition that takes under half a second is a discarded warm-up.
 */
async function measure(
  runners: Record<SideName, Runner>,
  skip: Skip,
  op: string,
  n: number,
  opts: Options,
): Promise<Record<SideName, SideOutcome>> {
  const out = {} as Record<SideName, SideOutcome>;
  const reps = perSide((): RepResult[] => []);
  const spent = perSide(() => 0);
  const warm = perSide(() => false);
  // Runs per repetition, from the warm-up: about `target` ms per repetition.
  const iterations = perSide(() => 1);
  const target = opts.quick ? 30 : 100;
  for (const s of SIDES) if (skip[s]) out[s] = skip[s]!;
  // Stop repeating an operation once it has used this much time (>= 3 runs).
  const totalBudget = opts.quick ? 10_000 : 40_000;
  for (let i = 0; i < 2 * opts.reps + 2; i++) {
    // Rotate who goes first, so no side always runs right after another.
    const order = SIDES.map((_, j) => SIDES[(i + j) % SIDES.length]);
    let active = false;
    for (const s of order) {
      if (out[s]) continue;
      if (
        reps[s].length >= opts.reps ||
        (reps[s].length >= 3 && spent[s] > totalBudget) ||
        (reps[s].length >= 1 && spent[s] > totalBudget * 2)
      ) continue;
      active = true;
      const r = await runners[s].call(
        { cmd: "rep", op, n, iterations: iterations[s] },
        opts.budgetMs * iterations[s],
      );
      if (r.kind === "timeout") {
        out[s] = { kind: "dnf", budgetMs: opts.budgetMs };
        log(`  ${s} ${op} ${n}: did not finish in ${opts.budgetMs / 1000} s`);
        continue;
      }
      if (r.kind === "error") {
        out[s] = { kind: "error", error: r.error };
        log(`  ${s} ${op} ${n}: ${r.error}`);
        continue;
      }
      if (r.kind === "na") {
        out[s] = { kind: "na", why: r.error.split("\n")[0] };
        continue;
      }
      const result = r.value as RepResult;
      const total = Object.entries(result)
        .filter(([k]) => k !== "bytes" && k !== "heap")
        .reduce((a, [, v]) => a + v, 0);
      if (!warm[s]) {
        warm[s] = true;
        if (total < 500 && op !== "memory") {
          // A warm-up, which also sets the runs per repetition.
          iterations[s] = Math.min(
            1000,
            Math.max(1, Math.round(target / Math.max(total, 0.01))),
          );
          continue;
        }
      }
      spent[s] += total * iterations[s];
      reps[s].push(result);
    }
    if (!active) break;
  }
  for (const s of SIDES) out[s] ??= { kind: "ok", reps: reps[s] };
  return out;
}

/** Turns both sides' outcomes into one measurement per phase. */
function rows(
  op: string,
  n: number,
  phases: [string, string][],
  outcome: Record<SideName, SideOutcome>,
  unit: "ms" | "bytes" = "ms",
): Measurement[] {
  return phases.map(([phase, label]) => {
    const m: Measurement = { op, phase, label, size: n, unit, sides: {} };
    for (const s of SIDES) {
      const o = outcome[s];
      if (o.kind === "ok") {
        m.sides[s] = {
          value: median(o.reps.map((r) => r[phase])),
          runs: o.reps.length,
        };
      } else if (o.kind === "dnf") {
        m.sides[s] = { dnf: o.budgetMs };
      } else if (o.kind === "na") {
        m.sides[s] = { na: o.why };
      } else m.sides[s] = { error: o.error.split("\n")[0] };
    }
    return m;
  });
}

/** Builds a fixture on each side not skipped; returns the new skips. */
async function setup(
  runners: Record<SideName, Runner>,
  skip: Skip,
  req: Request,
  opts: Options,
): Promise<Skip> {
  const out = { ...skip };
  for (const s of SIDES) {
    if (skip[s]) continue;
    const r = await runners[s].call(req, opts.setupBudgetMs);
    if (r.kind === "ok") {
      log(
        `  ${s}: ${JSON.stringify(req)} set up in ${
          ((r.value as number) / 1000).toFixed(1)
        } s`,
      );
    } else if (r.kind === "timeout") {
      out[s] = { kind: "dnf", budgetMs: opts.setupBudgetMs };
      log(`  ${s}: setup ${JSON.stringify(req)}: timeout`);
    } else {
      out[s] = { kind: "error", error: `setup: ${r.error}` };
      log(`  ${s}: setup ${JSON.stringify(req)} failed: ${r.error}`);
    }
  }
  return out;
}

/** Runs the whole comparison; returns every measurement. */
async function run(opts: Options): Promise<Measurement[]> {
  const runners = perSide((s) => new Runner(s));
  await Promise.all(SIDES.map((s) => runners[s].start()));
  const results: Measurement[] = [];
  try {
    const wanted = (op: string) => !opts.ops || opts.ops.includes(op);
    log("key package, group creation");
    if (wanted("keyPackage")) {
      results.push(...rows("keyPackage", 1, [[
        "keyPackage",
        "generate a key package",
      ]], await measure(runners, NO_SKIP, "keyPackage", 1, opts)));
    }
    if (wanted("createGroup")) {
      results.push(...rows("createGroup", 1, [[
        "createGroup",
        "create a group",
      ]], await measure(runners, NO_SKIP, "createGroup", 1, opts)));
    }

    // One commit adding k members to a two-member group. A side that fails
    // a size skips the larger ones with the same outcome.
    let carried: Skip = { ...NO_SKIP };
    for (const k of wanted("add") ? opts.addSizes : []) {
      log(`add ${k}`);
      const skip = await setup(runners, carried, { cmd: "addBase", k }, opts);
      const o = await measure(runners, skip, "add", k, opts);
      results.push(...rows("add", k, [
        ["commit", "commit adding k members"],
        ["process", "process it (existing member)"],
        ["join", "join from its Welcome (new member)"],
      ], o));
      for (const s of SIDES) if (o[s].kind !== "ok") carried[s] = o[s];
      await Promise.all(
        SIDES.map((s) => runners[s].call({ cmd: "drop", n: k }, 60_000)),
      );
    }

    // Groups of n members built with one commit: the creator commits, the
    // member at the last leaf processes.
    carried = { ...NO_SKIP };
    for (const n of opts.groupSizes) {
      log(`group of ${n}`);
      const built = await setup(runners, carried, { cmd: "group", n }, opts);
      for (const s of SIDES) if (built[s]) carried[s] = built[s];
      const ops: [string, [string, string][], "ms" | "bytes"][] = [
        ["export", [["export", "exportSecret (32 bytes)"]], "ms"],
        ["message100", [
          ["send", "send a 100-byte message"],
          ["receive", "receive a 100-byte message"],
        ], "ms"],
        ["message1M", [
          ["send", "send a 1 MiB message"],
          ["receive", "receive a 1 MiB message"],
        ], "ms"],
        ["state", [
          ["serialize", "serialize the group state"],
          ["load", "load the group state"],
        ], "ms"],
        ["memory", [
          ["bytes", "serialized state size"],
          ["heap", "heap held by one member"],
        ], "bytes"],
        ["update", [
          ["commit", "empty commit (self-update)"],
          ["process", "process the empty commit"],
        ], "ms"],
      ];
      let skip = { ...built };
      for (const [op, phases, unit] of ops) {
        if (op === "memory" && !opts.memorySizes.includes(n)) continue;
        if (!wanted(op)) continue;
        // Memory: one repetition, which builds a commit outside the timer.
        const o = op === "memory"
          ? await measure(runners, skip, op, n, {
            ...opts,
            reps: 1,
            budgetMs: opts.setupBudgetMs,
          })
          : await measure(runners, skip, op, n, opts);
        results.push(...rows(op, n, phases, o, unit));
        for (const s of SIDES) {
          // A stopped worker lost its groups: the rest of this size is
          // skipped, and a self-update that did not finish skips larger
          // sizes too.
          if (o[s].kind === "dnf" && !skip[s]) {
            skip = { ...skip, [s]: o[s] };
            if (op === "update") carried[s] = o[s];
          }
        }
      }
      await Promise.all(
        SIDES.map((s) => runners[s].call({ cmd: "drop", n }, 60_000)),
      );
    }
  } finally {
    for (const s of SIDES) runners[s].stop();
  }
  return results;
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  if (opts.writeReadme && opts.quick) {
    console.error("--write-readme needs a full run (not --quick)");
    Deno.exit(2);
  }
  if (opts.sides) SIDES = opts.sides as SideName[];
  if (opts.jsKdf && !SIDES.includes("webmls-js")) {
    SIDES = ["webmls", "webmls-js", ...SIDES.filter((s) => s !== "webmls")];
  }
  if (opts.webcryptoKdf && !SIDES.includes("webmls-webcrypto")) {
    SIDES = [
      "webmls",
      "webmls-webcrypto",
      ...SIDES.filter((s) => s !== "webmls"),
    ];
  }
  const info = await machineInfo();
  const started = performance.now();
  const results = await run(opts);
  const minutes = (performance.now() - started) / 60_000;
  const comparison = renderComparison(results);
  const scaling = renderScaling(results);
  console.log(info.text);
  console.log(`\nRun took ${minutes.toFixed(1)} min.\n`);
  console.log(comparison);
  console.log(scaling);
  if (opts.json) {
    await Deno.writeTextFile(
      opts.json,
      JSON.stringify({ info, results }, null, 1),
    );
  }
  if (opts.writeReadme) {
    await writeReadme(
      new URL("./README.md", import.meta.url),
      { info, comparison, scaling },
    );
    console.error("bench/README.md updated");
  }
}
