/**
 * Browser: bundle the module, then run tests/browser/driver.ts, which
 * serves it with tests/browser/ on a loopback server and runs
 * tests/browser/page.mjs in Debian's headless Chromium (playwright-core):
 * provider crypto, IndexedDbStorage conformance, the explainer flow over
 * IndexedDB. Skipped when /usr/bin/chromium is absent (`.ci/run` installs
 * it).
 */
import assert from "node:assert/strict";
import { ignoreWithoutChromium } from "./chromium.ts";
import { bundle as build } from "../scripts/bundle.ts";

Deno.test({
  name: "browser: crypto, IndexedDB storage and MLS in headless Chromium",
  ignore: ignoreWithoutChromium(),
  async fn() {
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
      const lines: string[] = result.log;
      assert.ok(lines.some((l) => l.startsWith("suite 2")), log);
      assert.ok(lines.some((l) => l.includes("CryptoKey persists")), log);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
