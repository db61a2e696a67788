/**
 * Browser: bundle the module, then run tests/browser/driver.ts, which
 * serves it with tests/browser/ on a loopback server and runs
 * tests/browser/page.mjs in Debian's headless Chromium (playwright-core):
 * provider crypto, IndexedDbStorage conformance, the explainer flow over
 * IndexedDB; tests/browser/at_rest_page.mjs: EncryptedStorage over
 * IndexedDB with a persisted app key, across a page reload; and
 * tests/browser/multi_tab_driver.ts: two tabs of one origin as one member
 * on one IndexedDB. Skipped when /usr/bin/chromium is absent, except under
 * CI (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { ignoreWithoutChromium } from "./chromium.ts";
import { bundle as build } from "../scripts/bundle.ts";

/**
 * Bundles mod.ts and runs tests/browser/`page` in Chromium through the
 * driver; returns the page's log lines (asserting it passed).
 */
async function runInChromium(page: string): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "webmls-browser-" });
  try {
    const bundle = await build({
      output: `${dir}/webmls.mjs`,
      entry: "mod.ts",
    });
    const driver = new URL("browser/driver.ts", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(
      Deno.execPath(),
      {
        args: [
          "run",
          // playwright reads /proc and more: the driver is test tooling.
          "--allow-all",
          decodeURIComponent(driver.pathname),
          bundle,
          page,
        ],
        stdout: "piped",
        stderr: "piped",
      },
    ).output();
    const out = new TextDecoder().decode(stdout).trim();
    const log = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `browser run failed:\n${out}\n${log}`);
    const result = JSON.parse(out.slice(out.lastIndexOf("\n") + 1));
    assert.ok(result.ok, log);
    return result.log;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "browser: crypto, IndexedDB storage and MLS in headless Chromium",
  ignore: ignoreWithoutChromium(),
  async fn() {
    const lines = await runInChromium("page.mjs");
    const log = lines.join("\n");
    assert.ok(lines.some((l) => l.startsWith("suite 2")), log);
    assert.ok(lines.some((l) => l.includes("CryptoKey persists")), log);
  },
});

Deno.test({
  name:
    "browser: EncryptedStorage over IndexedDB with a persisted non-extractable app key, across a reload",
  ignore: ignoreWithoutChromium(),
  async fn() {
    const lines = await runInChromium("at_rest_page.mjs");
    const log = lines.join("\n");
    assert.ok(lines.some((l) => l.startsWith("phase 1: group stored")), log);
    assert.ok(
      lines.some((l) => l.startsWith("phase 2: read after reload")),
      log,
    );
    assert.ok(lines.includes("phase 2: deleted"), log);
  },
});

Deno.test({
  name: "browser: two tabs of one member on one IndexedDB",
  ignore: ignoreWithoutChromium(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "webmls-tabs-" });
    try {
      const bundle = await build({
        output: `${dir}/webmls.mjs`,
        entry: "mod.ts",
      });
      const driver = new URL("browser/multi_tab_driver.ts", import.meta.url);
      const { code, stdout, stderr } = await new Deno.Command(
        Deno.execPath(),
        {
          args: [
            "run",
            "--allow-all",
            decodeURIComponent(driver.pathname),
            bundle,
          ],
          stdout: "piped",
          stderr: "piped",
        },
      ).output();
      const out = new TextDecoder().decode(stdout).trim();
      const log = new TextDecoder().decode(stderr);
      assert.equal(code, 0, `multi-tab run failed:\n${out}\n${log}`);
      const result = JSON.parse(out.slice(out.lastIndexOf("\n") + 1));
      assert.ok(result.ok, log);
      assert.equal(
        result.log.filter((l: string) => l.includes("BroadcastChannel")).length,
        2,
        log,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
