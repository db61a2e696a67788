// Group state serialization: real groups are stored and loaded at several
// points (after create and join, with pending proposals and Update keys,
// with past epochs), and the loaded states must re-serialize to the same
// bytes and behave exactly like the originals. Malformed bytes fail with an
// MlsError only.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { MlsError } from "../../src/errors.ts";
import { decode } from "../../src/codec/codec.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import type { Credential } from "../../src/messages/credential.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import type { SignatureKeyPair } from "../../providers/provider.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import { proposeUpdate, sendApplication } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import {
  deserializeGroupState,
  serializeGroupState,
  storedSignerRef,
} from "../../src/group/stored/serialize.ts";
import { MAX_GROUP_STATE_VERSION } from "../../src/group/stored/format.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { encode } from "../../src/codec/codec.ts";
import { ratchetTreeCodec } from "../../src/messages/ratchet_tree.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";

const provider = defaultProvider();
const text = (s: string) => new TextEncoder().encode(s);

interface Client {
  credential: Credential;
  signer: SignatureKeyPair;
}

async function client(cs: SuiteCrypto, name: string): Promise<Client> {
  return {
    credential: { credentialType: 1, identity: text(name) },
    signer: await cs.signatureGenerateKeyPair(),
  };
}

function keyPackageOf(cs: SuiteCrypto, c: Client) {
  return generateKeyPackage(cs, c.credential, c.signer);
}

/** Encodes and decodes, as a message crossing the network would be. */
function wire(msg: MLSMessage): MLSMessage {
  return decode(mlsMessageCodec, encode(mlsMessageCodec, msg), "MLSMessage");
}

function welcomeOf(msg: MLSMessage): Welcome {
  if (msg.wireFormat !== WireFormat.mlsWelcome) throw new Error("no welcome");
  return msg.welcome;
}

/** What must be equal between a state and its stored-and-loaded copy. */
async function fingerprint(s: GroupState) {
  return {
    epoch: s.context.epoch,
    epochAuthenticator: s.keys.epochAuthenticator,
    treeHash: await s.tree.treeHash(s.cs),
    exporter: await mlsExporter(
      s.cs,
      s.keys.exporterSecret,
      "l",
      text("c"),
      32,
    ),
    past: await Promise.all(
      s.past.map(async (p) => [p.context, await p.tree.treeHash(s.cs)]),
    ),
    leaf: s.privateTree.leafIndex,
    privateNodes: s.privateTree.nodes(),
    proposals: [...s.proposals.keys()],
    updateKeys: s.updateKeys,
    resumptionPsks: s.resumptionPsks,
    config: s.config,
    status: s.status,
    reinit: s.reinit,
  };
}

/** Stores and loads `s`, checking the copy; returns it. */
async function reload(s: GroupState): Promise<GroupState> {
  const bytes = serializeGroupState(s);
  const back = await deserializeGroupState(bytes, provider);
  assert.deepEqual(serializeGroupState(back), bytes, "re-serialization");
  assert.deepEqual(await fingerprint(back), await fingerprint(s));
  return back;
}

/** Both states receive `msg`; the outcomes and the states after must agree. */
async function receiveBoth(a: GroupState, b: GroupState, msg: MLSMessage) {
  const [ra, rb] = [
    await receiveMessage(a, wire(msg)),
    await receiveMessage(b, wire(msg)),
  ];
  assert.equal(ra.kind, rb.kind);
  if (ra.kind === "application" && rb.kind === "application") {
    assert.deepEqual(ra.data, rb.data);
    // The message key is consumed the same way in both.
    assert.deepEqual(serializeGroupState(a), serializeGroupState(b));
    return { kind: ra.kind, data: ra.data, a, b };
  }
  assert.ok("state" in ra && "state" in rb);
  assert.deepEqual(await fingerprint(ra.state), await fingerprint(rb.state));
  assert.deepEqual(
    serializeGroupState(ra.state),
    serializeGroupState(rb.state),
  );
  return { kind: ra.kind, a: ra.state, b: rb.state };
}

