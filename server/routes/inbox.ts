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
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { badRequest } from "../errors.ts";
import { cursorParam, intParam, readJson } from "../http.ts";
import { joinedByWelcome } from "../joined.ts";
import { toBase64 } from "../shared/base64.ts";
import {
  STREAM_AUTH_PREFIX,
  STREAM_PROTOCOL,
  type WireInboxMessage,
} from "../shared/wire.ts";
import type { InboxMessage } from "../store/store.ts";

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

/** Adds the inbox routes. */
export function inboxRoutes(app: Hono<AppEnv>, s: Services): void {
  app.get("/v1/inbox", s.auth, async (c) => {
    const me = c.get("clientId");
    const after = cursorParam(c.req.query("after"));
    const limit = intParam(c.req.query("limit"), 100, 1, 1000);
    const wait = intParam(c.req.query("wait"), 0, 0, s.opts.maxWaitSeconds);
    let msgs = await s.store.fetchInbox(me, after, limit);
    if (msgs.length === 0 && wait > 0) {
      const sub = await s.store.subscribe(me);
      try {
        const deadline = Date.now() + wait * 1000;
        // Re-check after subscribing: nothing that arrived meanwhile is missed.
        msgs = await s.store.fetchInbox(me, after, limit);
        while (msgs.length === 0 && Date.now() < deadline) {
          if (!(await sub.changed(deadline - Date.now()))) break;
          msgs = await s.store.fetchInbox(me, after, limit);
        }
      } finally {
        sub.close();
      }
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
    const after = cursorParam(c.req.query("after"));
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw, {
      protocol: offered.includes(STREAM_PROTOCOL) ? STREAM_PROTOCOL : undefined,
      idleTimeout: 60,
    });
    const sent: string[] = []; // cursors sent and not yet acknowledged
    socket.onopen = () => {
      pump(s, me, after, socket, sent).catch(() => socket.close(1011));
    };
    socket.onmessage = (e) => {
      try {
        const m = JSON.parse(String(e.data)) as {
          type?: string;
          cursor?: string;
        };
        const cursor = m.type === "ack" ? cursorParam(m.cursor) : undefined;
        if (!cursor) return;
        let n = 0;
        while (n < sent.length && sent[n] <= cursor) n++;
        const done = sent.splice(0, n);
        if (done.length > 0) s.store.forget(me, done).catch(() => {});
      } catch {
        socket.close(1003, "bad frame");
      }
    };
    return response;
  });
}

/** Sends inbox messages as they arrive, until the socket closes. */
async function pump(
  s: Services,
  me: string,
  after: string | undefined,
  socket: WebSocket,
  sent: string[],
): Promise<void> {
  const sub = await s.store.subscribe(me);
  socket.addEventListener("close", () => sub.close());
  let cursor = after;
  try {
    while (socket.readyState === WebSocket.OPEN) {
      const msgs = await s.store.fetchInbox(me, cursor, 100);
      await joinedByWelcome(s.store, me, msgs);
      for (const m of msgs) {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify(wireMessage(m)));
        sent.push(m.cursor);
        cursor = m.cursor;
      }
      if (msgs.length === 100) continue;
      if (
        !(await sub.changed(25_000)) && socket.readyState === WebSocket.OPEN
      ) {
        socket.send(JSON.stringify({ type: "ping" }));
      }
    }
  } finally {
    sub.close();
  }
}
