// Runs in headless Chromium (tests/browser_test.ts): provider crypto,
// IndexedDbStorage conformance, and the explainer flow over IndexedDB.
// The outcome goes to `globalThis.__result` as { ok, log, error }.
// Both modules exist only on the test server: imported by computed URL so
// that `deno check` does not look for them on disk.
const served = (path) => new URL(path, location.href).href;
const mod = await import(served("/webmls.mjs"));
const { cryptoChecks, mlsFlow } = await import(served("/checks.mjs"));

const logEl = document.getElementById("log");
const log = [];
function note(line) {
  log.push(line);
  logEl.textContent += line + "\n";
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function equal(a, b) {
  return a instanceof Uint8Array && b instanceof Uint8Array &&
    a.length === b.length && a.every((x, i) => x === b[i]);
}

async function rejects(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e instanceof mod.MlsError, `${what}: MlsError, got ${e}`);
    if (code) check(e.code === code, `${what}: code ${e.code} !== ${code}`);
    return;
  }
  throw new Error(`check failed: ${what} did not throw`);
}

async function snapshot(s) {
  const out = [];
  for (const k of await s.list("")) out.push([k, await s.get(k)]);
  return out;
}

function sameSnapshot(a, b) {
  return a.length === b.length &&
    a.every(([k, v], i) => k === b[i][0] && equal(v, b[i][1]));
}

