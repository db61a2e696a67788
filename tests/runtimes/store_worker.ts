/**
 * A module worker that runs the store-conformance cases
 * (tests/server/store_conformance.ts) against the Durable Object store
 * (server/workers/do_store.ts) inside workerd: `GET /run` runs every case,
 * each on its own fresh objects (a name prefix per case), and answers
 * `[{ name, ok, error? }]`; `GET /retry` checks that a fan-out that fails
 * is retried by the group object's alarm. services.ts bundles and serves
 * it.
 *
 * @module
 */
import { DurableObjectStore } from "../../server/workers/do_store.ts";
import { GroupObject as RealGroupObject } from "../../server/workers/group_object.ts";
import type {
  DurableNamespace,
  DurableState,
  WorkerEnv,
} from "../../server/workers/types.ts";
import { STORE_CASES } from "../server/store_conformance.ts";

export { DirectoryObject } from "../../server/workers/directory_object.ts";
export { InboxObject } from "../../server/workers/inbox_object.ts";

/** Failed deliveries so far, by inbox name (this isolate). */
const failures = new Map<string, number>();

/**
 * `ns` whose inboxes named `…flaky-…` refuse their first three deliveries
 * (as an inbox object that does not answer would).
 */
function flaky(ns: DurableNamespace): DurableNamespace {
  const names = new WeakMap<object, string>();
  return {
    idFromName(name) {
      const id = ns.idFromName(name);
      names.set(id as object, name);
      return id;
    },
    get(id) {
      const stub = ns.get(id);
      const name = names.get(id as object) ?? "";
      return {
        fetch(url, init) {
          const n = failures.get(name) ?? 0;
          if (name.includes("flaky-") && url.endsWith("/deliver") && n < 3) {
            failures.set(name, n + 1);
            return Promise.reject(new Error("inbox unavailable"));
          }
          return stub.fetch(url, init);
        },
      };
    },
  };
}

/** The group object, over inboxes of which some fail at first. */
export class GroupObject extends RealGroupObject {
  /** As the real one, with {@link flaky} inboxes. */
  constructor(state: DurableState, env: WorkerEnv) {
    super(state, { ...env, INBOXES: flaky(env.INBOXES) });
  }
}

/**
 * A commit whose Welcome cannot be delivered at once: `accept` still
 * answers (the message is in), and the group object's alarm delivers it
 * later, without another call to that object.
 */
async function retried(env: WorkerEnv, run: string): Promise<Response> {
  const store = new DurableObjectStore(env, { prefix: `${run}/retry/` });
  const a = "a1".repeat(16);
  const b = "flaky-b";
  const g = "0f".repeat(16);
  await store.createGroup({
    groupId: g,
    epoch: 0,
    members: [a],
    groupInfo: new Uint8Array([0]),
    externalJoins: false,
    joined: [a],
  });
  const r = await store.accept({
    groupId: g,
    poster: a,
    kind: "commit",
    epoch: 0,
    message: new Uint8Array([1]),
    nextMembers: [a, b],
    welcome: { bytes: new Uint8Array([2]), recipients: [b] },
  });
  const before = (await store.fetchInbox(b, undefined, 10)).length;
  let after = 0;
  for (let i = 0; i < 50 && after === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = (await store.fetchInbox(b, undefined, 10)).length;
  }
  store.close();
  return Response.json({ accepted: r.ok, before, after });
}

/** The worker. */
export default {
  /** Runs the cases. */
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    const run = crypto.randomUUID(); // objects of an earlier run stay apart
    const path = new URL(request.url).pathname;
    if (path === "/retry") return retried(env, run);
    if (path !== "/run") {
      return new Response("GET /run or /retry", { status: 404 });
    }
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
