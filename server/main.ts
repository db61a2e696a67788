/**
 * `deno task start`: the delivery service with the chat page, on a Deno KV
 * file (default `.data/webmls.kv`), on loopback port 8080 unless told
 * otherwise. Prints the URL.
 *
 * Flags: `--port N` (0: any free port), `--hostname H`, `--kv PATH`,
 * `--memory` (no persistence), `--no-page` (API only, no bundling),
 * `--no-rate-limit` (for load tests on loopback), `--origin URL` (the
 * public origin registration proofs must name; default: each request's),
 * `--public-handshakes` (every group's proposals and commits must be
 * PublicMessages, verified by the service: `AppOptions.handshakes`),
 * `--option NAME=N` (any numeric {@link AppOptions} field, e.g.
 * `--option headersTimeoutMs=5000`; repeatable), `--no-exports` (no key
 * export routes), `--exports-only` (the key export service alone, over the
 * same database), `--retention-days D` (how long group messages not every
 * member has read are kept; default 30).
 *
 * It serves through `server/serve.ts` (`node:http`), which enforces the
 * header, body and idle timeouts and the connection cap that `Deno.serve`
 * lacks. It stops on SIGINT or SIGTERM, and when a launcher that started it
 * (npx, npm, `sh`, `deno task`) is gone: see `lifeline.ts`.
 *
 * @module
 */

import { type AppOptions, createApp } from "./app.ts";
import { watchLaunchers } from "./lifeline.ts";
import { buildChatBundle, STATIC_DIR } from "./chat/build.ts";
import { resolveOptions } from "./options.ts";
import { serve } from "./serve.ts";
import { KvStore } from "./store/kv.ts";
import { KvNameStore } from "./store/kv_names.ts";
import { MemoryStore } from "./store/memory.ts";
import type { NameStore } from "./store/names.ts";
import { MemoryNameStore } from "./store/memory_names.ts";
import type { DeliveryStore } from "./store/store.ts";
import { KvExportStore } from "./exports/kv_store.ts";
import { MemoryExportStore } from "./exports/memory_store.ts";
import type { ExportStore } from "./exports/store.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** `--option NAME=N` flags: numeric options only, names checked. */
function optionFlags(): AppOptions {
  const defaults = resolveOptions() as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  Deno.args.forEach((a, i) => {
    if (a !== "--option") return;
    const [name, value] = (Deno.args[i + 1] ?? "").split("=");
    const n = Number(value);
    if (typeof defaults[name] !== "number" || value === "" || !(n >= 0)) {
      throw new Error(`--option ${Deno.args[i + 1]}: not a numeric option`);
    }
    out[name] = n;
  });
  return out;
}

const port = Number(flag("port") ?? Deno.env.get("PORT") ?? 8080);
const hostname = flag("hostname") ?? "127.0.0.1";
const page = !Deno.args.includes("--no-page");

const retentionDays = Number(flag("retention-days") ?? 30);
if (!(retentionDays > 0)) {
  throw new Error("--retention-days: a positive number of days");
}
const retentionMs = retentionDays * 24 * 3600 * 1000;

let store: DeliveryStore;
let names: NameStore;
let exports: ExportStore | undefined;
let where: string;
const withExports = !Deno.args.includes("--no-exports");
if (Deno.args.includes("--memory")) {
  store = new MemoryStore({ retentionMs });
  names = new MemoryNameStore();
  if (withExports) exports = new MemoryExportStore();
  where = "memory";
} else {
  const path = flag("kv") ?? ".data/webmls.kv";
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  if (dir) await Deno.mkdir(dir, { recursive: true });
  // One database for all three; the KvStore closes it.
  const kv = await Deno.openKv(path);
  store = new KvStore(kv, { retentionMs });
  names = new KvNameStore(kv);
  if (withExports) exports = new KvExportStore(kv, { ownsKv: false });
  where = `Deno KV ${path}`;
}

const bundlePath = page ? await buildChatBundle() : undefined;
const origin = flag("origin");
const options: AppOptions = {
  staticDir: page ? STATIC_DIR : false,
  bundlePath,
  names,
  ...origin ? { origin } : {},
  ...Deno.args.includes("--no-rate-limit")
    ? { rateLimit: false, anonymousRateLimit: false }
    : {},
  handshakes: Deno.args.includes("--public-handshakes") ? "public" : "any",
  exports,
  delivery: !Deno.args.includes("--exports-only"),
  ...optionFlags(),
};
const app = createApp(store, options);

const ac = new AbortController();
// npm and `sh` do not pass a SIGTERM on to `deno task`: stop when they die.
// The launchers are read before the URL is printed, while they all live.
const stopWatching = await watchLaunchers(() => ac.abort());
const server = await serve(app.fetch, {
  ...resolveOptions(options),
  hostname,
  port,
  signal: ac.signal,
});
const host = server.addr.hostname.includes(":")
  ? `[${server.addr.hostname}]`
  : server.addr.hostname;
console.log(
  `webmls delivery service (${where}): http://${host}:${server.addr.port}/`,
);

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => ac.abort());
}
await server.finished;
stopWatching();
await exports?.close();
await store.close();
