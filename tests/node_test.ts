/**
 * Node: bundle `mod.ts` (scripts/build_npm.ts) and run
 * tests/node/node_smoke.mjs against the bundle under `node`.
 */
import assert from "node:assert/strict";
import { build } from "../scripts/build_npm.ts";

function hasNode(): boolean {
  try {
    return new Deno.Command("node", { args: ["--version"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "node: the bundle runs under Node >= 20",
  ignore: !hasNode(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "webmls-node-" });
    try {
      const bundle = await build({
        output: `${dir}/webmls.mjs`,
      });
      const smoke = new URL("node/node_smoke.mjs", import.meta.url);
      const { code, stdout, stderr } = await new Deno.Command("node", {
        args: [decodeURIComponent(smoke.pathname), bundle],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(stdout);
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 0, `node failed:\n${out}\n${err}`);
      assert.match(out, /suite 1 .*ok/);
      assert.match(out, /suite 2 .*ok/);
      assert.match(out, /: ok$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
