/**
 * Drives the chat page test: bundles the page's library, serves the real
 * app (in-memory stores, chat page) on a loopback port, and plays three
 * people in three isolated headless-Chromium contexts (Debian's chromium
 * via playwright-core):
 *
 * - they register display names (a taken name is refused next to the
 *   field); alice creates the group "Project X" and adds bob by name;
 * - they talk (delivered state, sender names); both see the same safety
 *   number; an unread count shows on a second group until it is opened;
 * - carol is added, bob renames the group and everyone sees the new name;
 * - bob reloads and keeps his history; alice removes carol with the
 *   member list's button: carol sees why, with her controls disabled,
 *   also after a reload, and reads nothing sent after;
 * - a wrong name shows its error next to the add field;
 * - no horizontal overflow at 390 px; screenshots at 390 and 1280 px
 *   (light, and one dark) go to `.artifacts/chat/` (gitignored).
 *
 * Prints a JSON result on the last line; exits 1 on failure. Run by
 * chat_browser_test.ts in its own process (playwright needs more
 * permissions than the test task grants):
 *
 * `deno run -A tests/server/chat_driver.ts`
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../chromium.ts";
import { createApp } from "../../server/app.ts";
import { buildChatBundle, STATIC_DIR } from "../../server/chat/build.ts";
import { MemoryStore } from "../../server/store/memory.ts";

const T = { timeout: 20_000 };
const ARTIFACTS = decodeURIComponent(
  new URL("../../.artifacts/chat/", import.meta.url).pathname,
);

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function register(page: Page, name: string): Promise<string> {
  await page.fill("#name", name);
  await page.click("#register-button");
  await page.waitForSelector("body[data-ready=true]", T);
  return (await page.getAttribute("#me-fp", "title"))!;
}

function sees(page: Page, text: string): Promise<void> {
  return page.locator("#messages li", { hasText: text }).first().waitFor(T);
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter"); // the keyboard, not a click
  await page.locator("#messages li.mine[data-state=delivered]", {
    hasText: text,
  }).first().waitFor(T);
}

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + T.timeout;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function members(page: Page, n: number): Promise<void> {
  return until(
    `${n} members`,
    async () =>
      (await page.locator("#members li[data-client-id]").count()) === n,
  );
}

function title(page: Page, text: string): Promise<void> {
  return until(
    `title ${text}`,
    async () => (await page.textContent("#title"))?.trim() === text,
  );
}

async function addByName(page: Page, name: string): Promise<void> {
  await page.fill("#add-name", name);
  await page.click("#add");
}

async function screenshots(page: Page, who: string): Promise<string[]> {
  const out: string[] = [];
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(100);
    // Evaluated in the page (a string: no DOM types in this file).
    const width = await page.evaluate(
      "document.documentElement.scrollWidth",
    ) as number;
    check(width <= w, `${who}: the page is ${width} px wide at ${w} px`);
    const path = `${ARTIFACTS}${who}-${w}.png`;
    await page.screenshot({ path, fullPage: true });
    out.push(path);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return out;
}

async function scenario(
  browser: Browser,
  url: string,
  log: string[],
): Promise<string[]> {
  const t0 = Date.now();
  const step = (what: string) => log.push(`${Date.now() - t0} ms: ${what}`);
  const names = ["alice", "bob", "carol"];
  const pages = await Promise.all(names.map(async (who) => {
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 800 },
    });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"]);
    const page = await ctx.newPage();
    page.on("console", (m) => log.push(`${who} console: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`${who} page error: ${e.message}`));
    await page.goto(url);
    return page;
  }));
  const [alice, bob, carol] = pages;
  const aliceId = await register(alice, "Alice");
  const bobId = await register(bob, "Bob");
  // Names are unique after normalization: "ALICE" is Alice's.
  await carol.fill("#name", "ALICE");
  await carol.click("#register-button");
  await carol.locator("#name-error", { hasText: "taken" }).waitFor(T);
  check(
    await carol.getAttribute("#name", "aria-invalid") === "true",
    "the refused name is not marked invalid",
  );
  const carolId = await register(carol, "Carol");
  check(aliceId !== bobId && bobId !== carolId, "distinct client ids");
  check(
    (await alice.textContent("#me-name")) === "Alice",
    "alice's name is not shown",
  );
  await alice.click("#me-copy");
  check(
    await alice.evaluate("navigator.clipboard.readText()") === aliceId,
    "the copy button does not copy the client id",
  );
  step("registered Alice, Bob, Carol (ALICE refused as taken)");

  await alice.fill("#group-name", "Project X");
  await alice.click("#create");
  await title(alice, "Project X");
  await addByName(alice, "bob"); // exact name, any case
  await members(alice, 2);
  await sees(bob, "You were added to this group");
  await title(bob, "Project X");
  await bob.locator("#members li", { hasText: "Alice" }).waitFor(T);
  step("alice created Project X and added bob by name");

  await send(alice, "hello bob");
  await sees(bob, "hello bob");
  check(
    (await bob.locator("#messages li", { hasText: "hello bob" }).locator(
      ".who",
    ).textContent()) === "Alice",
    "bob does not see Alice as the sender",
  );
  await send(bob, "hi alice");
  await sees(alice, "hi alice");
  const safety = async (p: Page) =>
    (await p.textContent("#safety-number"))!.trim();
  await until(
    "equal safety numbers",
    async () => (await safety(alice)) === (await safety(bob)),
  );
  check(/^(\d{5} ){5}\d{5}$/.test(await safety(alice)), "safety number form");
  step("alice and bob talked; same safety number");

  // Unread count: a second group, not the one bob looks at.
  await alice.fill("#group-name", "Side chat");
  await alice.click("#create");
  await title(alice, "Side chat");
  await addByName(alice, "Bob");
  await members(alice, 2);
  await send(alice, "psst");
  const side = (await alice.getAttribute("#title", "data-group-id"))!;
  const badge = bob.locator(`#groups button[data-group-id="${side}"] .badge`);
  await until(
    "an unread badge",
    async () =>
      (await badge.count()) === 1 && (await badge.textContent()) === "1",
  );
  await bob.click(`#groups button[data-group-id="${side}"]`);
  await sees(bob, "psst");
  await until("no unread badge", async () => (await badge.count()) === 0);
  await bob.click(`#groups button:has-text("Project X")`);
  await alice.click(`#groups button:has-text("Project X")`);
  await title(alice, "Project X");
  step("an unread count on the side group until bob opened it");

  await addByName(alice, "Carol");
  await members(alice, 3);
  await sees(carol, "You were added to this group");
  await sees(bob, "Alice added Carol"); // names resolved, not fingerprints
  await bob.click("#rename-box summary");
  await bob.fill("#rename-input", "Project Y");
  await bob.click("#rename");
  await title(alice, "Project Y");
  await title(carol, "Project Y");
  await title(bob, "Project Y");
  await sees(alice, "Bob renamed the group to “Project Y”");
  step("carol added; bob renamed the group, all see Project Y");

  await bob.reload();
  await bob.waitForSelector("body[data-ready=true]", T);
  await title(bob, "Project Y");
  await sees(bob, "hello bob");
  await sees(bob, "hi alice");
  check(
    await bob.locator("#messages li.mine[data-state=delivered]", {
      hasText: "hi alice",
    }).count() === 1,
    "bob's own message lost its delivered state over the reload",
  );
  step("bob reloaded and kept the history");

  // A wrong name: the error is next to the field.
  await addByName(alice, "nobody here");
  await alice.locator("#add-error", { hasText: "Nobody is called" }).waitFor(T);
  await alice.fill("#add-name", "");

  await alice.click(`#members li[data-client-id="${carolId}"] button`);
  await members(alice, 2);
  await sees(carol, "Alice removed you from this group");
  await carol.locator("#removed-banner", { hasText: "Alice removed you" })
    .waitFor(T);
  check(await carol.isDisabled("#send"), "carol's send button is enabled");
  check(await carol.isDisabled("#add"), "carol's add button is enabled");
  check(
    await carol.locator("#groups li.removed").count() === 1,
    "carol's group is not marked removed",
  );
  await send(alice, "carol is gone");
  await sees(bob, "carol is gone");
  await carol.reload();
  await carol.waitForSelector("body[data-ready=true]", T);
  await carol.locator("#removed-banner", { hasText: "Alice removed you" })
    .waitFor(T);
  check(await carol.isDisabled("#text"), "carol's message box is enabled");
  await carol.waitForTimeout(300);
  check(
    await carol.locator("#messages li", { hasText: "carol is gone" })
      .count() === 0,
    "carol read a message after her removal",
  );
  step("carol was removed, sees why with controls disabled, reads nothing");

  // A session the service does not know (e.g. it restarted in memory).
  const stranger = await (await browser.newContext()).newPage();
  stranger.on("console", (m) => log.push(`stranger console: ${m.text()}`));
  stranger.on(
    "pageerror",
    (e) => log.push(`stranger page error: ${e.message}`),
  );
  await stranger.goto(url);
  await stranger.evaluate(
    `localStorage.setItem("webmls-chat-session-v2", JSON.stringify({
      clientId: "${"ab".repeat(32)}", token: "forgotten", credentialName: "x",
    }))`,
  );
  await stranger.reload();
  await stranger.locator("#name-error", { hasText: "Register again" })
    .waitFor(T).catch(async (e) => {
      // Say what the page showed instead, for a failure seen once under load.
      const shown = await stranger.locator("#name-error").textContent()
        .catch(() => "?");
      log.push(`stranger's #name-error: ${JSON.stringify(shown)}`);
      throw e;
    });
  check(await stranger.isVisible("#register-form"), "no register form");
  step("an unknown session is dropped and the page asks to register");

  await alice.click("#safety summary"); // shown in the screenshots
  const shots = [
    ...await screenshots(alice, "alice"),
    ...await screenshots(carol, "carol-removed"),
  ];
  await bob.emulateMedia({ colorScheme: "dark" });
  shots.push(...await screenshots(bob, "bob-dark"));
  step("screenshots taken");
  return shots;
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "webmls-chat-" });
  const log: string[] = [];
  let ok = false;
  let error: string | undefined;
  let shots: string[] = [];
  const ac = new AbortController();
  const store = new MemoryStore();
  let browser: Browser | undefined;
  try {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const bundle = await buildChatBundle(`${dir}/webmls-chat.mjs`);
    const app = createApp(store, { staticDir: STATIC_DIR, bundlePath: bundle });
    const { promise, resolve } = Promise.withResolvers<number>();
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: ({ port }) => resolve(port),
    }, app.fetch);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    shots = await scenario(browser, `http://127.0.0.1:${await promise}/`, log);
    ok = true;
  } catch (e) {
    error = String(e);
  } finally {
    await browser?.close();
    ac.abort();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
  for (const line of log) console.error(line);
  console.log(JSON.stringify({ ok, error, log, screenshots: shots }));
  Deno.exit(ok ? 0 : 1);
}
