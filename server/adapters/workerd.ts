/**
 * The delivery service as a Cloudflare Workers module worker (run
 * locally under workerd): the Hono app over a store of Durable Objects
 * (`server/workers/`): one object per group holds its order, GroupInfo
 * and fan-out; one per client holds its inbox and wakes its long polls
 * and streams; one directory holds clients and key packages. WebSockets
 * are `WebSocketPair`s accepted by the worker, woken by the inbox object.
 *
 * `deno task build:server` bundles it to `dist/server/worker.mjs`; the
 * README's deploy guide gives the bindings (`GROUPS`, `INBOXES`,
 * `DIRECTORY`) and the classes to export. The app is made at the first
 * request: workerd refuses random numbers and timers at global scope.
 *
 * @module
 */

import type { Hono } from "hono";
import { createApp } from "../app.ts";
import type { AppEnv } from "../context.ts";
import { DirectoryObject } from "../workers/directory_object.ts";
import { DurableObjectStore } from "../workers/do_store.ts";
import { GroupObject } from "../workers/group_object.ts";
import { InboxObject } from "../workers/inbox_object.ts";
import { workerdWebSocket } from "../workers/socket.ts";
import type { WorkerEnv } from "../workers/types.ts";

export { DirectoryObject, GroupObject, InboxObject };

let app: Hono<AppEnv> | undefined;

/** The worker. */
export default {
  /** Serves a request. */
  fetch(request: Request, env: WorkerEnv): Response | Promise<Response> {
    app ??= createApp(new DurableObjectStore(env), {
      webSocket: workerdWebSocket,
      ...env.WEBMLS_ORIGIN ? { origin: env.WEBMLS_ORIGIN } : {},
    });
    // The anonymous rate limit keys on the client's address.
    const ip = request.headers.get("cf-connecting-ip") ?? undefined;
    return app.fetch(request, { remoteAddr: { hostname: ip } });
  },
};
