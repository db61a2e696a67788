/**
 * Node: the npm-style package (`scripts/build_npm.ts`) is packed with
 * `npm pack`, installed into a scratch project with `npm install`, then
 * imported by name under `node` (tests/node/node_smoke.mjs), and a
 * TypeScript consumer of both entry points type-checks against its `.d.ts`
 * (strict, without skipLibCheck, as a Node project would).
 */
import assert from "node:assert/strict";
import { buildPackage } from "../scripts/build_npm.ts";
import { typeErrors } from "./runtimes/consumer.ts";

function has(command: string): boolean {
  try {
    return new Deno.Command(command, { args: ["--version"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `${cmd} ${args.join(" ")} failed:\n${out}\n${err}`);
  return out;
}

Deno.test({
  name:
    "node: the packed npm package installs, imports by name, and type-checks",
  // Ignored only outside CI: under CI a missing node must fail the run.
  ignore: (!has("node") || !has("npm")) && !Deno.env.get("CI"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "webmls-node-" });
    try {
      const pkg = await buildPackage(`${dir}/package`);
      const tgz =
        (await run("npm", ["pack", pkg, "--pack-destination", dir], dir))
          .trim().split("\n").pop()!;
      const app = `${dir}/app`;
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
        `${dir}/${tgz}`,
      ], app);

      const smoke = decodeURIComponent(
        new URL("node/node_smoke.mjs", import.meta.url).pathname,
      );
      const checks = decodeURIComponent(
        new URL("node/checks.mjs", import.meta.url).pathname,
      );
      await Deno.copyFile(smoke, `${app}/smoke.mjs`);
      await Deno.copyFile(checks, `${app}/checks.mjs`);
      const out = await run("node", ["smoke.mjs", "@webmls/mls"], app);
      assert.match(out, /suite 1 .*ok/);
      assert.match(out, /suite 2 .*ok/);
      assert.match(out, /: ok$/m);
      const delivery = await run("node", [
        "--input-type=module",
        "-e",
        'const d = await import("@webmls/mls/delivery"); console.log(typeof d.DeliveryClient.register);',
      ], app);
      assert.equal(delivery.trim(), "function");

      assert.deepEqual(typeErrors(app), []);
      // The check can fail: a wrong type in the consumer is reported.
      assert.equal(typeErrors(app, true).length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
