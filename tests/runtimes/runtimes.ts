/**
 * `deno task test:runtimes`: the explainer flow (tests/runtimes/flow.mjs:
 * three members, adds, messages, an update commit, a removal, exporter
 * equality) for every cipher suite, on every runtime the module claims:
 *
 * - Deno: `mod.ts`, and over Deno KV (persistence);
 * - Node >= 20: the npm package (scripts/build_npm.ts) packed with
 *   `npm pack`, installed into a scratch project with `npm install`,
 *   imported by name; a strict TypeScript consumer type-checks against it;
 * - Bun: the same installed package;
 * - Cloudflare workerd: the bundle as a module worker under a minimal
 *   capnp config on loopback, one request per suite (workerd refuses
 *   `crypto.getRandomValues` at global scope: see worker.mjs);
 * - Chromium (Debian's, playwright-core) and Firefox ESR (Debian's,
 *   puppeteer-core over WebDriver BiDi): the bundle in a page, over
 *   IndexedDB, reopened by a second storage (persistence).
 *
 * Each suite's line says which implementation served each primitive
 * (WebCrypto or an `@noble` fallback) and how long the flow took. Not part
 * of `deno task test` (it takes minutes); Bun, workerd and puppeteer-core
 * come pinned from npm into a scratch folder (tools.ts). Outside CI, a
 * runtime that is missing (no Debian browser) is ignored; under CI it fails.
 *
 * Named without `_test` so that `deno task test` does not pick it up.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as mod from "../../mod.ts";
import { CHROMIUM, hasChromium } from "../chromium.ts";
import { serve } from "../browser/driver.ts";
import { runtimeFlow } from "./flow.mjs";
import { FIREFOX } from "./tools.ts";
import { typeErrors } from "./consumer.ts";
import {
  here,
  isFile,
  lastJson,
  run,
  startWorkerd,
  Workspace,
} from "./harness.ts";
import { mixedGroup } from "./mixed.ts";

/** One suite's outcome on one runtime (see flow.mjs). */
interface SuiteResult {
  suite: number;
  name: string;
  ok: boolean;
  ms: number;
  implementation?: string;
  exporter?: string;
  persisted?: boolean;
  error?: string;
}

const SUITES = Object.keys(mod.CIPHER_SUITES).map(Number);
const summary: string[] = [];

/** Prints a runtime's results and asserts every suite passed. */
function report(runtime: string, results: SuiteResult[], wall: number) {
  const lines = results.map((r) =>
    `  suite ${r.suite} ${r.ok ? "ok" : "FAILED"} ${
      String(r.ms).padStart(5)
    } ms${r.persisted ? ", persisted" : ""} — ${
      r.ok ? r.implementation : r.error
    }`
  );
  const total = results.reduce((n, r) => n + r.ms, 0);
  console.log(
    `${runtime}: ${wall} ms wall, flows ${total} ms\n${lines.join("\n")}`,
  );
  summary.push(
    `${runtime}: ${
      results.filter((r) => r.ok).length
    }/${results.length} suites, suite 1 ${
      results.find((r) => r.suite === 1)?.ms
    } ms, all flows ${total} ms, ${wall} ms wall`,
  );
  assert.deepEqual(results.map((r) => r.suite), SUITES, runtime);
  for (const r of results) {
    assert.ok(r.ok, `${runtime} suite ${r.suite}: ${r.error}`);
  }
}

function ignoreUnlessCi(present: boolean): boolean {
  return !present && !Deno.env.get("CI");
}

const ws = await Workspace.create();
const work = ws.dir;

Deno.test("runtimes: Deno (mod.ts), over Deno KV", async () => {
  const start = performance.now();
  const results = await runtimeFlow(mod, {
    storage: (s: number) => new mod.DenoKvStorage(`${work}/deno-${s}.kv`),
    reopen: (s: number) => new mod.DenoKvStorage(`${work}/deno-${s}.kv`),
  }) as SuiteResult[];
  report(
    `deno ${Deno.version.deno}`,
    results,
    Math.round(performance.now() - start),
  );
});

Deno.test("runtimes: Node (the packed npm package, typed)", async () => {
  const app = await ws.app();
  const start = performance.now();
  const out = lastJson<{ runtime: string; results: SuiteResult[] }>(
    await run("node", ["cli.mjs"], { cwd: app }),
  );
  report(out.runtime, out.results, Math.round(performance.now() - start));
  const major = Number(out.runtime.split(" ")[1].split(".")[0]);
  assert.ok(major >= 20, out.runtime);
  assert.deepEqual(typeErrors(app, false), []);
  // The check can fail: a wrong type in the consumer is reported.
  assert.equal(typeErrors(app, true).length, 1);
});

