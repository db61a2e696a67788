/**
 * Display names of the directory (rules: `../shared/names.ts`; store:
 * `../store/names.ts`). A name is a label the service vouches for: "this
 * name belongs to this client id", first come, one current name per
 * client. The client id (the signature key) stays the cryptographic truth.
 *
 * - `PUT /v1/names/me` `{ name }`: sets the caller's name (`400
 *   invalid_name`, `409 name_taken`). Only a token's own client: the name
 *   is bound to the registered key that proved itself at registration.
 * - `GET /v1/names/:name`: `{ clientId, name }` of the name's current
 *   owner (exact, after normalization; `404 unknown_name`).
 * - `GET /v1/clients/:clientId/name`: `{ clientId, name }`, a client's
 *   current name (`404 unknown_name`).
 *
 * Reads need a token (and count against its rate limit), and look up one
 * exact name or one 64-hex client id: there is no listing or prefix
 * search, so the directory cannot be walked.
 *
 * @module
 */

import type { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { ApiError } from "../errors.ts";
import { hexParam, readJson } from "../http.ts";
import { checkName } from "../shared/names.ts";

function invalid(reason: string): ApiError {
  return new ApiError(400, "invalid_name", reason);
}

/** Adds the name routes. */
export function nameRoutes(app: Hono<AppEnv>, s: Services): void {
  app.put("/v1/names/me", s.auth, async (c) => {
    const body = await readJson(c.req.raw, 1024) as { name?: unknown };
    const r = checkName(body?.name);
    if (!r.ok) throw invalid(r.reason);
    const id = c.get("clientId");
    const got = await s.opts.names.claim(
      id,
      r.key,
      r.display,
      s.opts.now().getTime(),
      { holdMs: s.opts.nameHoldMs },
    );
    if (got === "taken") {
      throw new ApiError(409, "name_taken", "another client has this name");
    }
    return c.json({ clientId: id, name: r.display });
  });

  app.get("/v1/names/:name", s.auth, async (c) => {
    const r = checkName(c.req.param("name"));
    if (!r.ok) throw invalid(r.reason);
    const e = await s.opts.names.byKey(r.key);
    if (!e) throw new ApiError(404, "unknown_name", "nobody has this name");
    return c.json({ clientId: e.clientId, name: e.display });
  });

  app.get("/v1/clients/:clientId/name", s.auth, async (c) => {
    const id = hexParam(c.req.param("clientId"), "clientId");
    const e = await s.opts.names.nameOf(id);
    if (!e) throw new ApiError(404, "unknown_name", "this client has no name");
    return c.json({ clientId: e.clientId, name: e.display });
  });
}
