/**
 * `deno task test:runtimes`, the delivery service's part: the service
 * started on each server runtime, and the integration flow
 * (service_flow.ts: Welcome routing, ordering, 409, long poll, WebSocket,
 * GroupInfo and external join, removal) run against it from Deno:
 *
 * - Node: `dist/server/node.mjs` (`@hono/node-server`, `@hono/node-ws`);
 * - Bun: `dist/server/bun.mjs` (`Bun.serve`, `hono/bun`);
 * - Deno Deploy's shape: `server/deploy.ts` (`Deno.serve`,
 *   `Deno.openKv()`, the chat bundle prebuilt; started without
 *   `--allow-run`, so it cannot spawn a bundler);
 * - Cloudflare workerd: `server/adapters/workerd.ts`, a module worker
 *   with one Durable Object per group (see that file); then a restart of
 *   workerd on the same storage, which the clients do not notice.
 *
 * - the store-conformance suite (tests/server/store_conformance.ts) on the
 *   Durable Object store, inside workerd (store_worker.ts).
 *
 * Named without `_test` so that `deno task test` does not pick it up.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildServer } from "../../scripts/build_server.ts";
import { bundle } from "../../scripts/bundle.ts";
import { STORE_CASES } from "../server/store_conformance.ts";
import { client } from "../server/helpers.ts";
import { closeAfterFrame, serviceFlow, streamCap } from "./service_flow.ts";
import { freePort } from "./harness.ts";
import { ensureTools } from "./tools.ts";

const dir = await Deno.makeTempDir({ prefix: "webmls-services-" });
let built: Promise<Record<string, string>> | undefined;
const bundles = () => built ??= buildServer(`${dir}/dist`);

/** A service process, once it printed its URL. */
interface Service {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `cmd args` and waits for the `http://…/` line it prints; the
 * rest of its output is drained (and shown if it fails to start).
 */
async function spawnService(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Service> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let url: string | undefined;
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${cmd} exited before listening:\n${out}`);
      out += value;
      url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    }
  } finally {
    clearTimeout(timer);
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

/** Runs the flow against `service`, prints and checks its steps. */
async function flowOn(runtime: string, service: Service): Promise<void> {
  const start = performance.now();
  try {
    const steps = await serviceFlow(service.url);
    // The default cap of streams per client (AppOptions.maxStreamsPerToken).
    await streamCap(service.url, 8);
    steps.push("stream cap");
    console.log(
      `${runtime}: ${steps.join(", ")} — ${
        Math.round(performance.now() - start)
      } ms`,
    );
    assert.equal(steps.length, 9);
  } finally {
    await service.stop();
  }
}

/** Client frames over 64 KiB close the stream (1009: too big). */
async function frameLimit(service: Service): Promise<void> {
  try {
    assert.equal(await closeAfterFrame(service.url, 70_000), 1009);
  } finally {
    await service.stop();
  }
}

Deno.test("services: the delivery service on Node (@hono/node-server)", async () => {
  const { "node.mjs": node } = await bundles();
  await flowOn("Node", await spawnService("node", [node, "--port", "0"]));
  await frameLimit(await spawnService("node", [node, "--port", "0"]));
});

Deno.test("services: the delivery service on Bun (Bun.serve)", async () => {
  const [{ "bun.mjs": bun }, tools] = await Promise.all([
    bundles(),
    ensureTools(),
  ]);
  await flowOn("Bun", await spawnService(tools.bun, [bun, "--port", "0"]));
  await frameLimit(await spawnService(tools.bun, [bun, "--port", "0"]));
});

Deno.test("services: the delivery service in Deno Deploy's shape (Deno.serve, Deno.openKv)", async () => {
  const { "webmls-chat.mjs": chat } = await bundles();
  const deploy = decodeURIComponent(
    new URL("../../server/deploy.ts", import.meta.url).pathname,
  );
  // No --allow-run: it must not spawn a bundler (or anything) to start.
  const service = await spawnService(Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    `--allow-write=${dir}`,
    "--unstable-kv",
    deploy,
  ], {
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    WEBMLS_KV: `${dir}/deploy.kv`,
    WEBMLS_CHAT_BUNDLE: chat,
  });
  // The page and the prebuilt bundle are served.
  const page = await fetch(`${service.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const served = await fetch(`${service.url}/static/webmls.mjs`);
  assert.equal(served.status, 200);
  assert.equal(
    (await served.bytes()).length,
    (await Deno.stat(chat)).size,
  );
  await flowOn("Deno Deploy shape", service);
});

/**
 * workerd serving `worker.mjs` with its three Durable Object classes, their
 * storage on local disk under `root`.
 */
async function startWorkerdService(
  workerd: string,
  worker: string,
  root: string,
  flags: string[] = [],
  port: number = freePort(),
): Promise<Service> {
  await Deno.mkdir(`${root}/do`, { recursive: true });
  await Deno.copyFile(worker, `${root}/worker.mjs`);
  await Deno.writeTextFile(
    `${root}/config.capnp`,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "storage", disk = (path = "${root}/do", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${flags.map((f) => `"${f}"`).join(", ")}],
  durableObjectNamespaces = [
    (className = "GroupObject", uniqueKey = "webmls-groups"),
    (className = "InboxObject", uniqueKey = "webmls-inboxes"),
    (className = "DirectoryObject", uniqueKey = "webmls-directory"),
  ],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [
    (name = "GROUPS", durableObjectNamespace = "GroupObject"),
    (name = "INBOXES", durableObjectNamespace = "InboxObject"),
    (name = "DIRECTORY", durableObjectNamespace = "DirectoryObject"),
  ],
);
`,
  );
  const child = new Deno.Command(workerd, {
    args: ["serve", "config.capnp"],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill("SIGTERM");
    // workerd waits for open connections; do not wait long for it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.status;
    clearTimeout(timer);
  };
  for (let i = 0;; i++) {
    try {
      await (await fetch(`${url}/v1/health`, { method: "HEAD" })).body
        ?.cancel();
      break;
    } catch (e) {
      if (i > 100) {
        await stop();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop };
}

Deno.test("services: the delivery service on workerd (a Durable Object per group)", async () => {
  const [{ "worker.mjs": worker }, tools] = await Promise.all([
    bundles(),
    ensureTools(),
  ]);
  const root = `${dir}/workerd`;
  await flowOn(
    "workerd",
    await startWorkerdService(tools.workerd, worker, root),
  );
});

Deno.test("services: on workerd, the Durable Objects' state survives a restart", async () => {
  const [{ "worker.mjs": worker }, tools] = await Promise.all([
    bundles(),
    ensureTools(),
  ]);
  const root = `${dir}/workerd-restart`;
  const port = freePort();
  const start = () =>
    startWorkerdService(tools.workerd, worker, root, [], port);
  let service = await start();
  try {
    const a = await client(service.url, "a");
    const b = await client(service.url, "b");
    const gid = (await a.client.createGroup()).groupId;
    await a.client.add(gid, [b.client.clientId]);
    await a.client.send(gid, "before the restart");
    await service.stop();
    // Same storage, same port: the clients do not notice.
    service = await start();
    // The directory (tokens), the group object and B's inbox came back.
    const info = await a.client.http.group(gid);
    assert.equal(info.epoch, 1);
    // B has not fetched its Welcome yet: invited, not joined.
    assert.deepEqual(info.members, [a.client.clientId]);
    assert.deepEqual(info.invited, [b.client.clientId]);
    const held = await b.client.http.inbox();
    assert.deepEqual(held.messages.map((m) => m.kind), [
      "welcome",
      "application",
    ]);
    // And the group goes on in order after them.
    await a.client.send(gid, "after the restart");
    await b.client.sync();
    assert.deepEqual(b.texts, ["before the restart", "after the restart"]);
    await a.client.update(gid);
    await b.client.sync();
    assert.equal(
      (await b.client.group(gid))?.epoch,
      (await a.client.group(gid))?.epoch,
    );
  } finally {
    await service.stop();
  }
});

Deno.test("services: the store-conformance suite on the Durable Object store, in workerd", async () => {
  const [worker, tools] = await Promise.all([
    // node:assert, which the suite uses, comes from nodejs_compat.
    bundle({
      entry: "tests/runtimes/store_worker.ts",
      output: `${dir}/store_worker.mjs`,
      platform: "node",
    }),
    ensureTools(),
  ]);
  const service = await startWorkerdService(
    tools.workerd,
    worker,
    `${dir}/store-workerd`,
    ["nodejs_compat"],
  );
  try {
    const results = await (await fetch(`${service.url}/run`)).json() as {
      name: string;
      ok: boolean;
      error?: string;
    }[];
    const failed = results.filter((r) => !r.ok);
    console.log(
      `Durable Object store: ${
        results.length - failed.length
      }/${results.length} cases`,
    );
    assert.deepEqual(
      results.map((r) => r.name),
      Object.keys(STORE_CASES),
    );
    assert.deepEqual(failed, []);
    // A fan-out that fails at first is delivered later by the alarm.
    const retry = await (await fetch(`${service.url}/retry`)).json();
    assert.deepEqual(retry, { accepted: true, before: 0, after: 1 });
  } finally {
    await service.stop();
  }
});

Deno.test("services: cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
