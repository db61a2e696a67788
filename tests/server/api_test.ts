// The HTTP API's refusals and limits, and its inbox mechanics (long poll,
// WebSocket stream, acknowledgement, last-resort key packages), against the
// real server on a loopback port.
import assert from "node:assert/strict";
import { DeliveryError, DeliveryHttp } from "../../delivery.ts";
import { MLS } from "../../mod.ts";
import { KvStore } from "../../server/store/kv.ts";
import { openPg, PG_URL } from "./pg_stores.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore } from "../../server/store/store.ts";
import { client, NO_PROOF, registerRaw, startServer } from "./helpers.ts";

async function errorOf(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return e;
    throw e;
  }
  throw new Error("expected a DeliveryError");
}

async function rawError(res: Response): Promise<[number, string]> {
  const body = await res.json();
  return [res.status, body.error.code];
}

Deno.test("server api: key package validation and registration", async () => {
  const server = await startServer(undefined, { cipherSuites: [1, 2] });
  try {
    const mls = new MLS();
    const id = await mls.generateIdentity();
    const cred = await mls.generateCredential("x");
    const kp = await mls.generateKeyPackage(id, cred);
    const http = new DeliveryHttp(server.url);

    // Wrong media type, malformed, trailing garbage, tampered signature.
    let res = await fetch(`${server.url}/v1/clients`, {
      method: "POST",
      body: kp.bytes.slice(),
    });
    assert.deepEqual(await rawError(res), [415, "unsupported_media_type"]);
    const bad = (b: Uint8Array) => errorOf(http.register(b, NO_PROOF));
    assert.equal(
      (await bad(new Uint8Array([0, 1, 0, 5, 9]))).code,
      "malformed_message",
    );
    assert.equal(
      (await bad(new Uint8Array([...kp.bytes, 0]))).code,
      "malformed_message",
    );
    const flipped = kp.bytes.slice();
    flipped[flipped.length - 3] ^= 1;
    assert.equal((await bad(flipped)).code, "invalid_key_package");
    // A suite this server does not accept.
    const mls3 = new MLS({ cipherSuite: 3 });
    const id3 = await mls3.generateIdentity();
    const kp3 = await mls3.generateKeyPackage(id3, cred);
    assert.equal((await bad(kp3.bytes)).code, "unsupported_cipher_suite");
    // A GroupInfo is not a key package.
    const g = await mls.groupCreate(id, cred);
    assert.equal((await bad(await g.groupInfo())).code, "unexpected_message");

    // Register, then not twice.
    const reg = await registerRaw(http, mls, id, cred);
    assert.equal(reg.clientId, id.clientId);
    assert.equal(
      (await errorOf(
        registerRaw(new DeliveryHttp(server.url), mls, id, cred),
      )).code,
      "client_exists",
    );
    // Upload: someone else's key package is refused; a duplicate too.
    const other = await mls.generateIdentity();
    const otherKp = await mls.generateKeyPackage(other, cred);
    assert.equal(
      (await errorOf(http.uploadKeyPackages(otherKp.bytes))).status,
      403,
    );
    assert.equal(
      (await errorOf(http.uploadKeyPackages(reg.keyPackage))).code,
      "duplicate_key_package",
    );
    // Tokens: none, wrong.
    res = await fetch(`${server.url}/v1/clients/me`);
    assert.deepEqual(await rawError(res), [401, "unauthorized"]);
    res = await fetch(`${server.url}/v1/clients/me`, {
      headers: { authorization: "Bearer " + "A".repeat(43) },
    });
    assert.deepEqual(await rawError(res), [401, "unauthorized"]);
  } finally {
    await server.close();
  }
});

Deno.test("server api: expired key packages are refused", async () => {
  const later = new Date(Date.now() + 400 * 24 * 3600 * 1000);
  const server = await startServer(undefined, { now: () => later });
  try {
    const mls = new MLS();
    const id = await mls.generateIdentity();
    const kp = await mls.generateKeyPackage(
      id,
      await mls.generateCredential("x"),
    );
    const e = await errorOf(
      new DeliveryHttp(server.url).register(kp.bytes, NO_PROOF),
    );
    assert.equal(e.code, "expired_key_package");
  } finally {
    await server.close();
  }
});

