// Issue 12, findings 3, 4 and 8, as attacks against the real server on a
// loopback port: draining a client's key packages, replaying or relaying a
// registration, squatting a client id, stealing or losing a token, and
// uploads beyond one request's limit. Where storage matters, over the
// memory store and over Deno KV (two app instances on one database stand
// for two server processes).
import assert from "node:assert/strict";
import { DeliveryClient, DeliveryError, DeliveryHttp } from "../../delivery.ts";
import { defaultProvider, MLS, MlsError } from "../../mod.ts";
import { verifyWithLabel } from "../../src/crypto/labeled.ts";
import { createApp } from "../../server/app.ts";
import type { AppOptions } from "../../server/options.ts";
import { KvStore } from "../../server/store/kv.ts";
import { freshDatabase, openPg, PG_URL } from "./pg_stores.ts";
import { MemoryStore } from "../../server/store/memory.ts";
import type { DeliveryStore } from "../../server/store/store.ts";
import { toBase64 } from "../../server/shared/base64.ts";
import {
  PROOF_LABEL,
  proofContent,
  type ProofPurpose,
} from "../../server/shared/proof.ts";
import {
  client,
  type Running,
  startServer,
  type TestClient,
} from "./helpers.ts";

const OPEN: AppOptions = { anonymousRateLimit: false };

type Kind = "memory" | "Deno KV" | "Postgres";

