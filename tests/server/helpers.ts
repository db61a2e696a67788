/**
 * Test helpers: the real server on a loopback port, clients bound to it.
 *
 * @module
 */

import { createApp } from "../../server/app.ts";
import type { AppOptions } from "../../server/options.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore } from "../../server/store/store.ts";
import {
  DeliveryClient,
  type DeliveryEvent,
  type DeliveryHttp,
  type Proof,
  type RegisterOptions,
} from "../../delivery.ts";
import { prove } from "../../server/client/proof.ts";
import {
  type CredentialInfo,
  type Identity,
  MLS,
  type MLSOptions,
} from "../../mod.ts";

/** A running server. */
export interface Running {
  url: string;
  store: DeliveryStore;
  close(): Promise<void>;
}

/** Starts the app on 127.0.0.1, port 0. */
export async function startServer(
  store: DeliveryStore = new MemoryStore(),
  options: AppOptions = {},
): Promise<Running> {
  const app = createApp(store, { rateLimit: false, ...options });
  const ac = new AbortController();
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: ({ port }) => resolve(port),
  }, app.fetch);
  const port = await promise;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    close: async () => {
      ac.abort();
      await server.finished;
      await store.close();
    },
  };
}

/** A registered client that records its events. */
export interface TestClient {
  client: DeliveryClient;
  events: DeliveryEvent[];
  /** Application texts received, in order. */
  texts: string[];
}

/**
 * Registers a client named `name` with a fresh in-memory MLS instance
 * (made with `options.mls`, e.g. a group config).
 */
export async function client(
  url: string,
  name: string,
  options: RegisterOptions & { mls?: MLSOptions } = {},
): Promise<TestClient> {
  const events: DeliveryEvent[] = [];
  const texts: string[] = [];
  const { mls, ...register } = options;
  const c = await DeliveryClient.register(url, new MLS(mls), {
    ...register,
    name,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "received" && e.received.type === "application") {
        texts.push(e.received.text());
      }
    },
  });
  return { client: c, events, texts };
}

/** The exporter secret of a client's view of a group, hex. */
export async function exporter(
  c: TestClient,
  groupId: string,
): Promise<string> {
  const g = await c.client.group(groupId);
  const s = await g!.exportSecret("test", "ctx", 32);
  return Array.from(s, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Starts `server/main.ts` in another process; resolves with its URL. */
export async function spawnServer(
  args: string[],
  denoFlags: readonly string[] = [],
): Promise<
  { url: string; pid: number; stop(): Promise<void>; kill(): Promise<void> }
> {
  const main = decodeURIComponent(
    new URL("../../server/main.ts", import.meta.url).pathname,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--unstable-kv",
      ...denoFlags,
      main,
      "--port",
      "0",
      "--no-page",
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += value;
    url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
  }
  // Keep draining stdout so the child never blocks.
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    url,
    pid: child.pid,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
    kill: async () => {
      child.kill("SIGKILL"); // kill -9: no shutdown, no flush
      await child.status;
      await drain;
    },
  };
}

/** A proof that cannot verify (for requests refused before the check). */
export const NO_PROOF: Proof = {
  challenge: "00".repeat(32),
  signature: new Uint8Array(64),
};

/**
 * Registers `identity` through the raw API with a valid proof; returns
 * the key package it registered with.
 */
export async function registerRaw(
  http: DeliveryHttp,
  mls: MLS,
  identity: Identity,
  credential: CredentialInfo,
): Promise<{ clientId: string; keyPackage: Uint8Array }> {
  const { keyPackage, proof } = await prove(
    http,
    mls,
    identity,
    credential,
    "register",
  );
  const { clientId } = await http.register(keyPackage, proof);
  return { clientId, keyPackage };
}