async function join(
  cs: SuiteCrypto,
  c: Client,
  kp: Awaited<ReturnType<typeof keyPackageOf>>,
  welcome: MLSMessage,
): Promise<GroupState> {
  const { state } = await joinFromWelcome(cs, welcomeOf(welcome), {
    keyPackage: kp.keyPackage,
    ...kp.privateKeys,
    signer: c.signer.privateKey,
    config: { maxPastEpochs: 3, padding: { blockSize: 16 } },
  });
  return state;
}

for (const suite of [1, 2]) {
  Deno.test(`state round trip through a group's life, suite ${suite}`, async () => {
    const cs = await provider.suite(suite);
    const [alice, bob, charlie, dave] = await Promise.all(
      ["alice", "bob", "charlie", "dave"].map((n) => client(cs, n)),
    );
    let a = await createGroup(cs, alice.credential, alice.signer, {
      config: { maxPastEpochs: 3 },
    });
    a = await reload(a);

    // Epoch 1: Alice (restored) adds Bob and Charlie; both join.
    const [kpB, kpC] = await Promise.all([
      keyPackageOf(cs, bob),
      keyPackageOf(cs, charlie),
    ]);
    const add = await createCommit(a, {
      proposals: [
        { proposalType: 1, keyPackage: kpB.keyPackage },
        { proposalType: 1, keyPackage: kpC.keyPackage },
      ],
    });
    a = await reload(add.state);
    const welcome = wire(welcomeMessage(add.welcome!));
    let b = await reload(await join(cs, bob, kpB, welcome));
    let c = await join(cs, charlie, kpC, welcome);
    let cLoaded = await reload(c);

    // An application message from Bob: original and loaded Charlie decrypt
    // it alike. One from Alice stays unread until a later epoch.
    const hello = await sendApplication(b, text("hello"));
    const late = await sendApplication(a, text("late"));
    const got = await receiveBoth(c, cLoaded, hello);
    assert.deepEqual(got.data, text("hello"));

    // Charlie proposes an Update (its private key is kept in updateKeys);
    // Bob receives it and holds it pending.
    const upd = await proposeUpdate(c, {});
    c = upd.state;
    assert.equal(c.updateKeys.size, 1);
    cLoaded = await reload(c);
    const pending = await receiveBoth(b, await reload(b), upd.message);
    b = pending.a;
    assert.equal(b.proposals.size, 1);
    a = (await receiveBoth(a, await reload(a), upd.message)).a;
    const bLoaded = await reload(b);

    // Epoch 2: the loaded Bob commits Charlie's Update and adds Dave.
    const kpD = await keyPackageOf(cs, dave);
    const commit = await createCommit(bLoaded, {
      proposals: [{ proposalType: 1, keyPackage: kpD.keyPackage }],
    });
    b = await reload(commit.state);
    // Charlie needs its stored Update key to process it.
    c = (await receiveBoth(c, cLoaded, commit.message)).a;
    a = (await receiveBoth(a, await reload(a), commit.message)).a;
    let d = await reload(
      await join(cs, dave, kpD, wire(welcomeMessage(commit.welcome!))),
    );
    for (const s of [a, c, d]) {
      assert.deepEqual(s.keys.epochAuthenticator, b.keys.epochAuthenticator);
    }

    // Past epochs: the loaded Charlie reads Alice's epoch-1 message.
    assert.equal(c.past.length, 1);
    cLoaded = await reload(c);
    const old = await receiveBoth(c, cLoaded, late);
    assert.deepEqual(old.data, text("late"));

    // Epoch 3: Dave (loaded) removes Bob; past epochs pile up.
    const rm = await createCommit(d, {
      proposals: [{ proposalType: 3, removed: b.privateTree.leafIndex }],
    });
    d = await reload(rm.state);
    const removed = await receiveBoth(b, await reload(b), rm.message);
    assert.equal(removed.kind, "removed");
    await reload(removed.a);
    c = (await receiveBoth(c, await reload(c), rm.message)).a;
    a = (await receiveBoth(a, await reload(a), rm.message)).a;
    assert.equal(c.past.length, 2);

    // The loaded states keep talking.
    const bye = await sendApplication(await reload(a), text("bye"));
    const r = await receiveBoth(c, await reload(c), bye);
    assert.deepEqual(r.data, text("bye"));
    assert.deepEqual(
      (await receiveMessage(await reload(d), wire(bye))).kind,
      "application",
    );
  });
}