/** Runs `f` with a store of each kind (a fresh KV file for Deno KV). */
function perStore(
  name: string,
  f: (open: () => Promise<DeliveryStore>) => Promise<void>,
): void {
  const kinds: Kind[] = [
    "memory",
    "Deno KV",
    ...PG_URL ? ["Postgres" as const] : [],
  ];
  for (const kind of kinds) {
    Deno.test(`security (${kind}): ${name}`, async () => {
      if (kind === "memory") {
        return await f(() => Promise.resolve(new MemoryStore()));
      }
      if (kind === "Postgres") {
        // One database per test: every store opened shares it.
        const url = await freshDatabase();
        return await f(() => openPg({}, url));
      }
      const dir = await Deno.makeTempDir({ prefix: "webmls-sec-" });
      try {
        await f(() => KvStore.open(`${dir}/ds.kv`));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

/** A raw HTTP request as the client sent it. */
interface Captured {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Runs `f`, recording the body and headers of its `POST /v1/clients`. */
async function captureRegistration(
  f: () => Promise<unknown>,
): Promise<Captured> {
  const original = globalThis.fetch;
  let captured: Captured | undefined;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method === "POST" && url.pathname === "/v1/clients") {
      captured = {
        headers: { ...(init.headers as Record<string, string>) },
        body: (init.body as Uint8Array).slice(),
      };
    }
    return original(input, init);
  };
  try {
    await f();
  } finally {
    globalThis.fetch = original;
  }
  assert.ok(captured, "no registration was sent");
  return captured;
}

/** POSTs raw; returns the status and the error code (if any). */
async function post(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<[number, string | undefined]> {
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: body as Uint8Array<ArrayBuffer>,
  });
  const json = await res.json();
  return [res.status, json.error?.code];
}

/** Who signs a proof: an MLS instance and an identity in its storage. */
interface Signer {
  mls: MLS;
  id: string;
}

/** A fresh identity's key package, and the identity as a signer. */
async function newcomer(mls: MLS): Promise<[Uint8Array, Signer]> {
  const id = (await mls.generateIdentity()).clientId;
  const kp = await mls.generateKeyPackage(id, await mls.generateCredential(id));
  return [kp.bytes, { mls, id }];
}

/** A proof request made by hand: key package, challenge, signature. */
async function proofRequest(
  keyPackage: Uint8Array,
  signer: Signer,
  purpose: ProofPurpose,
  origin: string,
  challenge: string,
): Promise<{ headers: Record<string, string>; body: Uint8Array }> {
  const sig = await signer.mls.signWithIdentity(
    signer.id,
    PROOF_LABEL,
    proofContent(purpose, origin, challenge),
  );
  return {
    headers: {
      "content-type": "application/mls-message",
      "webmls-challenge": challenge,
      "webmls-signature": toBase64(sig),
    },
    body: keyPackage,
  };
}

async function challengeOf(url: string): Promise<string> {
  return (await new DeliveryHttp(url).challenge()).challenge;
}

async function status(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return [e.status, e.code];
    throw e;
  }
  return [200, "ok"];
}

interface Claim {
  status: number;
  ref: string | null;
  lastResort: boolean;
  retryAfter: number;
  code?: string;
}

async function claim(
  url: string,
  token: string,
  target: string,
): Promise<Claim> {
  const res = await fetch(`${url}/v1/clients/${target}/key-packages/claim`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const out: Claim = {
    status: res.status,
    ref: res.headers.get("mls-key-package-ref"),
    lastResort: res.headers.get("mls-key-package-last-resort") === "true",
    retryAfter: Number(res.headers.get("retry-after") ?? 0),
  };
  if (res.ok) await res.body?.cancel();
  else out.code = (await res.json()).error?.code;
  return out;
}

function regulars(claims: Claim[]): number {
  return claims.filter((c) => c.status === 200 && !c.lastResort).length;
}

async function withServers<T>(
  f: (...servers: Running[]) => Promise<T>,
  ...stores: [DeliveryStore, AppOptions][]
): Promise<T> {
  const servers: Running[] = [];
  try {
    for (const [store, o] of stores) servers.push(await startServer(store, o));
    return await f(...servers);
  } finally {
    for (const s of servers) await s.close();
  }
}

// ---- Finding 4: registration replay, relay, squatting, tokens ----------

/** The app on a given loopback port (to restart a server in place). */
async function serveOn(port: number, store: DeliveryStore): Promise<Running> {
  const ac = new AbortController();
  const { promise, resolve } = Promise.withResolvers<void>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    signal: ac.signal,
    onListen: () => resolve(),
  }, createApp(store, { rateLimit: false, ...OPEN }).fetch);
  await promise;
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

Deno.test("security: a captured registration cannot be replayed to another deployment", async () => {
  const mls = new MLS();
  const id = await mls.generateIdentity();
  const a = await startServer(new MemoryStore(), OPEN);
  let captured: Captured;
  try {
    captured = await captureRegistration(() =>
      DeliveryClient.register(a.url, mls, { identity: id })
    );
  } finally {
    await a.close();
  }
  // A --memory server restarted at the same address: the proof's origin
  // matches, but this deployment never issued its challenge.
  const restarted = await serveOn(
    Number(new URL(a.url).port),
    new MemoryStore(),
  );
  try {
    assert.deepEqual(
      await post(
        `${restarted.url}/v1/clients`,
        captured.headers,
        captured.body,
      ),
      [403, "invalid_challenge"],
    );
    assert.equal(await restarted.store.hasClient(id.clientId), false);
  } finally {
    await restarted.close();
  }

  await withServers(
    async (a, b) => {
      // Elsewhere: the proof names another origin.
      assert.deepEqual(
        await post(`${b.url}/v1/clients`, captured.headers, captured.body),
        [403, "invalid_proof"],
      );
      // Relayed: B's challenge, signed by the victim for the origin it was
      // talking to (A).
      const kp = await mls.generateKeyPackage(
        id,
        await mls.generateCredential("v"),
      );
      const relayed = await proofRequest(
        kp.bytes,
        { mls, id: id.clientId },
        "register",
        a.url,
        await challengeOf(b.url),
      );
      assert.deepEqual(
        await post(`${b.url}/v1/clients`, relayed.headers, relayed.body),
        [403, "invalid_proof"],
      );
      assert.equal(await b.store.hasClient(id.clientId), false);
      // The owner registers there itself.
      const own = await DeliveryClient.register(b.url, mls, { identity: id });
      assert.equal(own.clientId, id.clientId);
    },
    [new MemoryStore(), OPEN],
    [new MemoryStore(), OPEN],
  );
});

perStore(
  "a captured registration cannot be replayed to the same deployment",
  async (open) => {
    const store = await open();
    await withServers(async (a) => {
      const mls = new MLS();
      const id = await mls.generateIdentity();
      const captured = await captureRegistration(() =>
        DeliveryClient.register(a.url, mls, { identity: id })
      );
      // The challenge is spent: refused before the id is even looked at.
      assert.deepEqual(
        await post(`${a.url}/v1/clients`, captured.headers, captured.body),
        [403, "invalid_challenge"],
      );
    }, [store, OPEN]);
  },
);

Deno.test("security: another client's id cannot be squatted", async () => {
  await withServers(
    async (a, b) => {
      const victim = await client(a.url, "victim");
      const thief = await client(a.url, "thief");
      const vid = victim.client.clientId;
      // The victim's key package is public: anyone can claim one.
      const kp = await thief.client.http.claimKeyPackage(vid);
      const mlsHeaders = { "content-type": "application/mls-message" };
      // The old registration: a key package alone.
      assert.deepEqual(
        await post(`${b.url}/v1/clients`, mlsHeaders, kp),
        [400, "challenge_required"],
      );
      // A fresh challenge, signed with the thief's own key.
      const thiefKey = { mls: thief.client.mls, id: thief.client.clientId };
      const forged = await proofRequest(
        kp,
        thiefKey,
        "register",
        b.url,
        await challengeOf(b.url),
      );
      assert.deepEqual(
        await post(`${b.url}/v1/clients`, forged.headers, forged.body),
        [403, "invalid_proof"],
      );
      // Nor can the thief take over the victim's account where it exists.
      const steal = await proofRequest(
        await thief.client.http.claimKeyPackage(vid),
        thiefKey,
        "token",
        a.url,
        await challengeOf(a.url),
      );
      assert.deepEqual(
        await post(`${a.url}/v1/clients/token`, steal.headers, steal.body),
        [403, "invalid_proof"],
      );
      assert.equal(await b.store.hasClient(vid), false);
      assert.equal((await victim.client.http.me()).clientId, vid);
    },
    [new MemoryStore(), OPEN],
    [new MemoryStore(), OPEN],
  );
});

perStore(
  "expired, reused, unknown or misused challenges are refused",
  async (open) => {
    let now = Date.now();
    const store = await open();
    await withServers(async (s) => {
      const mls = new MLS();
      const register = async (
        challenge: string,
        p: ProofPurpose = "register",
      ) => {
        const r = await proofRequest(
          ...await newcomer(mls),
          p,
          s.url,
          challenge,
        );
        return await post(`${s.url}/v1/clients`, r.headers, r.body);
      };
      // Expired: five minutes and one second later.
      const old = await challengeOf(s.url);
      now += 301_000;
      assert.deepEqual(await register(old), [403, "invalid_challenge"]);
      // Reused: the first use wins, the second is refused.
      const once = await challengeOf(s.url);
      assert.equal((await register(once))[0], 201);
      assert.deepEqual(await register(once), [403, "invalid_challenge"]);
      // Never issued.
      assert.deepEqual(await register("ab".repeat(32)), [
        403,
        "invalid_challenge",
      ]);
      // A proof for a token is no proof for a registration.
      assert.deepEqual(
        await register(await challengeOf(s.url), "token"),
        [403, "invalid_proof"],
      );
    }, [store, { ...OPEN, now: () => new Date(now) }]);
  },
);

perStore(
  "token rotation revokes the old token; recovery needs no token",
  async (open) => {
    const store = await open();
    await withServers(async (s) => {
      const a = await client(s.url, "a");
      const b = await client(s.url, "b");
      const g = await a.client.createGroup();
      await a.client.add(g.groupId, [b.client.clientId]);
      await b.client.sync();

      const first = b.client.token;
      const second = await b.client.rotateToken();
      assert.notEqual(second, first);
      assert.equal(b.client.token, second);
      assert.deepEqual(
        await status(new DeliveryHttp(s.url, first).me()),
        [401, "unauthorized"],
      );
      assert.equal((await b.client.http.me()).clientId, b.client.clientId);

      // Lost: a new client object from the identity in storage alone.
      const texts: string[] = [];
      const back = await DeliveryClient.recover({
        url: s.url,
        mls: b.client.mls,
        identity: b.client.clientId,
        credential: b.client.credential,
        onEvent: (e) => {
          if (e.type === "received" && e.received.type === "application") {
            texts.push(e.received.text());
          }
        },
      });
      assert.deepEqual(
        await status(new DeliveryHttp(s.url, second).me()),
        [401, "unauthorized"],
      );
      await a.client.send(g.groupId, "still here?");
      await back.sync();
      assert.deepEqual(texts, ["still here?"]);

      // An identity the service never saw has nothing to recover.
      const stranger = new MLS();
      const sid = await stranger.generateIdentity();
      assert.deepEqual(
        await status(DeliveryClient.recover({
          url: s.url,
          mls: stranger,
          identity: sid,
          credential: await stranger.generateCredential("s"),
        })),
        [404, "unknown_client"],
      );
    }, [store, OPEN]);
  },
);

Deno.test("security: signWithIdentity is SignWithLabel, never with MLS's labels", async () => {
  const mls = new MLS();
  const id = await mls.generateIdentity();
  const content = proofContent(
    "register",
    "https://a.example",
    "cd".repeat(32),
  );
  const sig = await mls.signWithIdentity(id, PROOF_LABEL, content);
  const cs = await defaultProvider().suite(id.cipherSuite);
  const verify = (label: string, c: Uint8Array) =>
    verifyWithLabel(cs, id.signaturePublicKey, label, c, sig);
  assert.equal(await verify(PROOF_LABEL, content), true);
  assert.equal(await verify("KeyPackageTBS", content), false);
  const elsewhere = proofContent(
    "register",
    "https://b.example",
    "cd".repeat(32),
  );
  assert.equal(await verify(PROOF_LABEL, elsewhere), false);
  for (
    const label of [
      "KeyPackageTBS",
      "LeafNodeTBS",
      "GroupInfoTBS",
      "FramedContentTBS",
      "",
    ]
  ) {
    await assert.rejects(
      mls.signWithIdentity(id, label, content),
      (e: unknown) => e instanceof MlsError && e.code === "invalid_argument",
    );
  }
  await assert.rejects(
    mls.signWithIdentity("00".repeat(32), PROOF_LABEL, content),
    (e: unknown) => e instanceof MlsError && e.code === "unknown_identity",
  );
});

// ---- Finding 3: key-package draining -----------------------------------

perStore("a drainer cannot stop its victim from being added", async (open) => {
  const store = await open();
  await withServers(async (s) => {
    const alice = await client(s.url, "alice");
    const victim = await client(s.url, "victim", {
      keyPackageCheckSeconds: 3600, // only the Welcome triggers a top-up
    });
    const drainer = await client(s.url, "drainer");
    const claims: Claim[] = [];
    for (let i = 0; i < 30; i++) {
      claims.push(
        await claim(s.url, drainer.client.token, victim.client.clientId),
      );
    }
    assert.ok(claims.every((c) => c.status === 200), JSON.stringify(claims));
    assert.equal(regulars(claims), 4); // the default per-pair limit
    assert.equal(
      new Set(claims.filter((c) => c.lastResort).map((c) => c.ref)).size,
      1,
    );
    assert.deepEqual(await victim.client.keyPackageCount(), {
      regular: 0,
      lastResort: 1,
    });

    const g = await alice.client.createGroup();
    await alice.client.add(g.groupId, [victim.client.clientId]);
    await victim.client.sync();
    assert.ok(victim.events.some((e) => e.type === "joined"));
    // The Welcome made the victim top up; the last-resort package stays.
    assert.deepEqual(await victim.client.keyPackageCount(), {
      regular: 3,
      lastResort: 1,
    });
    await alice.client.send(g.groupId, "welcome");
    await victim.client.sync();
    assert.deepEqual(victim.texts, ["welcome"]);
  }, [store, OPEN]);
});

Deno.test("security: claim limits per pair, per requester, per target and window", async () => {
  let now = Date.now();
  const limits = {
    windowSeconds: 60,
    perPair: 2,
    perRequester: 3,
    perTarget: 4,
  };
  await withServers(async (s) => {
    const noLast = { keyPackages: 10, lastResort: false };
    const [v1, v2, v3] = await Promise.all(
      ["v1", "v2", "v3"].map((n) => client(s.url, n, noLast)),
    );
    const [d1, d2, d3] = await Promise.all(
      ["d1", "d2", "d3"].map((n) => client(s.url, n)),
    );
    const take = (d: TestClient, v: TestClient) =>
      claim(s.url, d.client.token, v.client.clientId);

    // Per pair: d1 takes two of v1's, then is refused (v1 has no last resort).
    const pair = [await take(d1, v1), await take(d1, v1), await take(d1, v1)];
    assert.deepEqual(pair.map((c) => c.status), [200, 200, 429]);
    assert.equal(pair[2].code, "rate_limited");
    assert.ok(pair[2].retryAfter >= 1 && pair[2].retryAfter <= 60);
    // Per requester: a third target is fine, a fourth claim is not.
    assert.equal((await take(d1, v2)).status, 200);
    assert.equal((await take(d1, v3)).status, 429);
    // Per target: two more of v1's (by d2), then nobody gets one.
    assert.equal(regulars([await take(d2, v1), await take(d2, v1)]), 2);
    assert.equal((await take(d3, v1)).status, 429);
    // With a last-resort package, a limited claim gets that instead.
    await v1.client.publishKeyPackages(1, { lastResort: true });
    const lr = await take(d3, v1);
    assert.deepEqual([lr.status, lr.lastResort], [200, true]);
    // A new window.
    now += 60_000;
    assert.deepEqual(
      [await take(d1, v3), await take(d3, v1)].map((
        c,
      ) => [c.status, c.lastResort]),
      [[200, false], [200, false]],
    );
  }, [new MemoryStore(), {
    ...OPEN,
    keyPackageClaims: limits,
    now: () => new Date(now),
  }]);
});

/** Two app instances on one database: challenges and claim limits are shared. */
async function twoInstances(open: () => Promise<DeliveryStore>): Promise<void> {
  const origin = "http://deployment.test";
  const o: AppOptions = { ...OPEN, origin };
  await withServers(
    async (s1, s2) => {
      // One challenge used at both instances at once: one registration.
      const challenge = await challengeOf(s1.url);
      const mls = new MLS();
      const reqs = await Promise.all(
        [0, 1].map(async () =>
          proofRequest(...await newcomer(mls), "register", origin, challenge)
        ),
      );
      const results = await Promise.all([
        post(`${s1.url}/v1/clients`, reqs[0].headers, reqs[0].body),
        post(`${s2.url}/v1/clients`, reqs[1].headers, reqs[1].body),
      ]);
      assert.deepEqual(
        results.map((r) => r[0]).sort(),
        [201, 403],
        JSON.stringify(results),
      );
      assert.ok(results.some((r) => r[1] === "invalid_challenge"));
      // With `origin` set, a client must reach the service under it: the
      // binding signs the origin of its URL, never one the service names.
      assert.deepEqual(
        await status(DeliveryClient.register(s1.url, new MLS())),
        [403, "invalid_proof"],
      );
    },
    [await open(), o],
    [await open(), o],
  );

  // Concurrent claims by one requester through both: one limit.
  await withServers(
    async (s1, s2) => {
      const victim = await client(s1.url, "victim", { keyPackages: 10 });
      const drainer = await client(s1.url, "drainer");
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          claim(
            i % 2 ? s2.url : s1.url,
            drainer.client.token,
            victim.client.clientId,
          )),
      );
      assert.ok(
        claims.every((c) => c.status === 200),
        JSON.stringify(claims),
      );
      assert.equal(regulars(claims), 4);
      assert.equal(new Set(claims.map((c) => c.ref)).size, 5);
    },
    [await open(), OPEN],
    [await open(), OPEN],
  );

  // One requester, six targets at once through both: one total limit
  // (distinct targets: only the count rows make these claims collide).
  const limits = {
    windowSeconds: 3600,
    perPair: 5,
    perRequester: 3,
    perTarget: 10,
  };
  const limited = { ...OPEN, keyPackageClaims: limits };
  await withServers(
    async (s1, s2) => {
      const victims = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) =>
          client(s1.url, `v${i}`, { lastResort: false })
        ),
      );
      const drainer = await client(s1.url, "drainer");
      const claims = await Promise.all(
        victims.map((v, i) =>
          claim(
            i % 2 ? s2.url : s1.url,
            drainer.client.token,
            v.client.clientId,
          )
        ),
      );
      assert.deepEqual(
        claims.map((c) => c.status).sort(),
        [200, 200, 200, 429, 429, 429],
      );
    },
    [await open(), limited],
    [await open(), limited],
  );
}