Deno.test("server api: claims are atomic; a last-resort package is kept", async () => {
  const server = await startServer(undefined, { keyPackageClaims: false });
  try {
    const a = await client(server.url, "a");
    // 4 key packages
    const b = await client(server.url, "b", { lastResort: false });
    const claims = await Promise.all(
      [0, 1, 2, 3].map(() => a.client.http.claimKeyPackage(b.client.clientId)),
    );
    assert.equal(new Set(claims.map((c) => c.join())).size, 4);
    const none = await errorOf(
      a.client.http.claimKeyPackage(b.client.clientId),
    );
    assert.equal(none.code, "no_key_package");
    await b.client.publishKeyPackages(1, { lastResort: true });
    const x = await a.client.http.claimKeyPackage(b.client.clientId);
    const y = await a.client.http.claimKeyPackage(b.client.clientId);
    assert.deepEqual(x, y);
    const me = await b.client.http.me();
    assert.deepEqual([me.keyPackages, me.lastResortKeyPackages], [0, 1]);
    assert.equal(
      (await errorOf(a.client.http.claimKeyPackage("00".repeat(32)))).code,
      "unknown_client",
    );
  } finally {
    await server.close();
  }
});

Deno.test("server api: groups refuse strangers, bad bundles, stale epochs", async () => {
  const server = await startServer(undefined, { maxMessageBytes: 64 * 1024 });
  try {
    const a = await client(server.url, "a");
    const b = await client(server.url, "b");
    const stranger = await client(server.url, "s");
    const g = await a.client.createGroup();
    const gid = g.groupId;
    const unknown = "ab".repeat(16);
    assert.equal((await errorOf(a.client.http.group(unknown))).status, 404);
    assert.equal(
      (await errorOf(a.client.http.post(unknown, await g.send("x")))).code,
      "unknown_group",
    );
    assert.equal(
      (await errorOf(stranger.client.http.group(gid))).code,
      "not_member",
    );
    assert.equal(
      (await errorOf(stranger.client.http.groupInfo(gid))).code,
      "not_member",
    );
    assert.equal(
      (await errorOf(stranger.client.http.post(gid, await g.send("x")))).code,
      "not_member",
    );
    // The same group id twice.
    assert.equal(
      (await errorOf(
        a.client.http.createGroup(await g.groupInfo({ ratchetTree: true })),
      )).code,
      "group_exists",
    );
    // A commit without its GroupInfo; a GroupInfo signed by someone else.
    const kp = await b.client.http.claimKeyPackage(b.client.clientId);
    const out = await g.add(kp);
    assert.equal(
      (await errorOf(a.client.http.post(gid, out.commit))).code,
      "unexpected_message",
    );
    const bg = await b.client.mls.groupCreate(
      b.client.clientId,
      b.client.credential,
    );
    const foreign = new Uint8Array([
      ...out.commit,
      ...(await bg.groupInfo({ ratchetTree: true })),
    ]);
    assert.equal(
      (await errorOf(a.client.http.post(gid, foreign))).code,
      "group_mismatch",
    );
    // Too large.
    const big = await errorOf(
      a.client.http.post(gid, await g.send(new Uint8Array(70_000))),
    );
    assert.equal(big.status, 413);
    assert.equal(big.code, "body_too_large");
    // The commit goes in; a second commit for the same epoch is a conflict.
    await a.client.http.post(
      gid,
      new Uint8Array([...out.commit, ...out.welcome!, ...out.groupInfo]),
    );
    const stale = await g.receive(out.commit).then(() => g.update());
    const copy = await errorOf(
      a.client.http.post(
        gid,
        new Uint8Array([...out.commit, ...out.welcome!, ...out.groupInfo]),
      ),
    );
    assert.equal(copy.code, "epoch_conflict");
    assert.equal(copy.epoch, 1);
    await g.clearPendingCommit();
    assert.equal(stale.epoch, 2n);
    // Welcomes are routed by KeyPackageRef to their owner.
    await b.client.sync();
    assert.ok(b.events.some((e) => e.type === "joined"));
  } finally {
    await server.close();
  }
});

