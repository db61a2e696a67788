/**
 * WebSocket upgrades of the app, under `Deno.serve` (the request carries
 * the connection) and under the entry point's `node:http` server
 * (`server/serve.ts` passes the raw socket of its `upgrade` event in the
 * handler's bindings).
 *
 * @module
 */

import type { Ctx } from "./context.ts";

/** Upgrades the request of `c` to a WebSocket. */
export function upgradeWebSocket(
  c: Ctx,
  options: { protocol?: string; idleTimeout: number },
): Deno.WebSocketUpgrade {
  const up = c.env?.upgrade;
  return Deno.upgradeWebSocket(
    c.req.raw,
    up
      ? {
        ...options,
        socket: up.socket as Deno.UpgradeWebSocketOptions["socket"],
        head: up.head,
      }
      : options,
  );
}