Deno.test("state round trip: status, reinit, padding and config", async () => {
  const cs = await provider.suite(1);
  const alice = await client(cs, "alice");
  const s = await createGroup(cs, alice.credential, alice.signer, {
    config: {
      padding: { length: 7 },
      handshakeWireFormat: "public",
      maxForwardGeneration: 10,
      maxSkippedKeys: 3,
      ratchetTreeExtension: false,
      externalPub: false,
      maxResumptionPsks: 9,
    },
  });
  await reload(s);
  await reload({ ...s, status: "removed" });
  await reload({
    ...s,
    status: "reinit",
    reinit: {
      groupId: text("next"),
      version: 1,
      cipherSuite: 2,
      extensions: [{ extensionType: 0xff00, extensionData: text("x") }],
    },
  });
  await reload({
    ...s,
    config: { ...s.config, padding: { blockSize: 64 } },
    updateKeys: new Map([["00ff", text("k")]]),
    resumptionPsks: new Map([[0n, s.keys.resumptionPsk], [
      7n,
      s.keys.initSecret,
    ]]),
  });
  assert.throws(
    () =>
      serializeGroupState({
        ...s,
        config: { ...s.config, maxPastEpochs: 1.5 },
      }),
    (e) => e instanceof MlsError && e.code === "invalid_argument",
  );
  assert.throws(
    () =>
      serializeGroupState({ ...s, updateKeys: new Map([["0FF", text("k")]]) }),
    (e) => e instanceof MlsError && e.code === "invalid_argument",
  );
});

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => e instanceof MlsError && e.code === code);
}

