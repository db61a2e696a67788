/**
 * The delivery service on Bun: the Hono app under `Bun.serve`,
 * WebSockets through `hono/bun`, an in-memory store. `deno task
 * build:server` bundles it to `dist/server/bun.mjs`; run it with `bun
 * dist/server/bun.mjs --port 8080`. Prints the URL once it listens.
 *
 * @module
 */

import { upgradeWebSocket, websocket } from "hono/bun";
import process from "node:process";
import { createApp } from "../app.ts";
import { resolveOptions } from "../options.ts";
import { STREAM_PROTOCOL } from "../shared/wire.ts";
import { MAX_CLIENT_FRAME } from "../socket.ts";
import { MemoryStore } from "../store/memory.ts";
import { entryFlags } from "./args.ts";
import { honoWebSocket } from "./hono_ws.ts";

/** What this file uses of Bun's API (Deno checks it without Bun's types). */
interface BunServer {
  readonly port: number;
  requestIP(req: Request): { address: string } | null;
  upgrade(req: Request, options?: unknown): boolean;
  stop(closeActive?: boolean): void;
}
declare const Bun: {
  readonly version: string;
  serve(options: {
    port: number;
    hostname: string;
    fetch(req: Request, server: BunServer): Response | Promise<Response>;
    websocket: unknown;
  }): BunServer;
};

/**
 * `server` whose upgrades answer the stream's subprotocol when it is
 * offered: Bun (and `hono/bun`) would answer the first one offered, which
 * may be the one carrying the token.
 */
function answering(server: BunServer): Pick<BunServer, "upgrade"> {
  return {
    upgrade: (req, options) => {
      const offered = (req.headers.get("sec-websocket-protocol") ?? "")
        .split(",").map((p) => p.trim());
      return server.upgrade(req, {
        ...options as object,
        ...offered.includes(STREAM_PROTOCOL)
          ? { headers: { "sec-websocket-protocol": STREAM_PROTOCOL } }
          : {},
      });
    },
  };
}

const { port, hostname, options } = entryFlags(
  process.argv.slice(2),
  process.env,
);
const store = new MemoryStore();
const app = createApp(store, {
  ...options,
  webSocket: honoWebSocket(upgradeWebSocket),
});
const idleTimeout = Math.ceil(
  resolveOptions(options).streamIdleTimeoutMs / 1000,
);
const server = Bun.serve({
  port,
  hostname,
  // hono/bun finds the server under `env.server`.
  fetch: (req, server) =>
    app.fetch(req, {
      server: answering(server),
      remoteAddr: { hostname: server.requestIP(req)?.address },
    }),
  // The stream's idle timeout is Bun's to enforce (seconds; at most 960).
  // Clients send acknowledgements only: Bun would take 16 MiB frames.
  websocket: {
    ...websocket,
    idleTimeout: Math.min(idleTimeout, 960),
    maxPayloadLength: MAX_CLIENT_FRAME,
  },
});
console.log(
  `webmls delivery service (memory, Bun ${Bun.version}): http://${hostname}:${server.port}/`,
);

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    server.stop(true);
    store.close();
    process.exit(0);
  });
}
