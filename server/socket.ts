/**
 * The runtime-neutral WebSocket seam of the app. Each runtime upgrades a
 * request its own way (`Deno.upgradeWebSocket`, `Bun.serve`'s `upgrade`,
 * the `ws` package under Node, a `WebSocketPair` on workerd); the routes
 * see only a {@link ServerSocket} and three callbacks. The entry point of
 * each runtime passes its {@link WebSocketUpgrader} in
 * `AppOptions.webSocket` (`server/adapters/`).
 *
 * @module
 */

import type { Ctx } from "./context.ts";

/** `WebSocket.OPEN`, spelled out: not every runtime has the global. */
export const SOCKET_OPEN = 1;

/**
 * Largest frame a client may send, bytes, where the runtime's server lets
 * the entry point say (Node's `ws`, Bun): clients send acknowledgements
 * of about 100 bytes.
 */
export const MAX_CLIENT_FRAME = 64 * 1024;

/** The server's side of an upgraded WebSocket, as the routes use it. */
export interface ServerSocket {
  /** 1 while open (the `WebSocket.readyState` values). */
  readonly readyState: number;
  /** Bytes queued and not yet sent (0 where the runtime does not say). */
  readonly bufferedAmount: number;
  /** Sends a text frame. */
  send(data: string): void;
  /** Closes the socket. */
  close(code?: number, reason?: string): void;
}

/** What a route does with its socket. */
export interface SocketHandlers {
  /** The socket is open and may send. */
  onOpen(socket: ServerSocket): void;
  /** A text frame arrived (binary frames arrive decoded as UTF-8). */
  onMessage(data: string, socket: ServerSocket): void;
  /** The socket closed (called once). */
  onClose(): void;
}

/** Options of an upgrade. */
export interface UpgradeOptions {
  /** The subprotocol to answer with, if any. */
  protocol?: string;
  /** Seconds without a pong after which the runtime closes the socket. */
  idleTimeout: number;
}

/**
 * Upgrades the request of `c` to a WebSocket; resolves to the response the
 * handler returns (a 101, or what the runtime's server expects instead).
 * It throws before upgrading when the runtime refuses the request.
 */
export type WebSocketUpgrader = (
  c: Ctx,
  options: UpgradeOptions,
  handlers: SocketHandlers,
) => Promise<Response>;
