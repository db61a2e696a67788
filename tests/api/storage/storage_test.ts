/**
 * Storage conformance: the same suite against every backend that runs in
 * Deno (memory, Deno KV), plus what is specific to Deno KV: chunking of
 * large values, atomic failure without garbage, limits, reopening the file,
 * concurrent writers. IndexedDB runs the browser half in
 * tests/browser_test.ts.
 */
import assert from "node:assert/strict";
import { MlsError } from "../../../src/errors.ts";
import type { Storage } from "../../../src/api/storage/storage.ts";
import { MemoryStorage } from "../../../src/api/storage/memory.ts";
import { DenoKvStorage } from "../../../src/api/storage/deno_kv.ts";

const bytes = (...b: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(b);

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function equal(a: Uint8Array, b: unknown): boolean {
  return b instanceof Uint8Array && a.length === b.length &&
    a.every((x, i) => x === b[i]);
}

async function snapshot(s: Storage): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const k of await s.list("")) out.set(k, await s.get(k));
  return out;
}

async function rejectsWith(
  p: Promise<unknown>,
  code: string,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MlsError, `expected MlsError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

interface Backend {
  name: string;
  open(): Promise<{ storage: Storage; cleanup(): Promise<void> }>;
  /** A write that makes this backend's batch fail, if it has one. */
  invalidWrites?: Array<{ key: string; value?: Uint8Array | CryptoKey }>;
}

async function tempKv(): Promise<
  { storage: DenoKvStorage; path: string; cleanup(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  const path = `${dir}/test.kv`;
  const storage = new DenoKvStorage(path);
  return {
    storage,
    path,
    async cleanup() {
      await storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const hmacKey = (): Promise<CryptoKey> =>
  crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);

const BACKENDS: Backend[] = [
  {
    name: "memory",
    open: () =>
      Promise.resolve({
        storage: new MemoryStorage(),
        cleanup: () => Promise.resolve(),
      }),
  },
  {
    name: "deno kv",
    open: tempKv,
    invalidWrites: [
      { key: "x/crypto-key", value: await hmacKey() },
      { key: "x/" + "k".repeat(3000), value: bytes(1) },
    ],
  },
];

for (const backend of BACKENDS) {
  const t = (name: string, fn: (s: Storage) => Promise<void>): void => {
    Deno.test(`storage ${backend.name}: ${name}`, async () => {
      const { storage, cleanup } = await backend.open();
      try {
        await fn(storage);
      } finally {
        await cleanup();
      }
    });
  };

  t("get, set, overwrite, delete", async (s) => {
    assert.equal(await s.get("a/b"), undefined);
    await s.batch([{ key: "a/b", value: bytes(1, 2, 3) }]);
    assert.deepEqual(await s.get("a/b"), bytes(1, 2, 3));
    await s.batch([{ key: "a/b", value: bytes(4) }]);
    assert.deepEqual(await s.get("a/b"), bytes(4));
    await s.batch([{ key: "a/b" }]);
    assert.equal(await s.get("a/b"), undefined);
    // Deleting a missing key is fine; the empty value is a value.
    await s.batch([{ key: "missing" }, { key: "empty", value: bytes() }]);
    assert.deepEqual(await s.get("empty"), bytes());
    assert.equal(await s.get("missing"), undefined);
    await s.batch([]);
  });

  t("values are copied in and out", async (s) => {
    const v = bytes(1, 2, 3);
    await s.batch([{ key: "k", value: v }]);
    v[0] = 9;
    const read = await s.get("k") as Uint8Array;
    assert.deepEqual(read, bytes(1, 2, 3));
    read[1] = 9;
    assert.deepEqual(await s.get("k"), bytes(1, 2, 3));
    // A view into a larger buffer stores just the view.
    const big = bytes(7, 8, 9, 10);
    await s.batch([{ key: "view", value: big.subarray(1, 3) }]);
    assert.deepEqual(await s.get("view"), bytes(8, 9));
  });

  t("list by prefix, sorted, partial segments", async (s) => {
    const keys = [
      "a/b",
      "a/bc",
      "a/b/c",
      "a/b/c/d",
      "a-c",
      "ab",
      "a",
      "b/a",
      "a/",
      "a//x",
      "é/ü",
    ];
    await s.batch(keys.map((key, i) => ({ key, value: bytes(i) })));
    assert.deepEqual(await s.list(""), [...keys].sort());
    assert.deepEqual(await s.list("a/b"), ["a/b", "a/b/c", "a/b/c/d", "a/bc"]);
    assert.deepEqual(await s.list("a/b/"), ["a/b/c", "a/b/c/d"]);
    assert.deepEqual(await s.list("a/"), [
      "a/",
      "a//x",
      "a/b",
      "a/b/c",
      "a/b/c/d",
      "a/bc",
    ]);
    assert.deepEqual(
      await s.list("a"),
      keys.filter((k) => k[0] === "a").sort(),
    );
    assert.deepEqual(await s.list("b/"), ["b/a"]);
    assert.deepEqual(await s.list("é"), ["é/ü"]);
    assert.deepEqual(await s.list("zz"), []);
    for (const k of keys) {
      assert.deepEqual(await s.get(k), bytes(keys.indexOf(k)), k);
    }
  });

  t("a batch applies in order: the last write of a key wins", async (s) => {
    await s.batch([
      { key: "k", value: bytes(1) },
      { key: "k" },
      { key: "j", value: bytes(2) },
      { key: "j", value: bytes(3) },
    ]);
    assert.equal(await s.get("k"), undefined);
    assert.deepEqual(await s.get("j"), bytes(3));
  });

  t("large values (1 MiB) round-trip, overwrite and delete", async (s) => {
    const big = pattern(1 << 20, 1);
    const big2 = pattern((1 << 20) + 12345, 2);
    await s.batch([
      { key: "g/state", value: big },
      { key: "g/small", value: bytes(5) },
    ]);
    assert.deepEqual(await s.get("g/state"), big);
    await s.batch([{ key: "g/state", value: big2 }]);
    assert.deepEqual(await s.get("g/state"), big2);
    await s.batch([{ key: "g/state", value: bytes(1) }]);
    assert.deepEqual(await s.get("g/state"), bytes(1));
    await s.batch([{ key: "g/state", value: big }]);
    await s.batch([{ key: "g/state" }]);
    assert.equal(await s.get("g/state"), undefined);
    assert.deepEqual(await s.list("g/"), ["g/small"]);
    // Exactly at and around the chunk size, and many mid-size values.
    const edge = [65535, 65536, 65537, 131072].map((n, i) => ({
      key: `edge/${n}`,
      value: pattern(n, 10 + i),
    }));
    const many = Array.from({ length: 20 }, (_, i) => ({
      key: `many/${i}`,
      value: pattern(60_000, 100 + i),
    }));
    await s.batch([...edge, ...many]);
    for (const w of [...edge, ...many]) {
      assert.deepEqual(await s.get(w.key), w.value, w.key);
    }
  });

  if (backend.invalidWrites) {
    for (const bad of backend.invalidWrites) {
      t(
        `a failing batch changes nothing (${bad.key.slice(0, 20)})`,
        async (s) => {
          await s.batch([
            { key: "keep", value: bytes(1) },
            { key: "gone", value: bytes(2) },
            { key: "big", value: pattern(200_000, 3) },
          ]);
          const before = await snapshot(s);
          await assert.rejects(
            s.batch([
              { key: "keep", value: bytes(9) },
              { key: "gone" },
              { key: "new", value: bytes(3) },
              { key: "big", value: pattern(300_000, 4) },
              { key: "big2", value: pattern(300_000, 5) },
              bad,
            ]),
            MlsError,
          );
          assert.deepEqual(await snapshot(s), before);
        },
      );
    }
  }

  t("conditional batches: all or nothing, on what is stored now", async (s) => {
    assert.equal(s.conditionalBatches, true);
    await s.batch([{ key: "head", value: bytes(1) }, {
      key: "big",
      value: pattern(100_000, 7),
    }]);
    // Conditions that hold: present bytes, absence, a large value.
    await s.batch([{ key: "head", value: bytes(2) }, {
      key: "x",
      value: bytes(5),
    }], {
      expect: [
        { key: "head", value: bytes(1) },
        { key: "absent" },
        { key: "big", value: pattern(100_000, 7) },
      ],
    });
    assert.deepEqual(await s.get("head"), bytes(2));
    assert.deepEqual(await s.get("x"), bytes(5));
    // Conditions that do not: nothing is written.
    const before = await snapshot(s);
    for (
      const expect of [
        [{ key: "head", value: bytes(1) }], // changed since
        [{ key: "head" }], // present
        [{ key: "absent", value: bytes() }], // absent
        [{ key: "head", value: bytes(2) }, { key: "x", value: bytes(6) }],
        [{ key: "big", value: pattern(100_000, 8) }],
      ]
    ) {
      await rejectsWith(
        s.batch([
          { key: "head", value: bytes(3) },
          { key: "x" },
          { key: "new", value: pattern(80_000, 9) },
        ], { expect }),
        "storage_conflict",
      );
      assert.deepEqual(await snapshot(s), before);
    }
    // Two writers that read the same head: exactly one wins.
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((i) =>
        s.batch([{ key: "head", value: bytes(10 + i) }], {
          expect: [{ key: "head", value: bytes(2) }],
        })
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.equal((r.reason as MlsError).code, "storage_conflict");
      }
    }
  });

  t("CryptoKey values as the backend allows", async (s) => {
    const key = await hmacKey();
    const data = new Uint8Array([1, 2, 3]);
    if (!s.canStoreCryptoKeys) {
      await rejectsWith(
        s.batch([{ key: "ck", value: key }]),
        "invalid_argument",
      );
      assert.equal(await s.get("ck"), undefined);
      return;
    }
    await s.batch([{ key: "ck", value: key }]);
    const back = await s.get("ck");
    assert.ok(back instanceof CryptoKey);
    assert.equal(back.extractable, false);
    const sig = await crypto.subtle.sign("HMAC", back, data);
    assert.ok(await crypto.subtle.verify("HMAC", key, sig, data));
  });
}

// Deno KV specifics.

/** Every raw KV entry under the store's namespaces but the values. */
async function rawOther(path: string): Promise<string[]> {
  const kv = await Deno.openKv(path);
  try {
    const out: string[] = [];
    for await (const e of kv.list({ prefix: [] })) {
      if (e.key[0] !== "webmls") out.push(JSON.stringify(e.key));
    }
    return out;
  } finally {
    kv.close();
  }
}

Deno.test("storage deno kv: chunks are collected, no garbage", async () => {
  const { storage: s, path, cleanup } = await tempKv();
  try {
    await s.batch([{ key: "a", value: pattern(1 << 20, 1) }]);
    assert.equal((await rawOther(path)).length, 16); // 16 chunks, no markers
    await s.batch([{ key: "a", value: pattern(100_000, 2) }]);
    assert.equal((await rawOther(path)).length, 2);
    await s.batch([{ key: "a", value: bytes(1) }]);
    assert.deepEqual(await rawOther(path), []);
    await s.batch([{ key: "b", value: pattern(200_000, 3) }, { key: "b" }]);
    assert.deepEqual(await rawOther(path), []);
    assert.deepEqual(await s.list(""), ["a"]);
  } finally {
    await cleanup();
  }
});

Deno.test("storage deno kv: failed batches leave no garbage", async () => {
  const { storage: s, path, cleanup } = await tempKv();
  try {
    await rejectsWith(
      s.batch([
        { key: "big", value: pattern(500_000, 1) },
        { key: "k".repeat(3000), value: bytes(1) },
      ]),
      "storage_limit",
    );
    assert.deepEqual(await rawOther(path), []);
    assert.deepEqual(await s.list(""), []);
  } finally {
    await cleanup();
  }
});

Deno.test("storage deno kv: limits throw storage_limit", async () => {
  const { storage: s, cleanup } = await tempKv();
  try {
    const tooMany = Array.from({ length: 101 }, (_, i) => ({
      key: `k/${i}`,
      value: bytes(i),
    }));
    await rejectsWith(s.batch(tooMany), "storage_limit");
    assert.deepEqual(await s.list(""), []);
    // 100 keys, 5 MiB in all: fine (chunked beyond the per-operation size).
    const hundred = Array.from({ length: 100 }, (_, i) => ({
      key: `k/${i}`,
      value: pattern(50_000 + i, i),
    }));
    await s.batch(hundred);
    for (const w of hundred) assert.deepEqual(await s.get(w.key), w.value);
  } finally {
    await cleanup();
  }
});

Deno.test("storage deno kv: reopen the file and read back", async () => {
  const { storage: s, path, cleanup } = await tempKv();
  try {
    const big = pattern(1 << 20, 7);
    await s.batch([
      { key: "groups/abc/state", value: big },
      { key: "identities/alice", value: bytes(1, 2) },
    ]);
    await s.close();
    await rejectsWith(s.get("identities/alice"), "storage_closed");
    const again = new DenoKvStorage(path);
    try {
      assert.deepEqual(await again.get("groups/abc/state"), big);
      assert.deepEqual(await again.get("identities/alice"), bytes(1, 2));
      assert.deepEqual(await again.list(""), [
        "groups/abc/state",
        "identities/alice",
      ]);
    } finally {
      await again.close();
    }
  } finally {
    await cleanup();
  }
});

Deno.test("storage deno kv: an opened Kv, a namespace, left open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webmls-kv-" });
  const kv = await Deno.openKv(`${dir}/t.kv`);
  try {
    const one = new DenoKvStorage(kv, { name: "one" });
    const two = new DenoKvStorage(kv, { name: "two" });
    await one.batch([{ key: "k", value: pattern(70_000, 1) }]);
    await two.batch([{ key: "k", value: bytes(2) }]);
    assert.deepEqual(await one.get("k"), pattern(70_000, 1));
    assert.deepEqual(await two.get("k"), bytes(2));
    assert.deepEqual(await two.list(""), ["k"]);
    await one.close();
    assert.ok((await kv.get(["two", "k"])).value instanceof Uint8Array);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage deno kv: conditional batches of two connections to one file", async () => {
  const { storage: a, path, cleanup } = await tempKv();
  const b = new DenoKvStorage(path);
  try {
    await a.batch([{ key: "head", value: bytes(0) }]);
    // Each connection advances the head from what it read: no write is lost.
    let wins = 0;
    let conflicts = 0;
    await Promise.all([a, b, a, b].map(async (s, w) => {
      for (let i = 0; i < 10; i++) {
        for (;;) {
          const head = (await s.get("head")) as Uint8Array;
          try {
            await s.batch([
              { key: "head", value: bytes(head[0] + 1) },
              { key: `log/${head[0]}`, value: bytes(w) },
            ], { expect: [{ key: "head", value: head }] });
            wins++;
            break;
          } catch (e) {
            assert.ok(e instanceof MlsError && e.code === "storage_conflict");
            conflicts++;
          }
        }
      }
    }));
    assert.equal(wins, 40);
    assert.deepEqual(await b.get("head"), bytes(40));
    assert.equal((await a.list("log/")).length, 40);
    console.log(`${conflicts} conditional batches lost and were retried`);
  } finally {
    await b.close();
    await cleanup();
  }
});

Deno.test("storage deno kv: concurrent writers stay consistent", async () => {
  const { storage: a, path, cleanup } = await tempKv();
  const b = new DenoKvStorage(path);
  try {
    const values = (w: number, i: number): Uint8Array =>
      pattern(70_000 + 1000 * w + i, 1000 * w + i);
    await Promise.all([a, b, a, b].map(async (s, w) => {
      for (let i = 0; i < 5; i++) {
        await s.batch([
          { key: "shared", value: values(w, i) },
          { key: `own/${w}`, value: values(w, i) },
        ]);
      }
    }));
    const shared = await a.get("shared");
    const finals = [0, 1, 2, 3].map((w) => values(w, 4));
    assert.ok(finals.some((v) => equal(v, shared)));
    for (let w = 0; w < 4; w++) {
      assert.deepEqual(await b.get(`own/${w}`), values(w, 4));
    }
    // 5 live values of 2 chunks each; everything else collected.
    assert.equal((await rawOther(path)).length, 10);
  } finally {
    await b.close();
    await cleanup();
  }
});
