/**
 * The delivery service on Node (>= 20): the Hono app under
 * `@hono/node-server`, WebSockets through `@hono/node-ws` (the `ws`
 * package), an in-memory store. `deno task build:server` bundles it to
 * `dist/server/node.mjs`; run it with `node dist/server/node.mjs --port
 * 8080`. Prints the URL once it listens; stops on SIGINT or SIGTERM.
 *
 * @module
 */

import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import type { IncomingMessage } from "node:http";
import process from "node:process";
import { createApp } from "../app.ts";
import { STREAM_PROTOCOL } from "../shared/wire.ts";
import { MAX_CLIENT_FRAME } from "../socket.ts";
import { MemoryStore } from "../store/memory.ts";
import { entryFlags } from "./args.ts";
import { honoWebSocket } from "./hono_ws.ts";

// @hono/node-ws reports a socket's errors as `ErrorEvent`s, which Node 20
// lacks (it would throw a ReferenceError instead, and log it).
if (!("ErrorEvent" in globalThis)) {
  Object.assign(globalThis, {
    ErrorEvent: class extends Event {
      readonly error: unknown;
      readonly message: string;
      constructor(type: string, init: { error?: unknown; message?: string }) {
        super(type);
        this.error = init.error;
        this.message = init.message ?? "";
      }
    },
  });
}

const { port, hostname, options } = entryFlags(
  process.argv.slice(2),
  process.env,
);
const store = new MemoryStore();
/** The remote address, for the anonymous rate limit (`c.env.remoteAddr`). */
function withAddress(env: object) {
  const incoming = (env as { incoming?: IncomingMessage }).incoming;
  // In place: @hono/node-ws marks the upgrade on this very object.
  return Object.assign(env, {
    remoteAddr: { hostname: incoming?.socket.remoteAddress },
  });
}
// @hono/node-ws routes upgrade requests through `app.request`; the app is
// made after the helper (it takes the helper), so the helper gets a proxy
// that reaches it once requests come.
const ws = createNodeWebSocket({
  app: {
    request: (input: string | URL, init: RequestInit, env: object) =>
      app.request(input, init, withAddress(env)),
    // deno-lint-ignore no-explicit-any
  } as any,
});
// `ws` answers the first protocol offered unless told: answer the stream's
// own (never the one carrying a token), or none.
ws.wss.options.handleProtocols = (offered: Set<string>) =>
  offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false;
// Clients send acknowledgements only: `ws` would take 100 MiB frames.
ws.wss.options.maxPayload = MAX_CLIENT_FRAME;
const app = createApp(store, {
  ...options,
  webSocket: honoWebSocket(ws.upgradeWebSocket),
});
const server = serve({
  port,
  hostname,
  fetch: (req, env) => app.fetch(req, withAddress(env)),
}, (info) => {
  console.log(
    `webmls delivery service (memory, Node ${process.version}): http://${hostname}:${info.port}/`,
  );
});
ws.injectWebSocket(server);

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const c of ws.wss.clients) (c as { terminate(): void }).terminate();
    server.close(() => {
      store.close();
      process.exit(0);
    });
  });
}
