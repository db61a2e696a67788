/**
 * A consumer's exports over a WebSocket:
 * `GET /v1/groups/:groupId/exports/:consumerHex/stream?from=E&time=…&nonce=…&signature=…`.
 * The request is authenticated as a fetch (`fetch_auth.ts`: the same
 * signed content, time window and single-use nonce), its three values in
 * the query because WebSocket clients cannot set headers. The service then
 * sends `{ "type": "exports", exports, next }` frames as exports of epochs
 * `from` on are stored (woken by `ExportStore.subscribe`), and
 * `{ "type": "ping" }` when quiet. The stream is
 * one of the consumer's streams (`maxStreamsPerToken`).
 *
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { badRequest } from "../errors.ts";
import { hexParam, intParam } from "../http.ts";
import { type ServerSocket, SOCKET_OPEN } from "../socket.ts";
import { authenticateFetch } from "./fetch_auth.ts";
import type { ExportStore } from "./store.ts";
import { page, stateOf, wire } from "./wire_out.ts";

/** Sends exports from `from` on until the socket closes. */
async function pump(
  s: Services,
  exports: ExportStore,
  where: { groupId: string; consumerId: string; perEpoch: number },
  from: number,
  socket: ServerSocket,
  gone: AbortSignal,
): Promise<void> {
  const { groupId, consumerId, perEpoch } = where;
  // Subscribed before the first listing: nothing stored in between is missed.
  const sub = await exports.subscribe(groupId, consumerId);
  gone.addEventListener("abort", () => sub.close());
  let next = from;
  let quietSince = Date.now();
  try {
    while (socket.readyState === SOCKET_OPEN && !gone.aborted) {
      const list = await page(exports, groupId, consumerId, next, perEpoch);
      if (socket.readyState !== SOCKET_OPEN) return;
      if (list.length > 0) {
        const w = wire(list, next);
        socket.send(JSON.stringify({ type: "exports", ...w }));
        next = w.next;
        quietSince = Date.now();
        continue; // a full page may have more behind it
      }
      const quiet = Date.now() - quietSince;
      if (quiet >= s.opts.streamPingMs) {
        socket.send(JSON.stringify({ type: "ping" }));
        quietSince = Date.now();
        continue;
      }
      await sub.changed(
        Math.min(s.opts.exportRecheckMs, s.opts.streamPingMs - quiet),
      );
    }
  } finally {
    sub.close();
  }
}

/** Adds the stream route. */
export function exportStreamRoute(
  app: Hono<AppEnv>,
  s: Services,
  exports: ExportStore,
  replayWindowSeconds: number,
  perEpoch: number,
): void {
  app.get("/v1/groups/:groupId/exports/:consumer/stream", async (c) => {
    s.limitAnonymous(c);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw badRequest("bad_request", "a WebSocket upgrade is required");
    }
    const gid = hexParam(c.req.param("groupId"), "groupId");
    const consumerId = hexParam(c.req.param("consumer"), "consumer");
    const from = intParam(c.req.query("from"), 0, 0, Number.MAX_SAFE_INTEGER);
    const state = await stateOf(s, gid);
    await authenticateFetch(
      exports,
      state,
      {
        origin: s.opts.origin ?? new URL(c.req.url).origin,
        groupId: gid,
        consumerId,
        from,
        time: c.req.query("time"),
        nonce: c.req.query("nonce"),
        signature: c.req.query("signature"),
      },
      s.opts.now().getTime(),
      replayWindowSeconds * 1000,
    );
    const release = s.streams.acquire(`export:${gid}/${consumerId}`);
    const gone = new AbortController();
    const where = { groupId: gid, consumerId, perEpoch };
    try {
      return await s.opts.webSocket(c, {
        idleTimeout: Math.max(1, Math.ceil(s.opts.streamIdleTimeoutMs / 1000)),
      }, {
        onOpen: (socket) => {
          pump(s, exports, where, from, socket, gone.signal).catch(() =>
            socket.close(1011)
          );
        },
        onMessage: () => {},
        onClose: () => {
          gone.abort();
          release();
        },
      });
    } catch (e) {
      release();
      throw e;
    }
  });
}