Deno.test("server api: rate limit per token", async () => {
  const server = await startServer(undefined, {
    rateLimit: { burst: 5, perSecond: 0.01 },
  });
  try {
    const a = await client(server.url, "a"); // registration + upload: 1 token
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${server.url}/v1/clients/me`, {
        headers: { authorization: `Bearer ${a.client.token}` },
      });
      codes.push(res.status);
      if (res.status === 429) {
        assert.ok(Number(res.headers.get("retry-after")) >= 1);
        assert.equal((await res.json()).error.code, "rate_limited");
      } else await res.body?.cancel();
    }
    assert.deepEqual(codes, [200, 200, 200, 200, 429, 429]);
  } finally {
    await server.close();
  }
});

/**
 * `store` with its `subscribe` calls announced: `next()` resolves at the
 * next subscription (a long poll or stream starting to wait).
 */
function observed(store: DeliveryStore): {
  store: DeliveryStore;
  next(): Promise<void>;
} {
  let waiters: (() => void)[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== "subscribe" || typeof v !== "function") {
        return typeof v === "function" ? v.bind(target) : v;
      }
      return async (...args: unknown[]) => {
        const sub = await v.apply(target, args);
        const now = waiters;
        waiters = [];
        for (const w of now) w();
        return sub;
      };
    },
  });
  return {
    store: proxy,
    next: () => new Promise<void>((r) => waiters.push(r)),
  };
}

async function inboxMechanics(plain: DeliveryStore): Promise<void> {
  const { store, next } = observed(plain);
  const subscribed = { next };
  const server = await startServer(store);
  try {
    const a = await client(server.url, "a");
    const b = await client(server.url, "b");
    const g = await a.client.createGroup();
    await a.client.add(g.groupId, [b.client.clientId]);

    // Long poll: woken by the message. The message is sent once the poll
    // is waiting (its subscription is the event); a poll that is not woken
    // ends empty at its deadline, so the count proves the wake-up.
    await b.client.sync();
    const waiting = subscribed.next();
    const polled = b.client.sync({ wait: 10 });
    await waiting;
    await a.client.send(g.groupId, "polled");
    assert.equal(await polled, 1);
    assert.equal(b.texts.at(-1), "polled");

    // Nothing is dropped while offline; the stream delivers the backlog
    // and then live messages.
    for (let i = 0; i < 3; i++) await a.client.send(g.groupId, `offline ${i}`);
    const backlog = Promise.withResolvers<void>();
    const live = Promise.withResolvers<void>();
    b.client.onEvent = (e) => {
      if (e.type === "received" && e.received.type === "application") {
        b.texts.push(e.received.text());
        if (b.texts.length === 4) backlog.resolve();
        if (b.texts.length === 5) live.resolve();
      }
    };
    const listener = b.client.listen();
    await backlog.promise; // the backlog came over the stream; now a live one
    await a.client.send(g.groupId, "live");
    await live.promise;
    listener.close();
    assert.deepEqual(b.texts.slice(1), [
      "offline 0",
      "offline 1",
      "offline 2",
      "live",
    ]);

    // The stream acknowledged everything it delivered (asynchronously: wait
    // for the inbox to drain, without acknowledging anything here).
    const raw = new DeliveryHttp(server.url, b.client.token);
    let left = (await raw.inbox()).messages.length;
    for (let i = 0; i < 200 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      left = (await raw.inbox()).messages.length;
    }
    assert.equal(
      left,
      0,
      `the stream's acknowledgements emptied the inbox: ${
        JSON.stringify((await raw.inbox()).messages.map((m) => m.kind))
      }`,
    );
  } finally {
    await server.close();
  }
}

Deno.test("server api: long poll, WebSocket stream, acknowledgement (memory)", async () => {
  await inboxMechanics(new MemoryStore());
});

Deno.test("server api: long poll, WebSocket stream, acknowledgement (Deno KV)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  try {
    await inboxMechanics(await KvStore.open(`${dir}/ds.kv`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (PG_URL) {
  Deno.test("server api: long poll, WebSocket stream, acknowledgement (Postgres)", async () => {
    await inboxMechanics(await openPg());
  });
}
