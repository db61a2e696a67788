/**
 * Drives the multi-tab browser test: two pages of one origin in headless
 * Chromium (tests/browser/tab.mjs) hold views of one member on one
 * IndexedDB database and send at once; Carol, a third member in this
 * process, decrypts every message exactly once and checks that no
 * (epoch, sender leaf, generation) was used twice. Then a third tab loads
 * the view and carries on, and a commit made in one tab shows in the other
 * without a call (BroadcastChannel). Once with Web Locks, once with
 * `navigator.locks` hidden (conditional batches only). Prints
 * `{ ok, log, error }` as JSON on the last line; exits 1 on failure:
 *
 * `deno run -A tests/browser/multi_tab_driver.ts dist/webmls.mjs`
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { MLS, MlsError } from "../../mod.ts";
import { slotKey, slotReader } from "../api/generations.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "../chromium.ts";
import { serve } from "./driver.ts";

/** What tests/browser/tab.mjs puts in `globalThis.tab`. */
interface Tab {
  create(db: string): Promise<{ clientId: string; keyPackage: number[] }>;
  join(welcome: number[]): Promise<string>;
  open(db: string, groupId: string, clientId: string): Promise<string>;
  sendMany(name: string, n: number): Promise<number[][]>;
  update(): Promise<number[]>;
  receive(message: number[]): Promise<string>;
  epoch(): string;
}

/** The page's global (callbacks run in the page: no closures). */
type W = { tab: Tab };

const log: string[] = [];

async function scenario(browser: Browser, url: string, locks: boolean) {
  const what = locks ? "web locks" : "conditional batches only";
  const context = await browser.newContext();
  try {
    const open = async (): Promise<Page> => {
      const page = await context.newPage();
      page.on("console", (m) => log.push(`console: ${m.text()}`));
      page.on("pageerror", (e) => log.push(`page error: ${e.message}`));
      await page.goto(`${url}tab.html${locks ? "" : "?nolocks"}`);
      await page.waitForFunction(() =>
        (globalThis as { __ready?: boolean }).__ready === true
      );
      return page;
    };
    const [pa, pb] = [await open(), await open()];
    const db = `webmls-tabs-${crypto.randomUUID()}`;
    const alice = await pa.evaluate(
      (db) => (globalThis as unknown as W).tab.create(db),
      db,
    );

    const carolMls = new MLS();
    const carolId = await carolMls.generateIdentity();
    const carol = await carolMls.groupCreate(
      carolId,
      await carolMls.generateCredential("carol"),
    );
    const add = await carol.add(new Uint8Array(alice.keyPackage));
    await carol.receive(add);
    const groupId = await pa.evaluate(
      (w) => (globalThis as unknown as W).tab.join(w),
      Array.from(add.welcome!),
    );
    assert.equal(groupId, carol.groupId);
    await pb.evaluate(
      ([db, g, c]) => (globalThis as unknown as W).tab.open(db, g, c),
      [db, groupId, alice.clientId],
    );
    const slotOf = await slotReader(
      carolMls.storage,
      carol.groupId,
      carolId.clientId,
    );

    // Both tabs send at once.
    const n = 30;
    const [sa, sb] = await Promise.all([
      pa.evaluate(([n]) => (globalThis as unknown as W).tab.sendMany("A", n), [
        n,
      ]),
      pb.evaluate(([n]) => (globalThis as unknown as W).tab.sendMany("B", n), [
        n,
      ]),
    ]);
    const sent = [
      ...sa.map((m, i) => ({ m: new Uint8Array(m), text: `A ${i}` })),
      ...sb.map((m, i) => ({ m: new Uint8Array(m), text: `B ${i}` })),
    ];
    const slots = await Promise.all(sent.map((s) => slotOf(s.m)));
    const distinct = new Set(slots.map(slotKey)).size;
    assert.equal(distinct, sent.length, "a generation was used twice");
    const order = sent.map((_, i) => i).sort((x, y) =>
      slots[x].generation - slots[y].generation
    );
    for (const i of order) {
      const r = await carol.receive(sent[i].m);
      assert.equal(r.type === "application" && r.text(), sent[i].text);
      await assert.rejects(
        carol.receive(sent[i].m),
        (e) => e instanceof MlsError && e.code === "generation_too_old",
      );
    }
    log.push(`${what}: ${2 * n} messages from two tabs, each decrypted once`);

    // A third tab loads the view and sends with the next generation.
    const pc = await open();
    await pc.evaluate(
      ([db, g, c]) => (globalThis as unknown as W).tab.open(db, g, c),
      [db, groupId, alice.clientId],
    );
    const [mc] = await pc.evaluate(() =>
      (globalThis as unknown as W).tab.sendMany("C", 1)
    );
    const top = Math.max(...slots.map((s) => s.generation));
    assert.equal((await slotOf(new Uint8Array(mc))).generation, top + 1);
    const rc = await carol.receive(new Uint8Array(mc));
    assert.equal(rc.type === "application" && rc.text(), "C 0");
    log.push(`${what}: a tab opened afterwards carries on`);

    // A commit in tab B shows in tab A without a call into A's view.
    const commit = await pb.evaluate(() =>
      (globalThis as unknown as W).tab.update()
    );
    assert.equal(
      await pb.evaluate(
        (c) => (globalThis as unknown as W).tab.receive(c),
        commit,
      ),
      "commit",
    );
    await carol.receive(new Uint8Array(commit));
    await pa.waitForFunction(
      (e) => (globalThis as unknown as W).tab.epoch() === e,
      String(carol.epoch),
      { timeout: 30_000 },
    );
    const [ma] = await pa.evaluate(() =>
      (globalThis as unknown as W).tab.sendMany("A after", 1)
    );
    const ra = await carol.receive(new Uint8Array(ma));
    assert.equal(ra.type === "application" && ra.text(), "A after 0");
    log.push(`${what}: tab A follows tab B's commit (BroadcastChannel)`);
  } finally {
    await context.close();
  }
}

if (import.meta.main) {
  const bundle = Deno.args[0];
  if (!bundle) throw new Error("usage: multi_tab_driver.ts <bundle.mjs>");
  const here = (p: string): string =>
    decodeURIComponent(new URL(p, import.meta.url).pathname);
  const { url, server } = await serve({
    "/tab.html": here("tab.html"),
    "/tab.mjs": here("tab.mjs"),
    "/webmls.mjs": bundle,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  let result: { ok: boolean; log: string[]; error?: string };
  try {
    await scenario(browser, url, true);
    await scenario(browser, url, false);
    result = { ok: true, log };
  } catch (e) {
    result = { ok: false, log, error: String((e as Error)?.stack ?? e) };
  } finally {
    await browser.close();
    await server.shutdown();
  }
  for (const line of result.log) console.error(line);
  if (result.error) console.error(result.error);
  console.log(JSON.stringify(result));
  Deno.exit(result.ok ? 0 : 1);
}
