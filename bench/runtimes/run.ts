/**
 * `deno task bench:runtimes`: the same operations (bench/runtimes/ops.mjs:
 * WebCrypto primitives through the provider, and MLS operations) on Deno,
 * Node, Bun, workerd, Chromium and Firefox ESR, with each provider option
 * (WebCrypto, `kdf: "js"`, the `@noble` fallback). Prints a table; with
 * `--write-readme`, writes it into bench/README.md (between the
 * `runtimes:start`/`runtimes:end` markers) and a chart into
 * bench/runtimes.svg. It reuses the runtime tests' workspace and tools
 * (tests/runtimes/harness.ts, tools.ts).
 *
 * @module
 */
import * as mod from "../../mod.ts";
import { CHROMIUM } from "../../tests/chromium.ts";
import { serve } from "../../tests/browser/driver.ts";
import {
  here as testsHere,
  isFile,
  lastJson,
  run,
  startWorkerd,
  Workspace,
} from "../../tests/runtimes/harness.ts";
import { FIREFOX } from "../../tests/runtimes/tools.ts";
import { BATCHES, batchSize, measure, median } from "./ops.mjs";
import { chart } from "./chart.ts";

interface Row {
  provider: string;
  op: string;
  kind: string;
  us: number;
}

const here = (p: string): string =>
  decodeURIComponent(new URL(p, import.meta.url).pathname);

async function onDeno(): Promise<Row[]> {
  return await measure(mod) as Row[];
}

async function onNodeOrBun(ws: Workspace, cmd: string): Promise<Row[]> {
  const app = await ws.app();
  await Deno.copyFile(here("cli.mjs"), `${app}/bench_cli.mjs`);
  await Deno.copyFile(here("ops.mjs"), `${app}/ops.mjs`);
  const out = await run(cmd, ["bench_cli.mjs"], { cwd: app });
  return lastJson<{ rows: Row[] }>(out).rows;
}

async function onWorkerd(ws: Workspace, workerd: string): Promise<Row[]> {
  const server = await startWorkerd(workerd, `${ws.dir}/bench-workerd`, [
    ["worker.mjs", here("worker.mjs")],
    ["webmls.mjs", await ws.bundle()],
    ["ops.mjs", here("ops.mjs")],
  ]);
  const get = async (query: string): Promise<Response> => {
    const res = await fetch(`${server.url}?${query}`);
    if (!res.ok) throw new Error(`workerd ${query}: ${res.status}`);
    return res;
  };
  /** Milliseconds of one request, from outside. */
  const timed = async (query: string): Promise<number> => {
    const t = performance.now();
    await (await get(query)).arrayBuffer();
    return performance.now() - t;
  };
  try {
    const list = await (await get("phase=list")).json() as {
      provider: string;
      index: number;
      op: string;
      kind: string;
      k: number;
      skip: boolean;
    }[];
    const rows: Row[] = [];
    for (const o of list) {
      if (o.skip) continue;
      const q = `provider=${encodeURIComponent(o.provider)}&op=${o.index}`;
      const empty = async () =>
        Math.min(await timed("phase=noop"), await timed("phase=noop"));
      // A warm-up batch (its time sizes the batches), then the measured
      // ones, each less an empty request.
      const warm = Math.max(1, o.k >> 2);
      await get(`${q}&phase=prepare&k=${warm}`);
      const base = await empty();
      const warmMs = await timed(`${q}&phase=run`) - base;
      const k = batchSize(o, Math.max(0, warmMs) * 1000 / warm);
      const us: number[] = [];
      for (let b = 0; b < BATCHES; b++) {
        await get(`${q}&phase=prepare&k=${k}`);
        const ms = await timed(`${q}&phase=run`) - await empty();
        us.push(Math.max(0, ms * 1000 / k));
      }
      rows.push({
        provider: o.provider,
        op: o.op,
        kind: o.kind,
        us: Math.round(median(us)),
      });
    }
    return rows;
  } finally {
    await server.close();
  }
}

