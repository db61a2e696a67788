/**
 * Drives the browser test: serves a bundle and tests/browser/ from a
 * loopback server, opens the page in Debian's headless Chromium through
 * playwright-core, and prints the page's result as JSON on the last line;
 * exits 1 when the page failed. Run by tests/browser_test.ts in its own
 * process, because playwright needs more permissions (`/proc`, `sys`) than
 * the test task grants:
 *
 * `deno run -A tests/browser/driver.ts dist/webmls.mjs [page.mjs]`
 *
 * The page (default `page.mjs`, another file of tests/browser/ for other
 * checks) sets `globalThis.__result`; with `reload: true` in it, the
 * driver reloads the page and waits for the next result.
 *
 * @module
 */
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../chromium.ts";

/** Where Debian's chromium package puts the browser. */

/** What the page reports in `globalThis.__result`. */
export interface PageResult {
  /** Whether every check passed. */
  ok: boolean;
  /** One line per step, then the browser's console output. */
  log: string[];
  /** The first failure. */
  error?: string;
  /** Set by a page that wants to be reloaded (to check persistence). */
  reload?: boolean;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
};

/** Serves `files` (URL path → file) on a loopback port. */
export function serve(
  files: Record<string, string>,
): Promise<{ url: string; server: Deno.HttpServer }> {
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => resolve(port),
  }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    const file = files[path];
    if (!file) return new Response("not found", { status: 404 });
    const ext = file.slice(file.lastIndexOf(".") + 1);
    return new Response(await Deno.readFile(file), {
      headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
    });
  });
  return promise.then((port) => ({
    url: `http://127.0.0.1:${port}/`,
    server,
  }));
}

/**
 * Runs tests/browser/`page` (default `page.mjs`) against `bundle` in
 * headless Chromium, reloading it while it asks for a reload.
 */
export async function runPage(
  bundle: string,
  pageFile = "page.mjs",
): Promise<PageResult> {
  const here = (p: string): string =>
    decodeURIComponent(new URL(p, import.meta.url).pathname);
  const { url, server } = await serve({
    "/": here("index.html"),
    "/page.mjs": here(pageFile),
    "/checks.mjs": here("../node/checks.mjs"),
    "/flow.mjs": here("../runtimes/flow.mjs"),
    "/webmls.mjs": bundle,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const messages: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("console", (m) => messages.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => messages.push(`page error: ${e.message}`));
    await page.goto(url);
    const log: string[] = [];
    for (let loads = 1;; loads++) {
      await page.waitForFunction(
        () => (globalThis as { __result?: unknown }).__result !== undefined,
        null,
        { timeout: 120_000 },
      );
      const result = await page.evaluate(() =>
        (globalThis as unknown as { __result: PageResult }).__result
      );
      log.push(...result.log);
      if (result.ok && result.reload && loads < 5) {
        await page.reload();
        continue;
      }
      return { ...result, log: [...log, ...messages] };
    }
  } catch (e) {
    return { ok: false, log: messages, error: String(e) };
  } finally {
    await browser.close();
    await server.shutdown();
  }
}

if (import.meta.main) {
  const bundle = Deno.args[0];
  if (!bundle) throw new Error("usage: driver.ts <bundle.mjs> [page.mjs]");
  const result = await runPage(bundle, Deno.args[1]);
  for (const line of result.log) console.error(line);
  console.log(JSON.stringify(result));
  Deno.exit(result.ok ? 0 : 1);
}
