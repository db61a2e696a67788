/**
 * Inboxes: every message for a client waits in its inbox, in the order the
 * service accepted them, until the client acknowledges it.
 *
 * - `GET /v1/inbox?after=<cursor>&limit=<n>&wait=<seconds>`: messages after
 *   `after` (from the oldest unacknowledged one without it); with `wait`,
 *   a long poll that returns as soon as something arrives.
 * - `POST /v1/inbox/ack` `{ "cursor": "…" }`: deletes everything up to
 *   and including `cursor`.
 * - `GET /v1/inbox/stream?after=<cursor>`: a WebSocket (subprotocols
 *   `webmls.v1` and `webmls.auth.<token>`) pushing each message as JSON;
 *   the client sends `{ "type": "ack", "cursor": "…" }` to delete what it
 *   has processed (the messages this stream sent, up to that cursor).
 *
 * Waiting long polls and open streams count against per-token and total
 * caps (`server/connection_limits.ts`); a long poll ends when its client
 * goes away, a stream when its client stops answering pings.
 *
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { badRequest } from "../errors.ts";
import { cursorParam, intParam, readJson } from "../http.ts";
import { joinedByWelcome } from "../joined.ts";
import { toBase64 } from "../shared/base64.ts";
import { type ServerSocket, SOCKET_OPEN } from "../socket.ts";
import {
  STREAM_AUTH_PREFIX,
  STREAM_PROTOCOL,
  type WireInboxMessage,
} from "../shared/wire.ts";
import type { InboxMessage, InboxSubscription } from "../store/store.ts";

/** An inbox message as JSON. */
export function wireMessage(m: InboxMessage): WireInboxMessage {
  return {
    cursor: m.cursor,
    groupId: m.groupId,
    kind: m.kind,
    epoch: m.epoch,
    seq: m.seq,
    message: toBase64(m.bytes),
  };
}

/**
 * Stream frames by message: a store that hands every reader of a group the
 * same message object (fan-out on read) has it encoded once, not once per
 * member (a cursor names the entry, not the reader).
 */
const frames = new WeakMap<InboxMessage, string>();

/** The stream frame of `m`. */
export function frame(m: InboxMessage): string {
  let f = frames.get(m);
  if (f === undefined) {
    f = JSON.stringify(wireMessage(m));
    frames.set(m, f);
  }
  return f;
}

