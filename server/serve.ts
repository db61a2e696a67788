/**
 * The entry point's HTTP server: the app behind Deno's `node:http`, which
 * (unlike `Deno.serve`, which has no timeout of any kind) closes
 * connections whose request headers are late (`headersTimeoutMs`), whose
 * request is not complete in time (headers plus `bodyTimeoutMs`), and
 * keep-alive connections idle between requests (`idleTimeoutMs`), and caps
 * open connections (`maxConnections`). WebSocket upgrades go to the app
 * with their raw socket (`Deno.upgradeWebSocket` takes it); from then on
 * the stream's own ping timeout applies.
 *
 * Measured on Deno 2.9.6 with raw TCP clients (`tests/server/
 * connection_limits_test.ts`, and by hand for 100 s): with `Deno.serve`,
 * a silent connection, one stalled mid-headers, one trickling a header
 * line every 2 s, one stalled mid-body and an idle keep-alive one were all
 * still open after 100 s; here each is closed within its timeout (plus up
 * to the check interval below).
 *
 * @module
 */

import { createServer } from "node:http";
import type { Duplex } from "node:stream";
import type { AppEnv } from "./context.ts";
import { toRequest, writeRawResponse, writeResponse } from "./node_adapter.ts";
import type { ResolvedOptions } from "./options.ts";

/** The app's request handler (Hono's `app.fetch`). */
export type FetchHandler = (
  request: Request,
  env: AppEnv["Bindings"],
) => Response | Promise<Response>;

/** Where and how to listen. */
export interface ServeOptions extends
  Pick<
    ResolvedOptions,
    "headersTimeoutMs" | "bodyTimeoutMs" | "idleTimeoutMs" | "maxConnections"
  > {
  /** Address to listen on. */
  hostname: string;
  /** Port (0: any free one). */
  port: number;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** A running server. */
export interface Server {
  /** The address it listens on. */
  readonly addr: { hostname: string; port: number };
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting and closes every connection, streams included. */
  close(): Promise<void>;
}

/** Serves `fetch` on `options.hostname:port`; resolves once listening. */
export async function serve(
  fetch: FetchHandler,
  options: ServeOptions,
): Promise<Server> {
  const requestTimeout = options.headersTimeoutMs + options.bodyTimeoutMs +
    1000; // after the app's own 408 for a late body
  const server = createServer({
    headersTimeout: options.headersTimeoutMs,
    requestTimeout,
    keepAliveTimeout: options.idleTimeoutMs,
    // How often Node's timers look at connections: the timeouts above
    // are enforced this late at most.
    connectionsCheckingInterval: Math.max(
      20,
      Math.min(1000, options.headersTimeoutMs / 4),
    ),
  });
  server.maxConnections = options.maxConnections;
  const upgraded = new Set<Duplex>();

  server.on("request", (req, res) => {
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const env = { remoteAddr: { hostname: req.socket.remoteAddress } };
    Promise.resolve()
      .then(() => fetch(toRequest(req, gone.signal), env))
      .then((r) => writeResponse(res, r))
      .catch((e) => {
        console.error("internal error:", e);
        try {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        } catch {
          res.destroy(); // the client is gone
        }
      });
  });

  server.on("upgrade", (req, socket: Duplex, head: Uint8Array) => {
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", () => socket.destroy());
    const env = {
      remoteAddr: { hostname: req.socket.remoteAddress },
      upgrade: { socket, head },
    };
    Promise.resolve()
      .then(() => fetch(toRequest(req), env))
      // 101: Deno.upgradeWebSocket answered on the socket itself.
      .then((r) => r.status === 101 ? undefined : writeRawResponse(socket, r))
      .catch(() => socket.destroy());
  });

  const { promise: finished, resolve: stopped } = Promise.withResolvers<void>();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  const a = server.address();
  const addr = typeof a === "object" && a
    ? { hostname: a.address, port: a.port }
    : { hostname: options.hostname, port: options.port };

  const close = () => {
    if (server.listening) server.close();
    server.closeAllConnections();
    for (const s of upgraded) s.destroy();
    // Not the server's "close" event: a socket handed to a WebSocket is
    // never reported closed to node:http, so that event would not come.
    stopped();
    return finished;
  };
  options.signal?.addEventListener("abort", () => close(), { once: true });
  return { addr, finished, close };
}