Deno.test("runtimes: Bun (the packed npm package)", async () => {
  const [app, { bun }] = await Promise.all([ws.app(), ws.tools()]);
  const start = performance.now();
  const out = lastJson<{ runtime: string; results: SuiteResult[] }>(
    await run(bun, ["cli.mjs"], { cwd: app }),
  );
  report(out.runtime, out.results, Math.round(performance.now() - start));
});

Deno.test("runtimes: Cloudflare workerd (the bundle as a module worker)", async () => {
  const [{ workerd }, bundled] = await Promise.all([ws.tools(), ws.bundle()]);
  const server = await startWorkerd(workerd, `${work}/workerd`, [
    ["worker.mjs", here("worker.mjs")],
    ["webmls.mjs", bundled],
    ["flow.mjs", here("flow.mjs")],
  ]);
  try {
    const start = performance.now();
    const results: SuiteResult[] = [];
    let globalScopeRandom = "";
    for (const suite of SUITES) {
      // Timed from outside: workerd's clocks stand still while code runs.
      const t = performance.now();
      const body = await (await fetch(`${server.url}?suite=${suite}`)).json();
      globalScopeRandom = body.globalScopeRandom;
      results.push({
        ...body.results[0],
        ms: Math.round(performance.now() - t),
      });
    }
    report(server.version, results, Math.round(performance.now() - start));
    console.log(
      `  crypto.getRandomValues at global scope: ${globalScopeRandom}`,
    );
    assert.match(globalScopeRandom, /^refused/);
  } finally {
    await server.close();
  }
});

Deno.test({
  name: "runtimes: Chromium (Debian), over IndexedDB",
  ignore: ignoreUnlessCi(hasChromium()),
  async fn() {
    const bundled = await ws.bundle();
    const start = performance.now();
    const out = await run(Deno.execPath(), [
      "run",
      "--allow-all",
      here("../browser/driver.ts"),
      bundled,
      "../runtimes/browser_page.mjs",
    ]);
    const page = lastJson<{ ok: boolean; log: string[]; error?: string }>(out);
    assert.ok(page.log.length > 0, page.error);
    const body = JSON.parse(page.log[0]);
    const version = (await run(CHROMIUM, ["--version"])).trim();
    report(version, body.results, Math.round(performance.now() - start));
    assert.ok(page.ok, page.error);
  },
});

Deno.test({
  name: "runtimes: Firefox ESR (Debian, WebDriver BiDi), over IndexedDB",
  ignore: ignoreUnlessCi(isFile(FIREFOX)),
  async fn() {
    const [{ dir }, bundled] = await Promise.all([ws.tools(), ws.bundle()]);
    await Deno.copyFile(
      here("browser_driver.mjs"),
      `${dir}/browser_driver.mjs`,
    );
    const { url, server } = await serve({
      "/": here("../browser/index.html"),
      "/page.mjs": here("browser_page.mjs"),
      "/flow.mjs": here("flow.mjs"),
      "/webmls.mjs": bundled,
    });
    try {
      const start = performance.now();
      const out = await run("node", ["browser_driver.mjs", url, FIREFOX], {
        cwd: dir,
      });
      const page = lastJson<
        { ok: boolean; log: string[]; error?: string; version?: string }
      >(out);
      assert.ok(page.log.length > 0, page.error);
      const body = JSON.parse(page.log[0]);
      report(
        page.version ?? "firefox",
        body.results,
        Math.round(performance.now() - start),
      );
      assert.ok(page.ok, `${page.error}\n${page.log.join("\n")}`);
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "runtimes: one group, members on Deno, Node, Bun, workerd, Chromium and Firefox, through the delivery service",
  ignore: ignoreUnlessCi(hasChromium() && isFile(FIREFOX)),
  async fn() {
    const start = performance.now();
    const lines = await mixedGroup(ws);
    console.log(lines.join("\n"));
    summary.push(
      `mixed group: ${Math.round(performance.now() - start)} ms wall`,
    );
  },
});

Deno.test("runtimes: summary", async () => {
  console.log(summary.join("\n"));
  await ws.remove();
});
