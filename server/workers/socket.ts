/**
 * WebSocket upgrades on Cloudflare Workers (and workerd): a
 * `WebSocketPair` whose server end the worker accepts and hands to the
 * route, the client end going back in the 101 response. The idle timeout
 * is the platform's; the subprotocol is answered in the response header.
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
import { webSocketPair } from "./types.ts";

/** Upgrades with a `WebSocketPair`. */
export const workerdWebSocket: WebSocketUpgrader = (
  _c: Ctx,
  options: UpgradeOptions,
  handlers: SocketHandlers,
): Promise<Response> => {
  const [client, server] = webSocketPair();
  server.accept();
  const socket: ServerSocket = {
    get readyState() {
      return server.readyState;
    },
    bufferedAmount: 0, // not exposed on Workers
    send: (data) => server.send(data),
    close: (code, reason) => server.close(code, reason),
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    handlers.onClose();
  };
  server.addEventListener("close", close);
  server.addEventListener("error", close);
  server.addEventListener(
    "message",
    (e) => handlers.onMessage(typeof e.data === "string" ? e.data : "", socket),
  );
  handlers.onOpen(socket);
  return Promise.resolve(
    new Response(null, {
      status: 101,
      headers: options.protocol
        ? { "sec-websocket-protocol": options.protocol }
        : {},
      webSocket: client,
    } as ResponseInit),
  );
};
