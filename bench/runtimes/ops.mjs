// The operations of `deno task bench:runtimes` (bench/runtimes/run.ts), in
// plain JavaScript so that every runtime runs the same file against the
// module it was given (`mod`). Each operation prepares `k` inputs (not
// timed), then runs once per input; the caller times the runs as one batch
// (in workerd from outside the request, whose clocks stand still while
// code runs) and divides by `k`.

/** The provider options compared, by name. */
export const PROVIDERS = {
  webcrypto: { kdf: "webcrypto" },
  "kdf: js": { kdf: "js" },
  "@noble fallback": { forcePureJs: true, kdf: "webcrypto" },
};

const enc = new TextEncoder();
const bytes = (n) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  }
  return b;
};
const times = (k, f) => Promise.all(Array.from({ length: k }, (_, i) => f(i)));

/** A group of `size` members in `mls`: alice's view, and the others. */
async function groupOf(mls, size) {
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const views = [];
  if (size > 1) {
    const ids = await times(size - 1, () => mls.generateIdentity());
    const kps = await Promise.all(
      ids.map((id, i) =>
        mls.generateCredential(`m${i}`).then((c) =>
          mls.generateKeyPackage(id, c)
        )
      ),
    );
    const out = await group.add(kps);
    await group.receive(out.commit);
    for (const id of ids) views.push(await mls.groupJoin(id, out.welcome));
  }
  return { mls, group, views };
}

/**
 * The operations for one provider (`createProvider(options)`), each
 * `{ name, kind, k, onlyFor?, prepare(k) → inputs, run(input) }`.
 * `onlyFor` names the one provider option an operation does not depend on
 * (it is measured once).
 */
export function operations(mod, options) {
  const provider = mod.createProvider(options);
  const suite = (id) => provider.suite(id);
  const mls = () => new mod.MLS({ provider });
  const msg = enc.encode("x".repeat(100));
  const signOp = (name, id) => [{
    name: `${name} sign`,
    kind: "primitive",
    k: 100,
    prepare: async (k) => {
      const cs = await suite(id);
      const kp = await cs.signatureGenerateKeyPair();
      return Array(k).fill({ cs, kp });
    },
    run: ({ cs, kp }) => cs.sign(kp.privateKey, msg),
  }, {
    name: `${name} verify`,
    kind: "primitive",
    k: 100,
    prepare: async (k) => {
      const cs = await suite(id);
      const kp = await cs.signatureGenerateKeyPair();
      const sig = await cs.sign(kp.privateKey, msg);
      return Array(k).fill({ cs, kp, sig });
    },
    run: async ({ cs, kp, sig }) => {
      if (!await cs.verify(kp.publicKey, msg, sig)) throw new Error("verify");
    },
  }];
  const aead = (label, size, k) => ({
    name: `AES-128-GCM seal ${label}`,
    kind: "primitive",
    k,
    onlyFor: "webcrypto",
    prepare: async (k) => {
      const cs = await suite(1);
      const data = bytes(size);
      return Array(k).fill({ cs, key: bytes(16), data });
    },
    run: ({ cs, key, data }) => cs.aeadSeal(key, bytes(12), msg, data),
  });
  return [
    {
      name: "one crypto.subtle call (SHA-256 of 1 B)",
      kind: "primitive",
      k: 300,
      onlyFor: "webcrypto",
      prepare: (k) => Array(k).fill(new Uint8Array(1)),
      run: (b) => crypto.subtle.digest("SHA-256", b),
    },
    ...signOp("Ed25519", 1),
    ...signOp("P-256 ECDSA", 2),
    {
      name: "HPKE seal, X25519 (suite 1)",
      kind: "primitive",
      k: 50,
      prepare: async (k) => {
        const cs = await suite(1);
        const kp = await cs.hpkeGenerateKeyPair();
        return Array(k).fill({ cs, kp });
      },
      run: ({ cs, kp }) => cs.hpkeSeal(kp.publicKey, msg, msg, msg),
    },
    {
      name: "HPKE seal, P-256 (suite 2)",
      kind: "primitive",
      k: 50,
      prepare: async (k) => {
        const cs = await suite(2);
        const kp = await cs.hpkeGenerateKeyPair();
        return Array(k).fill({ cs, kp });
      },
      run: ({ cs, kp }) => cs.hpkeSeal(kp.publicKey, msg, msg, msg),
    },
    {
      name: "HKDF extract + expand (SHA-256)",
      kind: "primitive",
      k: 300,
      prepare: async (k) => {
        const cs = await suite(1);
        return Array(k).fill({ cs, ikm: bytes(32) });
      },
      run: async ({ cs, ikm }) =>
        cs.kdfExpand(await cs.kdfExtract(ikm, ikm), msg, 32),
    },
    aead("100 B", 100, 300),
    aead("1 MiB", 1 << 20, 5),
    {
      name: "key package",
      kind: "mls",
      k: 20,
      prepare: async (k) => {
        const m = mls();
        const id = await m.generateIdentity();
        const cred = await m.generateCredential("kp");
        return Array(k).fill({ m, id, cred });
      },
      run: ({ m, id, cred }) => m.generateKeyPackage(id, cred),
    },
    {
      name: "add 10 (commit, group of 1)",
      kind: "mls",
      k: 3,
      prepare: (k) =>
        times(k, async () => {
          const { group, mls: m } = await groupOf(mls(), 1);
          const kps = await times(10, async (i) =>
            m.generateKeyPackage(
              await m.generateIdentity(),
              await m.generateCredential(`a${i}`),
            ));
          return { group, kps };
        }),
      run: ({ group, kps }) => group.add(kps),
    },
    {
      name: "process an update commit (group of 10)",
      kind: "mls",
      k: 10,
      prepare: async (k) => {
        const { group, views } = await groupOf(mls(), 10);
        const inputs = [];
        for (let i = 0; i < k; i++) {
          const out = await group.update();
          await group.receive(out.commit);
          inputs.push({ view: views[0], commit: out.commit });
        }
        return inputs;
      },
      run: async ({ view, commit }) => {
        const r = await view.receive(commit);
        if (r.type !== "commit") throw new Error(r.type);
      },
    },
    {
      name: "join from a Welcome (group of 10)",
      kind: "mls",
      k: 5,
      prepare: async (k) => {
        const { group, mls: m } = await groupOf(mls(), 9);
        const inputs = [];
        for (let i = 0; i < k; i++) {
          const id = await m.generateIdentity();
          const kp = await m.generateKeyPackage(
            id,
            await m.generateCredential(`j${i}`),
          );
          const out = await group.add(kp);
          await group.receive(out.commit);
          inputs.push({ m, id, welcome: out.welcome });
          // Back to nine others: the next joiner meets a group of ten too.
          await group.receive((await group.remove(id)).commit);
        }
        return inputs;
      },
      run: ({ m, id, welcome }) => m.groupJoin(id, welcome),
    },
    {
      name: "send + receive 100 B",
      kind: "mls",
      k: 50,
      prepare: async (k) => {
        const { group, views } = await groupOf(mls(), 2);
        return Array(k).fill({ group, bob: views[0] });
      },
      run: async ({ group, bob }) => {
        const r = await bob.receive(await group.send(msg));
        if (r.type !== "application") throw new Error(r.type);
      },
    },
  ];
}

