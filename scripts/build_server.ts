/**
 * Builds the delivery service for the other server runtimes
 * (`deno task build:server`), each one ES module with its npm
 * dependencies, into `dist/server/` (or the folder given as the first
 * argument):
 *
 * - `node.mjs`: `server/adapters/node.ts` (`node node.mjs --port 8080`);
 * - `bun.mjs`: `server/adapters/bun.ts` (`bun bun.mjs --port 8080`);
 * - `worker.mjs`: `server/adapters/workerd.ts`, a Cloudflare module worker
 *   with its Durable Object class (see the README's deploy guide);
 * - `webmls-chat.mjs`: the chat page's bundle, for the Deno Deploy entry
 *   (`server/deploy.ts`), which builds nothing at startup.
 *
 * @module
 */

import { bundle } from "./bundle.ts";
import { buildChatBundle } from "../server/chat/build.ts";

/** The entries: source, output, platform. */
export const SERVER_BUNDLES = [
  { entry: "server/adapters/node.ts", output: "node.mjs", platform: "node" },
  { entry: "server/adapters/bun.ts", output: "bun.mjs", platform: "node" },
  {
    entry: "server/adapters/workerd.ts",
    output: "worker.mjs",
    platform: "browser",
  },
] as const;

/** Builds every server bundle into `dir`; returns their paths by name. */
export async function buildServer(
  dir: string,
): Promise<Record<string, string>> {
  await Deno.mkdir(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const b of SERVER_BUNDLES) {
    out[b.output] = await bundle({
      entry: b.entry,
      output: `${dir}/${b.output}`,
      platform: b.platform,
    });
  }
  out["webmls-chat.mjs"] = await buildChatBundle(`${dir}/webmls-chat.mjs`);
  return out;
}

if (import.meta.main) {
  const dir = Deno.args[0] ??
    decodeURIComponent(new URL("../dist/server", import.meta.url).pathname);
  for (const [name, path] of Object.entries(await buildServer(dir))) {
    console.log(`${name}: ${path}`);
  }
}
