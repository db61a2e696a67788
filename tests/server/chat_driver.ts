/**
 * Drives the chat page test: bundles the page's library, serves the real
 * app (in-memory store, chat page) on a loopback port, and plays three
 * users in three isolated headless-Chromium contexts (Debian's chromium via
 * playwright-core): alice creates a group and adds bob, they talk, carol is
 * added, then removed and sees nothing after that. Prints a JSON result on
 * the last line; exits 1 on failure. Run by chat_browser_test.ts in its own
 * process (playwright needs more permissions than the test task grants):
 *
 * `deno run -A tests/server/chat_driver.ts`
 *
 * @module
 */

import { chromium, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../chromium.ts";
import { createApp } from "../../server/app.ts";
import { buildChatBundle, STATIC_DIR } from "../../server/chat/build.ts";
import { MemoryStore } from "../../server/store/memory.ts";

const T = { timeout: 20_000 };

async function register(
  page: Page,
  url: string,
  name: string,
): Promise<string> {
  await page.goto(url);
  await page.fill("#name", name);
  await page.click("#register-button");
  await page.waitForSelector("body[data-ready=true]", T);
  return (await page.textContent("#me"))!.trim();
}

function sees(page: Page, text: string): Promise<void> {
  return page.locator("#messages li", { hasText: text }).first().waitFor(T);
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
  await sees(page, `me: ${text}`);
}

async function members(page: Page, n: number): Promise<void> {
  const until = Date.now() + T.timeout;
  while ((await page.locator("#members li").count()) !== n) {
    if (Date.now() > until) throw new Error(`expected ${n} members`);
    await page.waitForTimeout(50);
  }
}

async function scenario(url: string, log: string[]): Promise<void> {
  const t0 = Date.now();
  const step = (what: string) => log.push(`${Date.now() - t0} ms: ${what}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  try {
    step("chromium started");
    const names = ["alice", "bob", "carol"];
    const pages = await Promise.all(names.map(async (who) => {
      const page = await (await browser.newContext()).newPage();
      page.on("console", (m) => log.push(`${who} console: ${m.text()}`));
      page.on("pageerror", (e) => log.push(`${who} page error: ${e.message}`));
      return page;
    }));
    const [alice, bob, carol] = pages;
    const [, bobId, carolId] = await Promise.all(
      pages.map((p, i) => register(p, url, names[i])),
    );
    step("registered three clients");

    await alice.click("#create");
    await alice.waitForSelector("#title[data-group-id]", T);
    await alice.fill("#add-id", bobId);
    await alice.click("#add");
    await members(alice, 2);
    await sees(bob, "you joined the group");
    step("alice created a group and added bob");

    await send(alice, "hello bob");
    await sees(bob, "alice: hello bob");
    await send(bob, "hi alice");
    await sees(alice, "bob: hi alice");
    step("alice and bob exchanged messages");

    await alice.fill("#add-id", carolId);
    await alice.click("#add");
    await members(alice, 3);
    await sees(carol, "you joined the group");
    await send(bob, "welcome carol");
    await sees(carol, "bob: welcome carol");
    await sees(alice, "bob: welcome carol");
    step("carol was added and reads the group");

    await alice.fill("#remove-id", carolId);
    await alice.click("#remove");
    await members(alice, 2);
    await sees(carol, "you were removed");
    await send(alice, "carol is gone");
    await sees(bob, "alice: carol is gone");
    await carol.waitForTimeout(500);
    const leaked = await carol.locator("#messages li", {
      hasText: "carol is gone",
    }).count();
    if (leaked !== 0) throw new Error("carol read a message after removal");
    step("carol was removed and reads nothing more");
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "webmls-chat-" });
  const log: string[] = [];
  let ok = false;
  let error: string | undefined;
  const ac = new AbortController();
  const store = new MemoryStore();
  try {
    const bundle = await buildChatBundle(`${dir}/webmls-chat.mjs`);
    const app = createApp(store, { staticDir: STATIC_DIR, bundlePath: bundle });
    const { promise, resolve } = Promise.withResolvers<number>();
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: ({ port }) => resolve(port),
    }, app.fetch);
    await scenario(`http://127.0.0.1:${await promise}/`, log);
    ok = true;
  } catch (e) {
    error = String(e);
  } finally {
    ac.abort();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
  for (const line of log) console.error(line);
  console.log(JSON.stringify({ ok, error, log }));
  Deno.exit(ok ? 0 : 1);
}
