/**
 * WebSocket upgrades on Deno, under `Deno.serve` (the request carries the
 * connection) and under the entry point's `node:http` server
 * (`server/serve.ts` passes the raw socket of its `upgrade` event in the
 * handler's bindings, which `hono/deno`'s helper cannot take: so this
 * calls `Deno.upgradeWebSocket` itself).
 *
 * @module
 */

import type { Ctx } from "../context.ts";
import type {
  ServerSocket,
  SocketHandlers,
  UpgradeOptions,
  WebSocketUpgrader,
} from "../socket.ts";

/** Upgrades with `Deno.upgradeWebSocket`: the default of `createApp`. */
export const denoWebSocket: WebSocketUpgrader = (
  c: Ctx,
  options: UpgradeOptions,
  handlers: SocketHandlers,
): Promise<Response> => {
  const up = c.env?.upgrade;
  const { socket, response } = Deno.upgradeWebSocket(
    c.req.raw,
    up
      ? {
        ...options,
        socket: up.socket as Deno.UpgradeWebSocketOptions["socket"],
        head: up.head,
      }
      : options,
  );
  // A WebSocket is a ServerSocket already.
  const s: ServerSocket = socket;
  socket.addEventListener("close", () => handlers.onClose(), { once: true });
  socket.onopen = () => handlers.onOpen(s);
  socket.onmessage = (e) =>
    handlers.onMessage(
      typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data),
      s,
    );
  return Promise.resolve(response);
};