/** Adds the inbox routes. */
export function inboxRoutes(app: Hono<AppEnv>, s: Services): void {
  app.get("/v1/inbox", s.auth, async (c) => {
    const me = c.get("clientId");
    const after = cursorParam(c.req.query("after"));
    const limit = intParam(c.req.query("limit"), 100, 1, 1000);
    const wait = intParam(c.req.query("wait"), 0, 0, s.opts.maxWaitSeconds);
    let msgs = await s.store.fetchInbox(me, after, limit);
    if (msgs.length === 0 && wait > 0) {
      // The signal aborts when the client goes away (Deno.serve warns once
      // that it also aborts after a response; the listener is gone by then).
      msgs = await longPoll(s, me, after, limit, wait, c.req.raw.signal);
    }
    await joinedByWelcome(s.store, me, msgs);
    return c.json({
      messages: msgs.map(wireMessage),
      cursor: msgs.length > 0 ? msgs[msgs.length - 1].cursor : after ?? null,
    });
  });

  app.post("/v1/inbox/ack", s.auth, async (c) => {
    const body = await readJson(c.req.raw) as { cursor?: unknown };
    if (typeof body?.cursor !== "string") {
      throw badRequest("bad_request", "expected { cursor }");
    }
    const cursor = cursorParam(body.cursor);
    const acked = cursor ? await s.store.ack(c.get("clientId"), cursor) : 0;
    return c.json({ acked });
  });

  app.get("/v1/inbox/stream", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw badRequest("bad_request", "a WebSocket upgrade is required");
    }
    const offered = (c.req.header("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim());
    const auth = offered.find((p) => p.startsWith(STREAM_AUTH_PREFIX));
    const me = await s.authenticate(
      auth ? auth.slice(STREAM_AUTH_PREFIX.length) : null,
    );
    // The stream's subprotocol must be offered: it is the one answered.
    // (Without it, some runtimes' servers echo the first protocol offered,
    // which would be the one carrying the token.)
    if (!offered.includes(STREAM_PROTOCOL)) {
      throw badRequest(
        "bad_request",
        `offer the ${STREAM_PROTOCOL} subprotocol`,
      );
    }
    const after = cursorParam(c.req.query("after"));
    const protocol = STREAM_PROTOCOL;
    if (s.store.openStream) {
      // The store holds the socket (a Durable Object), and caps it.
      return await s.store.openStream(me, after, {
        protocol,
        pingMs: s.opts.streamPingMs,
        maxStreams: s.opts.maxStreamsPerToken,
      });
    }
    const release = s.streams.acquire(me); // 429 or 503 before upgrading
    const sent: string[] = []; // cursors sent and not yet acknowledged
    const gone = new AbortController();
    try {
      return await s.opts.webSocket(c, {
        protocol,
        idleTimeout: Math.max(1, Math.ceil(s.opts.streamIdleTimeoutMs / 1000)),
      }, {
        onOpen: (socket) => {
          // It ends when the socket closes, or the store does (1001).
          pump(s, me, after, socket, sent, gone.signal).then(
            () => socket.close(1001, "going away"),
            () => socket.close(1011),
          );
        },
        onMessage: (data, socket) => {
          try {
            const m = JSON.parse(data) as { type?: string; cursor?: string };
            const cursor = m.type === "ack" ? cursorParam(m.cursor) : undefined;
            if (!cursor) return;
            let n = 0;
            while (n < sent.length && sent[n] <= cursor) n++;
            const done = sent.splice(0, n);
            if (done.length > 0) s.store.forget(me, done).catch(() => {});
          } catch {
            socket.close(1003, "bad frame");
          }
        },
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

/**
 * Waits up to `wait` seconds for messages after `after`, holding a slot of
 * the stream caps; gives up early when the client goes away.
 */
async function longPoll(
  s: Services,
  me: string,
  after: string | undefined,
  limit: number,
  wait: number,
  gone: AbortSignal,
): Promise<InboxMessage[]> {
  const release = s.streams.acquire(me);
  let sub: InboxSubscription | undefined;
  const stop = () => sub?.close(); // wakes the wait below with `false`
  gone.addEventListener("abort", stop);
  try {
    sub = await s.store.subscribe(me);
    const deadline = Date.now() + wait * 1000;
    // Re-check after subscribing: nothing that arrived meanwhile is missed.
    let msgs = await s.store.fetchInbox(me, after, limit);
    while (msgs.length === 0 && Date.now() < deadline && !gone.aborted) {
      if (!(await sub.changed(deadline - Date.now()))) break;
      msgs = await s.store.fetchInbox(me, after, limit, true);
    }
    return msgs;
  } finally {
    gone.removeEventListener("abort", stop);
    sub?.close();
    release();
  }
}

/** Buffered bytes above which a stream waits for its client to read. */
const HIGH_WATER = 1 << 20;

/** Resolves once `socket` has sent most of what it buffered, or closed. */
async function drained(socket: ServerSocket): Promise<void> {
  while (
    socket.readyState === SOCKET_OPEN && socket.bufferedAmount > HIGH_WATER
  ) {
    // No drain event on WebSocket: look again shortly. A client that
    // stops reading stops answering pings too, and is closed for it.
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends inbox messages as they arrive, until the socket closes. */
async function pump(
  s: Services,
  me: string,
  after: string | undefined,
  socket: ServerSocket,
  sent: string[],
  gone: AbortSignal,
): Promise<void> {
  const sub = await s.store.subscribe(me);
  if (gone.aborted) sub.close();
  gone.addEventListener("abort", () => sub.close());
  let cursor = after;
  let woken = false; // the first round, and those after a ping, look for all
  try {
    while (socket.readyState === SOCKET_OPEN) {
      await drained(socket);
      const msgs = await s.store.fetchInbox(me, cursor, 100, woken);
      await joinedByWelcome(s.store, me, msgs);
      for (const m of msgs) {
        if (socket.readyState !== SOCKET_OPEN) return;
        socket.send(frame(m));
        sent.push(m.cursor);
        cursor = m.cursor;
      }
      if (msgs.length === 100) continue;
      woken = await sub.changed(s.opts.streamPingMs);
      // The store is closing: end the stream (and do not spin on a
      // subscription that answers at once).
      if (sub.closed) break;
      if (!woken && socket.readyState === SOCKET_OPEN) {
        socket.send(JSON.stringify({ type: "ping" }));
      }
    }
  } finally {
    sub.close();
  }
}
