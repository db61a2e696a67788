/**
 * A module worker that runs the store-conformance cases
 * (tests/server/store_conformance.ts) against the Durable Object store
 * (server/workers/do_store.ts) inside workerd: `GET /run` runs every case,
 * each on its own fresh objects (a name prefix per case), and answers
 * `[{ name, ok, error? }]`. services.ts bundles and serves it.
 *
 * @module
 */
import { DurableObjectStore } from "../../server/workers/do_store.ts";
import type { WorkerEnv } from "../../server/workers/types.ts";
import { STORE_CASES } from "../server/store_conformance.ts";

export { DirectoryObject } from "../../server/workers/directory_object.ts";
export { GroupObject } from "../../server/workers/group_object.ts";
export { InboxObject } from "../../server/workers/inbox_object.ts";

/** The worker. */
export default {
  /** Runs the cases. */
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    if (new URL(request.url).pathname !== "/run") {
      return new Response("GET /run runs the cases", { status: 404 });
    }
    const run = crypto.randomUUID(); // objects of an earlier run stay apart
    const results = [];
    for (const [name, check] of Object.entries(STORE_CASES)) {
      const store = new DurableObjectStore(env, {
        prefix: `${run}/${name}/`,
      });
      try {
        await check(store);
        results.push({ name, ok: true });
      } catch (e) {
        results.push({
          name,
          ok: false,
          error: e instanceof Error ? e.stack ?? e.message : String(e),
        });
      } finally {
        store.close();
      }
    }
    return Response.json(results);
  },
};