async function storageChecks() {
  const name = `webmls-test-${crypto.randomUUID()}`;
  const s = new mod.IndexedDbStorage(name);
  check(s.canStoreCryptoKeys === true, "canStoreCryptoKeys");
  const b = (...x) => new Uint8Array(x);

  // get / set / overwrite / delete
  check((await s.get("a/b")) === undefined, "missing key");
  await s.batch([{ key: "a/b", value: b(1, 2, 3) }]);
  check(equal(await s.get("a/b"), b(1, 2, 3)), "read back");
  await s.batch([{ key: "a/b", value: b(4) }]);
  check(equal(await s.get("a/b"), b(4)), "overwrite");
  await s.batch([{ key: "a/b" }]);
  check((await s.get("a/b")) === undefined, "delete");

  // list by prefix
  const keys = [
    "a/b",
    "a/bc",
    "a/b/c",
    "a-c",
    "ab",
    "a",
    "b/a",
    "a/",
    "é/ü",
    "x\uffff",
    "x\uffffy",
  ];
  await s.batch(keys.map((key, i) => ({ key, value: b(i) })));
  const sorted = [...keys].sort();
  check(
    JSON.stringify(await s.list("")) === JSON.stringify(sorted),
    "list all",
  );
  check(
    JSON.stringify(await s.list("a/b")) ===
      JSON.stringify(["a/b", "a/b/c", "a/bc"]),
    "list a/b",
  );
  check(
    JSON.stringify(await s.list("a/")) ===
      JSON.stringify(["a/", "a/b", "a/b/c", "a/bc"]),
    "list a/",
  );
  check(
    JSON.stringify(await s.list("x\uffff")) ===
      JSON.stringify(["x\uffff", "x\uffffy"]),
    "list \\uffff",
  );
  check((await s.list("zz")).length === 0, "list none");
  note("indexeddb: get, set, delete, list");

  // A batch is atomic: a write that cannot be cloned (a view on a detached
  // buffer) aborts the transaction after other writes were queued; an
  // invalid value is refused before anything starts.
  const before = await snapshot(s);
  const detached = new Uint8Array(8);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  await rejects(
    s.batch([
      { key: "a/b", value: b(9) },
      { key: "ab" },
      { key: "new", value: b(1) },
      { key: "bad", value: detached },
    ]),
    undefined,
    "batch with a detached buffer",
  );
  check(
    sameSnapshot(await snapshot(s), before),
    "failed batch changed nothing",
  );
  await rejects(
    s.batch([{ key: "new", value: b(1) }, {
      key: "bad",
      value: { not: "bytes" },
    }]),
    "invalid_argument",
    "batch with an invalid value",
  );
  check(
    sameSnapshot(await snapshot(s), before),
    "refused batch changed nothing",
  );
  note("indexeddb: failed batches change nothing");

  // Conditional batches: the conditions are read in the writing
  // transaction; one that does not hold changes nothing.
  check(s.conditionalBatches === true, "conditionalBatches");
  await s.batch([{ key: "head", value: b(1) }]);
  await s.batch([{ key: "head", value: b(2) }, { key: "c", value: b(5) }], {
    expect: [{ key: "head", value: b(1) }, { key: "absent" }],
  });
  check(equal(await s.get("head"), b(2)), "condition held: written");
  const held = await snapshot(s);
  for (
    const expect of [
      [{ key: "head", value: b(1) }],
      [{ key: "head" }],
      [{ key: "absent", value: b() }],
      [{ key: "head", value: b(2) }, { key: "c", value: b(6) }],
    ]
  ) {
    await rejects(
      s.batch([{ key: "head", value: b(3) }, { key: "c" }], { expect }),
      "storage_conflict",
      "a condition that does not hold",
    );
    check(sameSnapshot(await snapshot(s), held), "conflict changed nothing");
  }
  const other = new mod.IndexedDbStorage(name);
  const announced = new Promise((resolve) =>
    other.watch((keys) => keys.includes("announce") && resolve(keys))
  );
  const results = await Promise.allSettled(
    [s, other, s, other].map((x, i) =>
      x.batch([{ key: "head", value: b(10 + i) }], {
        expect: [{ key: "head", value: b(2) }],
      })
    ),
  );
  check(
    results.filter((r) => r.status === "fulfilled").length === 1,
    "one of four conditional writers wins",
  );
  // Committed batches of `s` are announced to the other storage object.
  await s.batch([{ key: "announce", value: b(1) }, { key: "c" }]);
  const announcedKeys = await announced;
  check(
    JSON.stringify(announcedKeys) === '["announce","c"]',
    "batches are announced",
  );
  await other.close();
  note("indexeddb: conditional batches, one writer wins, announced");

  // Large values
  const big = crypto.getRandomValues(new Uint8Array(65536)).slice();
  const large = new Uint8Array(1 << 20);
  for (let i = 0; i < large.length; i += big.length) large.set(big, i);
  await s.batch([{ key: "large", value: large }]);
  check(equal(await s.get("large"), large), "1 MiB round trip");
  note("indexeddb: 1 MiB value");

  // A non-extractable signature key, stored, reopened, used.
  const cs = await mod.defaultProvider().suite(1);
  const kp = await cs.signatureGenerateKeyPair({ extractable: false });
  check(kp.privateKey instanceof CryptoKey, "the private key is a CryptoKey");
  check(kp.privateKey.extractable === false, "not extractable");
  await s.batch([{ key: "signer", value: kp.privateKey }]);
  await s.close();
  await rejects(s.get("signer"), "storage_closed", "use after close");
  const again = new mod.IndexedDbStorage(name);
  const back = await again.get("signer");
  check(
    back instanceof CryptoKey && back.extractable === false,
    "key read back",
  );
  const msg = new TextEncoder().encode("signed after a reopen");
  check(
    await cs.verify(kp.publicKey, msg, await cs.sign(back, msg)),
    "sign with it",
  );
  check(equal(await again.get("large"), large), "large value after reopen");
  await again.close();
  note("indexeddb: non-extractable CryptoKey persists and signs after reopen");
  indexedDB.deleteDatabase(name);
}

async function flow() {
  const name = `webmls-flow-${crypto.randomUUID()}`;
  const storage = new mod.IndexedDbStorage(name);
  const lines = await mlsFlow(mod, {
    storage,
    reopen: () => Promise.resolve(new mod.IndexedDbStorage(name)),
  });
  for (const line of lines) note(`mls over indexeddb: ${line}`);
}

try {
  for (const line of await cryptoChecks(mod)) note(line);
  await storageChecks();
  await flow();
  globalThis.__result = { ok: true, log };
} catch (e) {
  globalThis.__result = { ok: false, log, error: `${e?.stack ?? e}` };
}
