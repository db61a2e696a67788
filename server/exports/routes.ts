/**
 * The key export service's routes (mounted when `AppOptions.exports` is a
 * store): members post sealed exports, consumers fetch theirs by long
 * poll. The service sees HPKE ciphertexts only. Protocol:
 * `shared/export_wire.ts`; rules: `accept.ts`, `fetch_auth.ts`.
 *
 * - `POST /v1/groups/:groupId/exports` (bearer token, body
 *   `SealedExports`): `{ epoch, accepted, stored }`.
 * - `GET /v1/groups/:groupId/exports/:consumerHex?from=E&wait=S` (signed
 *   headers): `WireExports`, waiting up to `S` seconds (at most
 *   `maxWaitSeconds`) while there is none.
 * - `GET /v1/groups/:groupId/exports/:consumerHex/stream?from=E&time=…&nonce=…&signature=…`:
 *   a WebSocket (`stream.ts`) that sends `WireExports` frames as they come.
 *
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Ctx, Services } from "../context.ts";
import { hexParam, intParam, readBody } from "../http.ts";
import {
  EXPORT_NONCE_HEADER,
  EXPORT_SIGNATURE_HEADER,
  EXPORT_TIME_HEADER,
} from "../shared/export_wire.ts";
import { acceptExports, parseSealedExports } from "./accept.ts";
import { authenticateFetch } from "./fetch_auth.ts";
import type { ExportStore } from "./store.ts";
import { exportStreamRoute } from "./stream.ts";
import { POLL_MS, stateOf, wire } from "./wire_out.ts";

/** Exports one fetch returns at most. */
const PAGE = 100;

/** Adds the key export routes over `exports`. */
export function exportRoutes(
  app: Hono<AppEnv>,
  s: Services,
  exports: ExportStore,
  replayWindowSeconds: number,
): void {
  app.post("/v1/groups/:groupId/exports", s.auth, async (c) => {
    const gid = hexParam(c.req.param("groupId"), "groupId");
    const posted = parseSealedExports(
      await readBody(c.req.raw, s.opts.maxMessageBytes),
    );
    const state = await stateOf(s, gid);
    const ok = acceptExports(
      state,
      gid,
      posted,
      c.get("clientId"),
      s.opts.now(),
    );
    const stored = await exports.putExports(gid, ok.consumers, ok.exports);
    return c.json({
      epoch: state.epoch,
      accepted: ok.exports.length,
      stored,
    });
  });

  app.get("/v1/groups/:groupId/exports/:consumer", async (c: Ctx) => {
    s.limitAnonymous(c);
    const gid = hexParam(c.req.param("groupId"), "groupId");
    const consumerId = hexParam(c.req.param("consumer"), "consumer");
    const from = intParam(c.req.query("from"), 0, 0, Number.MAX_SAFE_INTEGER);
    const wait = intParam(c.req.query("wait"), 0, 0, s.opts.maxWaitSeconds);
    const state = await stateOf(s, gid);
    await authenticateFetch(
      exports,
      state,
      {
        origin: s.opts.origin ?? new URL(c.req.url).origin,
        groupId: gid,
        consumerId,
        from,
        time: c.req.header(EXPORT_TIME_HEADER),
        nonce: c.req.header(EXPORT_NONCE_HEADER),
        signature: c.req.header(EXPORT_SIGNATURE_HEADER),
      },
      s.opts.now().getTime(),
      replayWindowSeconds * 1000,
    );
    const deadline = Date.now() + wait * 1000;
    const release = wait > 0
      ? s.streams.acquire(`export:${gid}/${consumerId}`)
      : undefined;
    try {
      for (;;) {
        const list = await exports.listExports(gid, consumerId, from, PAGE);
        const left = deadline - Date.now();
        if (list.length > 0 || left <= 0) {
          return c.json(wire(list, from));
        }
        await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
      }
    } finally {
      release?.();
    }
  });

  exportStreamRoute(app, s, exports, replayWindowSeconds);
}