/** Runs an operation's prepared inputs in order (the timed part). */
export async function runAll(op, inputs) {
  for (const input of inputs) await op.run(input);
}

/** How many timed batches per operation; the median is kept. */
export const BATCHES = 3;

/** How long a timed batch should take at least, in microseconds. */
const BATCH_US = 50_000;

/**
 * The runs per timed batch: enough for {@link BATCH_US} at `estimate`
 * microseconds per run (from the warm-up), at least `op.k`, and at most 20
 * times `op.k` for primitives, 3 times for MLS operations (whose inputs are
 * costly to prepare).
 */
export function batchSize(op, estimate) {
  const cap = op.k * (op.kind === "primitive" ? 20 : 3);
  const wanted = Math.ceil(BATCH_US / Math.max(1, estimate));
  return Math.min(cap, Math.max(op.k, wanted));
}

/** The median of `values`. */
export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v[v.length >> 1];
}

/**
 * Measures every operation for every provider option with `clock` (a
 * `performance.now`-like function): a warm-up batch, then {@link BATCHES}
 * timed ones. Returns rows `{ provider, op, kind, us }` (the median
 * batch's microseconds per operation).
 */
export async function measure(mod, clock = () => performance.now()) {
  const rows = [];
  for (const [provider, options] of Object.entries(PROVIDERS)) {
    for (const op of operations(mod, options)) {
      if (op.onlyFor && op.onlyFor !== provider) continue;
      const warm = Math.max(1, op.k >> 2);
      const inputs0 = await op.prepare(warm);
      const t0 = clock();
      await runAll(op, inputs0);
      const k = batchSize(op, (clock() - t0) * 1000 / warm);
      const us = [];
      for (let b = 0; b < BATCHES; b++) {
        const inputs = await op.prepare(k);
        const t = clock();
        await runAll(op, inputs);
        us.push((clock() - t) * 1000 / k);
      }
      rows.push({
        provider,
        op: op.name,
        kind: op.kind,
        us: Math.round(median(us)),
      });
    }
  }
  return rows;
}