Deno.test("signature keys: embedded, by reference, CryptoKey", async () => {
  const cs = await provider.suite(1);
  const signer = await cs.signatureGenerateKeyPair({ extractable: false });
  assert.ok(!(signer.privateKey instanceof Uint8Array), "a CryptoKey");
  const other = await cs.signatureGenerateKeyPair({ extractable: false });
  const credential = { credentialType: 1 as const, identity: text("k") };
  const s = await createGroup(cs, credential, signer);

  // A CryptoKey is never written: a reference (empty by default) is.
  const bytes = serializeGroupState(s);
  assert.deepEqual(storedSignerRef(bytes), new Uint8Array(0));
  await rejects(deserializeGroupState(bytes, provider), "signer_required");
  await rejects(
    deserializeGroupState(bytes, provider, { signer: other.privateKey }),
    "signer_mismatch",
  );
  const back = await deserializeGroupState(bytes, provider, {
    signer: signer.privateKey,
  });
  assert.equal(back.signer, signer.privateKey);
  assert.deepEqual(serializeGroupState(back), bytes);
  // It signs: a commit from the loaded state is accepted by a joiner.
  const bob = await client(cs, "bob");
  const kp = await keyPackageOf(cs, bob);
  const add = await createCommit(back, {
    proposals: [{ proposalType: 1, keyPackage: kp.keyPackage }],
  });
  const joined = await join(cs, bob, kp, wire(welcomeMessage(add.welcome!)));
  const msg = await sendApplication(add.state, text("signed by a CryptoKey"));
  const r = await receiveMessage(joined, wire(msg));
  assert.equal(r.kind, "application");

  // An application-chosen reference comes back.
  const ref = text("idb:key/42");
  const withRef = serializeGroupState(s, { signerRef: ref });
  assert.deepEqual(storedSignerRef(withRef), ref);

  // Raw keys are embedded, unless a reference is asked for.
  const raw = await createGroup(
    cs,
    credential,
    await cs.signatureGenerateKeyPair(),
  );
  assert.ok(raw.signer instanceof Uint8Array);
  const rawBytes = serializeGroupState(raw);
  assert.equal(storedSignerRef(rawBytes), undefined);
  await rejects(
    deserializeGroupState(rawBytes, provider, { signer: raw.signer }),
    "invalid_argument",
  );
  const byRef = serializeGroupState(raw, { signerRef: ref });
  assert.equal(indexOf(byRef, raw.signer), -1, "key not in the bytes");
  assert.ok(indexOf(rawBytes, raw.signer) >= 0);
  const loaded = await deserializeGroupState(byRef, provider, {
    signer: raw.signer,
  });
  assert.deepEqual(serializeGroupState(loaded), rawBytes);
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A state with members, a pending proposal and a past epoch. */
async function busyState(): Promise<GroupState> {
  const cs = await provider.suite(1);
  const [alice, bob] = await Promise.all([client(cs, "a"), client(cs, "b")]);
  const a = await createGroup(cs, alice.credential, alice.signer);
  const kp = await keyPackageOf(cs, bob);
  const add = await createCommit(a, {
    proposals: [{ proposalType: 1, keyPackage: kp.keyPackage }],
  });
  const b = await join(cs, bob, kp, wire(welcomeMessage(add.welcome!)));
  await receiveMessage(b, wire(await sendApplication(add.state, text("x"))));
  const upd = await proposeUpdate(b, {});
  const r = await receiveMessage(add.state, wire(upd.message));
  assert.equal(r.kind, "proposal");
  return r.kind === "proposal" ? r.state : a;
}

Deno.test("malformed states fail with MlsError only", async () => {
  const bytes = serializeGroupState(await busyState());
  const onlyMlsError = async (input: Uint8Array, what: string) => {
    try {
      const s = await deserializeGroupState(input, provider);
      serializeGroupState(s);
    } catch (e) {
      if (!(e instanceof MlsError)) {
        throw new Error(`${what}: ${e}`, { cause: e });
      }
      assert.ok(e.code.length > 0);
      return e;
    }
  };
  for (let n = 0; n < bytes.length; n++) {
    const e = await onlyMlsError(bytes.subarray(0, n), `truncated at ${n}`);
    assert.ok(e, `truncation at ${n} must fail`);
    assert.ok(e.field, `truncation at ${n} names a field`);
  }
  const rand = prng(0x5eed);
  for (let i = 0; i < 3000; i++) {
    const m = bytes.slice();
    const at = Math.floor(rand() * m.length);
    m[at] ^= 1 << Math.floor(rand() * 8);
    await onlyMlsError(m, `bit flip at ${at}`);
  }
  const code = async (b: Uint8Array) => (await onlyMlsError(b, "x"))?.code;
  assert.equal(await code(new Uint8Array([...bytes, 0])), "trailing_bytes");
  const v = bytes.slice();
  v[5] = MAX_GROUP_STATE_VERSION + 1;
  assert.equal(await code(v), "unsupported_state_version");
  const m = bytes.slice();
  m[0] ^= 0x20;
  assert.equal(await code(m), "invalid_state_format");
});

Deno.test("state size: past epochs cost what the commit changed", async () => {
  const cs = await provider.suite(1);
  const clients = await Promise.all(
    Array.from({ length: 48 }, (_, i) => client(cs, `m${i}`)),
  );
  let a = await createGroup(cs, clients[0].credential, clients[0].signer);
  const kps: { keyPackage: KeyPackage }[] = await Promise.all(
    clients.slice(1).map((c) => keyPackageOf(cs, c)),
  );
  a = (await createCommit(a, {
    proposals: kps.map((k) => ({ proposalType: 1, keyPackage: k.keyPackage })),
  })).state;
  a = (await createCommit(a)).state;
  a = (await createCommit(a)).state;
  assert.equal(a.past.length, 2);
  const size = serializeGroupState(a).length;
  const noPast = serializeGroupState({ ...a, past: [] }).length;
  const tree = encode(ratchetTreeCodec, a.tree.toNodes()).length;
  // Two past epochs after path-only commits cost far less than one tree.
  assert.ok(size - noPast < tree / 3, `${size} ${noPast} ${tree}`);
  await reload(a);
});

/** A provider whose suite counts its `hash` calls. */
function countingProvider(cs: SuiteCrypto) {
  const count = { hashes: 0 };
  const counted = new Proxy(cs, {
    get(target, key) {
      if (key === "hash") {
        return (data: Uint8Array) => {
          count.hashes++;
          return target.hash(data);
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    count,
    provider: { ...provider, suite: () => Promise.resolve(counted) },
  };
}

/** The same state bytes in format version 1 (no stored tree hashes). */
function asVersion1(bytes: Uint8Array, tail: number): Uint8Array {
  const v1 = bytes.slice(0, bytes.length - tail);
  v1[5] = 1;
  return v1;
}

Deno.test("stored tree hashes: a loaded state rehashes only what a commit changes", async () => {
  const cs = await provider.suite(1);
  const clients = await Promise.all(
    Array.from({ length: 40 }, (_, i) => client(cs, `m${i}`)),
  );
  const a0 = await createGroup(cs, clients[0].credential, clients[0].signer);
  const kps = await Promise.all(
    clients.slice(1).map((c) => keyPackageOf(cs, c)),
  );
  const add = await createCommit(a0, {
    proposals: kps.map((k) => ({ proposalType: 1, keyPackage: k.keyPackage })),
  });
  const b = await join(
    cs,
    clients[39],
    kps[38],
    wire(welcomeMessage(add.welcome!)),
  );
  const commit = await createCommit(add.state);
  const bytes = serializeGroupState(b);
  // 40 members fill a tree of 64 leaves (127 nodes); its nodes at level 4
  // and above: every 16th from 15, the root (63) among them.
  const stored = b.tree.cachedHashes(cs, 4);
  assert.deepEqual(stored.map(([x]) => x), [15, 31, 47, 63, 79, 95, 111]);
  const body = stored.length * (4 + 1 + cs.hashLength);
  const tail = 1 + (body < 64 ? 1 : 2) + body;

  const process = async (input: Uint8Array) => {
    const { count, provider: p } = countingProvider(cs);
    const s = await deserializeGroupState(input, p);
    const r = await receiveMessage(s, wire(commit.message));
    assert.equal(r.kind, "commit");
    return { hashes: count.hashes, state: r.kind === "commit" && r.state };
  };
  const v2 = await process(bytes);
  const v1 = await process(asVersion1(bytes, tail));
  // Same outcome; the version-1 state hashes the whole tree.
  assert.ok(v1.state && v2.state);
  assert.deepEqual(await fingerprint(v2.state), await fingerprint(v1.state));
  assert.ok(v1.hashes >= 127, `v1: ${v1.hashes}`);
  assert.ok(v2.hashes < 127 / 2, `v2: ${v2.hashes} of v1: ${v1.hashes}`);

  // The root's stored hash must be the context's tree_hash.
  const bad = bytes.slice();
  const after = stored.length - 1 - stored.findIndex(([x]) => x === 63);
  bad[bad.length - after * (4 + 1 + cs.hashLength) - 1] ^= 1;
  await assert.rejects(deserializeGroupState(bad, provider), (e) => {
    assert.ok(e instanceof MlsError);
    assert.equal(e.code, "invalid_value");
    assert.equal(e.field, "GroupState.treeHashes");
    return true;
  });

  // The stored hashes' bytes, truncated anywhere or with any bit flipped:
  // an MlsError naming a field, or (a flipped non-root hash, which nothing
  // can check at load) a state that loads.
  for (let n = bytes.length - tail; n < bytes.length; n++) {
    await assert.rejects(
      deserializeGroupState(bytes.subarray(0, n), provider),
      (
        e,
      ) => {
        assert.ok(e instanceof MlsError, `truncated at ${n}: ${e}`);
        assert.ok(e.field, `truncated at ${n} names a field`);
        return true;
      },
    );
  }
  for (let at = bytes.length - tail; at < bytes.length; at += 3) {
    const m = bytes.slice();
    m[at] ^= 1 << (at % 8);
    try {
      await deserializeGroupState(m, provider);
    } catch (e) {
      assert.ok(e instanceof MlsError, `bit flip at ${at}: ${e}`);
    }
  }
});
