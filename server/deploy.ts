/**
 * The delivery service in Deno Deploy's shape: `Deno.serve` on the port
 * the platform gives (`PORT`, default 8000), `Deno.openKv()` (the
 * platform's database; `WEBMLS_KV=path` for a local file), and the chat
 * page from a bundle built before deploying (`deno task build:server`
 * writes `dist/server/webmls-chat.mjs`; `WEBMLS_CHAT_BUNDLE=path` names
 * another). It starts no subprocess: without the bundle it serves the API
 * alone and says so. The key export routes share the database.
 *
 * Unlike `server/main.ts` it has no header or idle timeout of its own and
 * no connection cap (`Deno.serve` has none; the platform's front end
 * does that); the body timeout, rate limits and stream caps are the app's.
 *
 * Run locally as Deno Deploy would:
 * `deno run --allow-net --allow-read --allow-write --allow-env --unstable-kv server/deploy.ts`.
 *
 * @module
 */

import { createApp } from "./app.ts";
import { STATIC_DIR } from "./chat/build.ts";
import { KvExportStore } from "./exports/kv_store.ts";
import { KvStore } from "./store/kv.ts";
import { KvNameStore } from "./store/kv_names.ts";

const kvPath = Deno.env.get("WEBMLS_KV");
const kv = await Deno.openKv(kvPath);
const store = new KvStore(kv);
const bundlePath = Deno.env.get("WEBMLS_CHAT_BUNDLE") ??
  decodeURIComponent(
    new URL("../dist/server/webmls-chat.mjs", import.meta.url).pathname,
  );
const page = await Deno.stat(bundlePath).then((s) => s.isFile, () => false);
if (!page) {
  console.log(`no chat bundle at ${bundlePath}: serving the API only`);
}
const app = createApp(store, {
  staticDir: page ? STATIC_DIR : false,
  bundlePath: page ? bundlePath : undefined,
  names: new KvNameStore(kv),
  exports: new KvExportStore(kv, { ownsKv: false }),
  ...Deno.env.get("WEBMLS_ORIGIN")
    ? { origin: Deno.env.get("WEBMLS_ORIGIN") }
    : {},
});

const hostname = Deno.env.get("HOSTNAME") ?? "0.0.0.0";
const server = Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 8000),
  hostname,
  onListen: ({ port }) =>
    console.log(
      `webmls delivery service (Deno KV ${
        kvPath ?? "default"
      }, Deno.serve): http://${hostname}:${port}/`,
    ),
}, app.fetch);
await server.finished;
await store.close();
