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
import { buildPackage } from "../../scripts/build_npm.ts";
import { bundle } from "../../scripts/bundle.ts";
import { CHROMIUM, hasChromium } from "../chromium.ts";
import { serve } from "../browser/driver.ts";
import { runtimeFlow } from "./flow.mjs";
import { ensureTools, FIREFOX, type Tools } from "./tools.ts";
import { typeErrors } from "./consumer.ts";

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

const here = (p: string): string =>
  decodeURIComponent(new URL(p, import.meta.url).pathname);
const text = new TextDecoder();
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

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = text.decode(stdout);
  assert.equal(
    code,
    0,
    `${cmd} ${args.join(" ")} failed:\n${out}\n${text.decode(stderr)}`,
  );
  return out;
}

/** The JSON object on the last line of `out`. */
function lastJson<T>(out: string): T {
  const trimmed = out.trim();
  return JSON.parse(trimmed.slice(trimmed.lastIndexOf("\n") + 1));
}

function ignoreUnlessCi(present: boolean): boolean {
  return !present && !Deno.env.get("CI");
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const work = await Deno.makeTempDir({ prefix: "webmls-runtimes-" });
let tools: Promise<Tools> | undefined;
const getTools = () => tools ??= ensureTools();
let bundled: Promise<string> | undefined;
const getBundle = () =>
  bundled ??= bundle({ output: `${work}/webmls.mjs`, entry: "mod.ts" });

let installed: Promise<string> | undefined;
/** Builds, packs and installs the npm package into a scratch project. */
function getApp(): Promise<string> {
  return installed ??= (async () => {
    const pkg = await buildPackage(`${work}/package`);
    const tgz = (await run("npm", ["pack", pkg, "--pack-destination", work], {
      cwd: work,
    })).trim().split("\n").pop()!;
    const app = `${work}/app`;
    await Deno.mkdir(app);
    await Deno.writeTextFile(
      `${app}/package.json`,
      JSON.stringify({ name: "app", private: true, type: "module" }),
    );
    await run("npm", [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      `${work}/${tgz}`,
    ], { cwd: app });
    for (const f of ["cli.mjs", "flow.mjs"]) {
      await Deno.copyFile(here(f), `${app}/${f}`);
    }
    return app;
  })();
}

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
  const app = await getApp();
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
  const [app, { bun }] = await Promise.all([getApp(), getTools()]);
  const start = performance.now();
  const out = lastJson<{ runtime: string; results: SuiteResult[] }>(
    await run(bun, ["cli.mjs"], { cwd: app }),
  );
  report(out.runtime, out.results, Math.round(performance.now() - start));
});

/** A free loopback port (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("runtimes: Cloudflare workerd (the bundle as a module worker)", async () => {
  const [{ workerd }, bundled] = await Promise.all([getTools(), getBundle()]);
  const dir = `${work}/workerd`;
  await Deno.mkdir(dir);
  await Deno.copyFile(bundled, `${dir}/webmls.mjs`);
  await Deno.copyFile(here("flow.mjs"), `${dir}/flow.mjs`);
  await Deno.copyFile(here("worker.mjs"), `${dir}/worker.mjs`);
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/config.capnp`,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "webmls.mjs", esModule = embed "webmls.mjs"),
    (name = "flow.mjs", esModule = embed "flow.mjs"),
  ],
  compatibilityDate = "2025-09-01",
);
`,
  );
  const version = (await run(workerd, ["--version"])).trim();
  const child = new Deno.Command(workerd, {
    args: ["serve", "config.capnp"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0;; i++) {
      try {
        await (await fetch(url + "?suite=0")).body?.cancel();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const start = performance.now();
    const results: SuiteResult[] = [];
    let globalScopeRandom = "";
    for (const suite of SUITES) {
      // Time from outside: workerd's clocks stand still while code runs.
      const t = performance.now();
      const res = await fetch(`${url}?suite=${suite}`);
      const body = await res.json();
      globalScopeRandom = body.globalScopeRandom;
      results.push({
        ...body.results[0],
        ms: Math.round(performance.now() - t),
      });
    }
    report(version, results, Math.round(performance.now() - start));
    console.log(
      `  crypto.getRandomValues at global scope: ${globalScopeRandom}`,
    );
    assert.match(globalScopeRandom, /^refused/);
  } finally {
    child.kill("SIGTERM");
    await child.stderr.cancel();
    await child.status;
  }
});

Deno.test({
  name: "runtimes: Chromium (Debian), over IndexedDB",
  ignore: ignoreUnlessCi(hasChromium()),
  async fn() {
    const bundled = await getBundle();
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
    const [{ dir }, bundled] = await Promise.all([getTools(), getBundle()]);
    await Deno.copyFile(
      here("firefox_driver.mjs"),
      `${dir}/firefox_driver.mjs`,
    );
    const { url, server } = await serve({
      "/": here("../browser/index.html"),
      "/page.mjs": here("browser_page.mjs"),
      "/flow.mjs": here("flow.mjs"),
      "/webmls.mjs": bundled,
    });
    try {
      const start = performance.now();
      const out = await run("node", ["firefox_driver.mjs", url, FIREFOX], {
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

Deno.test("runtimes: summary", async () => {
  console.log(summary.join("\n"));
  await Deno.remove(work, { recursive: true });
});