async function inBrowser(
  ws: Workspace,
  kind: "chrome" | "firefox",
): Promise<Row[]> {
  const { dir } = await ws.tools();
  await Deno.copyFile(
    testsHere("browser_driver.mjs"),
    `${dir}/browser_driver.mjs`,
  );
  const { url, server } = await serve({
    "/": testsHere("../browser/index.html"),
    "/page.mjs": here("page.mjs"),
    "/ops.mjs": here("ops.mjs"),
    "/webmls.mjs": await ws.bundle(),
  });
  try {
    const out = await run("node", [
      "browser_driver.mjs",
      url,
      kind === "chrome" ? CHROMIUM : FIREFOX,
      kind,
    ], { cwd: dir });
    const page = lastJson<{ ok: boolean; log: string[]; error?: string }>(
      out,
    );
    if (!page.ok) throw new Error(`${kind}: ${page.error}`);
    return JSON.parse(page.log[0]).rows;
  } finally {
    await server.shutdown();
  }
}

/** Formats microseconds for the table. */
function fmt(us: number | undefined): string {
  if (us === undefined) return "–";
  if (us >= 10_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  return `${us} µs`;
}

/** The Markdown table: one row per operation and provider, a column per runtime. */
function table(results: [string, Row[]][]): string {
  const keys: [string, string][] = [];
  for (const [, rows] of results) {
    for (const r of rows) {
      if (!keys.some(([p, o]) => p === r.provider && o === r.op)) {
        keys.push([r.provider, r.op]);
      }
    }
  }
  const head = `| operation | provider | ${
    results.map(([n]) => n).join(" | ")
  } |`;
  const sep = `| --- | --- | ${results.map(() => "---:").join(" | ")} |`;
  const ops = [...new Set(keys.map(([, o]) => o))];
  const lines = [head, sep];
  for (const op of ops) {
    for (const [provider] of keys.filter(([, o]) => o === op)) {
      const cells = results.map(([, rows]) => {
        const row = rows.find((r) => r.op === op && r.provider === provider);
        return fmt(row?.us);
      });
      lines.push(`| ${op} | ${provider} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const write = Deno.args.includes("--write-readme");
  const ws = await Workspace.create();
  const results: [string, Row[]][] = [];
  const started = new Date().toISOString().slice(0, 16).replace("T", " ");
  try {
    const tools = await ws.tools();
    const step = async (name: string, f: () => Promise<Row[]>) => {
      const t = performance.now();
      const rows = await f();
      console.error(
        `${name}: ${rows.length} rows, ${
          Math.round((performance.now() - t) / 1000)
        } s`,
      );
      results.push([name, rows]);
    };
    await step(`Deno ${Deno.version.deno}`, onDeno);
    const node = (await run("node", ["--version"])).trim().slice(1);
    await step(`Node ${node}`, () => onNodeOrBun(ws, "node"));
    const bun = (await run(tools.bun, ["--version"])).trim();
    await step(`Bun ${bun}`, () => onNodeOrBun(ws, tools.bun));
    await step("workerd", () => onWorkerd(ws, tools.workerd));
    if (isFile(CHROMIUM)) {
      await step("Chromium", () => inBrowser(ws, "chrome"));
    }
    if (isFile(FIREFOX)) {
      await step("Firefox ESR", () => inBrowser(ws, "firefox"));
    }
  } finally {
    await ws.remove();
  }
  const md = table(results);
  console.log(md);
  if (write) {
    const readme = here("../README.md");
    const text = await Deno.readTextFile(readme);
    const start = "<!-- runtimes:start -->";
    const end = "<!-- runtimes:end -->";
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error("bench/README.md lacks the markers");
    const block = `${start}\n\nRun of ${started} UTC (one run; ${
      results.map(([n]) => n).join(", ")
    }); time per operation, lower is better.\n\n${md}\n\n![time per operation by runtime](runtimes.svg)\n\n${end}`;
    await Deno.writeTextFile(
      readme,
      text.slice(0, a) + block + text.slice(b + end.length),
    );
    await Deno.writeTextFile(here("../runtimes.svg"), chart(results));
  }
}