Deno.test("security (Deno KV): two app instances on one database share challenges and claim limits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-sec-" });
  try {
    await twoInstances(() => KvStore.open(`${dir}/ds.kv`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (PG_URL) {
  Deno.test("security (Postgres): two app instances on one database share challenges and claim limits", async () => {
    const url = await freshDatabase();
    await twoInstances(() => openPg({}, url));
  });
}

// ---- Findings 3 and 8: keeping key packages published -------------------

perStore(
  "uploads beyond one request's limit; top-ups by hand and by sync",
  async (open) => {
    const store = await open();
    await withServers(async (s) => {
      const c = await client(s.url, "c");
      await c.client.publishKeyPackages(45);
      assert.deepEqual(await c.client.keyPackageCount(), {
        regular: 49,
        lastResort: 1,
      });
      assert.deepEqual(await c.client.topUpKeyPackages(60), {
        regular: 60,
        lastResort: 1,
      });

      // A sync notices a drained directory (checking on every sync here).
      const v = await client(s.url, "v", { keyPackageCheckSeconds: 0 });
      const d = await client(s.url, "d");
      for (let i = 0; i < 4; i++) {
        await claim(s.url, d.client.token, v.client.clientId);
      }
      assert.deepEqual(await v.client.keyPackageCount(), {
        regular: 0,
        lastResort: 1,
      });
      await v.client.sync();
      assert.deepEqual(await v.client.keyPackageCount(), {
        regular: 3,
        lastResort: 1,
      });
    }, [store, OPEN]);
  },
);
