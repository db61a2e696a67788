/**
 * The delivery service as a Hono app: key-package directory, ordered
 * fan-out of MLS messages to inboxes, GroupInfo publication for external
 * joins, and (optionally) the chat page. It sees ciphertext and routing
 * metadata only. See `server/README.md` for the protocol.
 *
 * @example Serve it on a loopback port with an in-memory store
 * ```ts ignore
 * import { createApp } from "./server/app.ts";
 * import { MemoryStore } from "./server/store/memory.ts";
 * const app = createApp(new MemoryStore());
 * Deno.serve({ hostname: "127.0.0.1", port: 8080 }, app.fetch);
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { type AppEnv, Services } from "./context.ts";
import { ApiError } from "./errors.ts";
import { bodyDeadline } from "./http.ts";
import { type AppOptions, resolveOptions } from "./options.ts";
import { clientRoutes } from "./routes/clients.ts";
import { exportRoutes } from "./exports/routes.ts";
import { groupRoutes } from "./routes/groups.ts";
import { inboxRoutes } from "./routes/inbox.ts";
import { nameRoutes } from "./routes/names.ts";
import { staticRoutes } from "./routes/static.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import type { DeliveryStore } from "./store/store.ts";

export type { AppOptions } from "./options.ts";

/** Builds the app over `store`. */
export function createApp(
  store: DeliveryStore,
  options: AppOptions = {},
): Hono<AppEnv> {
  const s = new Services(store, resolveOptions(options));
  const app = new Hono<AppEnv>();
  app.use(bodyDeadline(s.opts.bodyTimeoutMs));
  app.get("/v1/health", (c) => c.json({ ok: true }));
  if (s.opts.exports) {
    exportRoutes(app, s, s.opts.exports, s.opts.exportReplayWindowSeconds);
  }
  if (s.opts.delivery) {
    clientRoutes(app, s);
    groupRoutes(app, s);
    inboxRoutes(app, s);
    nameRoutes(app, s);
    staticRoutes(app, s);
    tokenRoutes(app, s);
  }
  app.notFound((c) =>
    c.json(new ApiError(404, "not_found", "no such route").toJSON(), 404)
  );
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      const headers: Record<string, string> = {};
      if (err.extra.retryAfter !== undefined) {
        headers["retry-after"] = String(err.extra.retryAfter);
      }
      // The rest of a late body may never come: do not wait for it.
      if (err.code === "body_timeout") headers["connection"] = "close";
      // deno-lint-ignore no-explicit-any
      return c.json(err.toJSON(), err.status as any, headers);
    }
    console.error("internal error:", err);
    return c.json(
      new ApiError(500, "internal_error", "internal error").toJSON(),
      500,
    );
  });
  return app;
}
