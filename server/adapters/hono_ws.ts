/**
 * A {@link WebSocketUpgrader} over one of Hono's per-runtime WebSocket
 * helpers (`hono/bun`, `@hono/node-ws`): they
 * share one shape, `upgradeWebSocket(c, events)`, and hand each event a
 * `WSContext` whose `raw` is the runtime's socket.
 *
 * @module
 */

import type { UpgradeWebSocket, WSContext } from "hono/ws";
import type { Ctx } from "../context.ts";
import type {
  ServerSocket,
  SocketHandlers,
  UpgradeOptions,
  WebSocketUpgrader,
} from "../socket.ts";

/** The runtime socket's fields that `WSContext` does not pass on. */
interface RawSocket {
  readyState?: number;
  bufferedAmount?: number;
  /** Bun's `ServerWebSocket`. */
  getBufferedAmount?: () => number;
}

/**
 * A live view of a `WSContext`: Bun's context copies `readyState` when it
 * is made, so the state and the buffer are read from the raw socket.
 */
function view(ws: WSContext): ServerSocket {
  const raw = ws.raw as RawSocket | undefined;
  return {
    get readyState() {
      return raw?.readyState ?? ws.readyState;
    },
    get bufferedAmount() {
      return raw?.getBufferedAmount?.() ?? raw?.bufferedAmount ?? 0;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
}

/**
 * Wraps a Hono WebSocket helper. The subprotocol and idle timeout are the
 * runtime server's to set (`Bun.serve`'s `websocket.idleTimeout`; the `ws`
 * package answers with the first protocol offered, which the client sends
 * first), so `options` is not passed on.
 */
export function honoWebSocket(
  upgrade: UpgradeWebSocket,
): WebSocketUpgrader {
  return async (
    c: Ctx,
    _options: UpgradeOptions,
    handlers: SocketHandlers,
  ): Promise<Response> => {
    let socket: ServerSocket | undefined;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      handlers.onClose();
    };
    const response = await upgrade(c, {
      onOpen: (_e, ws) => handlers.onOpen(socket ??= view(ws)),
      onMessage: (e, ws) =>
        handlers.onMessage(
          typeof e.data === "string" ? e.data : "",
          socket ??= view(ws),
        ),
      onClose: close,
      onError: close,
    });
    return response;
  };
}
