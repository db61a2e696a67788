// The API papercuts of issue 11, found by a new user: one test each.
import assert from "node:assert/strict";
import {
  type GroupView,
  MemoryStorage,
  MLS,
  MlsError,
  type Storage,
  type StorageWrite,
} from "../../mod.ts";
import { decode } from "../../src/codec/codec.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { pendingRecord } from "../../src/api/records.ts";
import { conversation, stillTalks } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Asserts `e` is an MlsError with `code` whose field starts with `field`. */
function isError(code: string, field?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) {
      assert.ok(
        e.field?.startsWith(field),
        `field ${e.field}, expected ${field}: ${e.message}`,
      );
    }
    return true;
  };
}

/** `f` rejects (not throws synchronously) with `code` naming `field`. */
async function rejects(
  f: () => Promise<unknown>,
  code: string,
  field?: string,
) {
  await assert.rejects(f, isError(code, field));
}

function lifetimeOf(kp: KeyPackage) {
  return (kp.leafNode as { lifetime?: { notBefore: bigint; notAfter: bigint } })
    .lifetime!;
}

function keyPackageOf(bytes: Uint8Array): KeyPackage {
  const m = decode(mlsMessageCodec, bytes, "kp");
  assert.equal(m.wireFormat, WireFormat.mlsKeyPackage);
  if (m.wireFormat !== WireFormat.mlsKeyPackage) throw new Error("no");
  return m.keyPackage;
}

Deno.test("papercut: wrong argument types are invalid_argument naming the argument", async () => {
  const { mls, alice, bob, a, b, add } = await conversation();
  const cred = await mls.generateCredential("alice");
  const kp = await mls.generateKeyPackage(bob, cred);
  const x: Any = undefined;
  const bad: Array<[() => Promise<unknown>, string]> = [
    // MLS
    [() => mls.generateIdentity(null as Any), "options"],
    [() => mls.generateCredential(null as Any), "name"],
    [() => mls.generateCredential(42 as Any), "name"],
    [() => mls.generateKeyPackage(null as Any, cred), "identity"],
    [() => mls.generateKeyPackage(alice, null as Any), "credential"],
    [
      () =>
        mls.generateKeyPackage(alice, {
          type: "credential",
          credentialType: "basic",
          identity: "alice",
        } as Any),
      "credential.identity",
    ],
    [() => mls.generateKeyPackage(alice, cred, "x" as Any), "options"],
    [
      () => mls.generateKeyPackage(alice, cred, { lastResort: "yes" as Any }),
      "options.lastResort",
    ],
    [() => mls.groupCreate(alice, null as Any), "credential"],
    [
      () => mls.groupCreate(alice, cred, { groupId: 5 as Any }),
      "options.groupId",
    ],
    [() => mls.groupCreate(alice, cred, { groupId: "zz" }), "options.groupId"],
    [
      () => mls.groupCreate(alice, cred, { config: { maxPastEpochs: -1 } }),
      "options.config.maxPastEpochs",
    ],
    [() => mls.groupGet(null as Any, alice), "groupId"],
    [() => mls.groupGet(a.groupId, 7 as Any), "clientId"],
    [() => mls.groupJoin(bob, null as Any), "welcome"],
    [() => mls.groupJoin(bob, "welcome" as Any), "welcome"],
    [
      () => mls.groupJoin(bob, add, { ratchetTree: "x" as Any }),
      "options.ratchetTree",
    ],
    [() => mls.groupJoinExternal(bob, cred, null as Any), "groupInfo"],
    [
      async () =>
        mls.groupJoinExternal(bob, cred, await a.groupInfo(), {
          resync: 1 as Any,
        }),
      "options.resync",
    ],
    [() => mls.getGroupIdFromMessage(null as Any), "message"],
    // GroupView
    [() => b.receive(null as Any), "message"],
    [() => b.receive("hello" as Any), "message"],
    [() => b.receive({ type: "commit" } as Any), "message"],
    [() => b.send(null as Any), "message"],
    [() => b.send(42 as Any), "message"],
    [() => a.add(null as Any), "keyPackages"],
    [() => a.add([]), "keyPackages"],
    [() => a.add([kp, 5 as Any]), "keyPackages.1"],
    [() => a.proposeAdd(x), "keyPackage"],
    [() => a.remove(null as Any), "members"],
    [() => a.remove([]), "members"],
    [() => a.remove([bob, 3 as Any]), "members.1"],
    [() => a.remove({ identity: 5 as Any }), "members.identity"],
    [() => a.proposeRemove(null as Any), "member"],
    [() => a.exportSecret(1 as Any, "c", 16), "label"],
    [() => a.exportSecret("l", null as Any, 16), "context"],
    [() => a.exportSecret("l", "c", -1), "length"],
    [() => a.exportSecret("l", "c", 1.5), "length"],
    [() => a.groupInfo("x" as Any), "options"],
    [() => a.groupInfo({ ratchetTree: "yes" as Any }), "options.ratchetTree"],
  ];
  for (const [f, field] of bad) await rejects(f, "invalid_argument", field);
  assert.throws(
    () => a.membersByIdentity(null as Any),
    isError("invalid_argument", "identity"),
  );
  // Nothing changed: the conversation goes on.
  assert.equal(a.epoch, 1n);
  assert.equal(b.epoch, 1n);
  await stillTalks(a, b);
});

Deno.test("papercut: MLSOptions are checked by the constructor", async () => {
  const bad: Array<[unknown, string, string]> = [
    [{ cipherSuite: 99 }, "unsupported_cipher_suite", "cipherSuite"],
    [{ cipherSuite: "1" }, "invalid_argument", "cipherSuite"],
    [{ cipherSuite: 1.5 }, "invalid_argument", "cipherSuite"],
    [{ storage: {} }, "invalid_argument", "storage"],
    [{ provider: {} }, "invalid_argument", "provider"],
    [{ authorize: true }, "invalid_argument", "authorize"],
    [{ autoCommit: "no" }, "invalid_argument", "autoCommit"],
    [{ psks: {} }, "invalid_argument", "psks"],
    [{ groupConfig: "x" }, "invalid_argument", "groupConfig"],
    [
      { groupConfig: { handshakeWireFormat: "clear" } },
      "invalid_argument",
      "groupConfig.handshakeWireFormat",
    ],
    [
      { groupConfig: { maxPastEpochs: -1 } },
      "invalid_argument",
      "groupConfig.maxPastEpochs",
    ],
    [
      { groupConfig: { padding: { blockSize: 0 } } },
      "invalid_argument",
      "groupConfig.padding.blockSize",
    ],
    [
      { groupConfig: { externalPub: "yes" } },
      "invalid_argument",
      "groupConfig.externalPub",
    ],
    [null, "invalid_argument", "options"],
  ];
  for (const [options, code, field] of bad) {
    assert.throws(() => new MLS(options as Any), isError(code, field));
  }
  const mls = new MLS({
    cipherSuite: 2,
    groupConfig: { handshakeWireFormat: "public", padding: { blockSize: 32 } },
  });
  const id = await mls.generateIdentity();
  assert.equal(id.cipherSuite, 2);
  await rejects(
    () => mls.generateIdentity({ cipherSuite: 99 }),
    "unsupported_cipher_suite",
    "options.cipherSuite",
  );
});

Deno.test("papercut: bytes that are not an MLS message, or not the kind the call takes", async () => {
  const { mls, a, b } = await conversation();
  const random = crypto.getRandomValues(new Uint8Array(64));
  random[0] = 0xab; // the version field: not mls10
  const carol = await mls.generateIdentity();
  const cred = await mls.generateCredential("carol");
  await rejects(() => b.receive(random), "not_mls_message", "message.version");
  await rejects(
    () => mls.groupJoin(carol, random),
    "not_mls_message",
    "welcome.version",
  );
  await rejects(
    () => mls.groupJoinExternal(carol, cred, random),
    "not_mls_message",
    "groupInfo.version",
  );
  await rejects(() => a.add(random), "not_mls_message", "keyPackages.version");
  await rejects(
    () => mls.getGroupIdFromMessage(random),
    "not_mls_message",
    "message.version",
  );
  await assert.rejects(() => b.receive(random), /not an MLS message/);
  // MLS messages of the wrong kind.
  const kp = await mls.generateKeyPackage(carol, cred);
  const add = await a.add(kp);
  await a.clearPendingCommit();
  await rejects(
    () => b.receive(kp),
    "invalid_wire_format",
    "message.wireFormat",
  );
  await rejects(
    () => b.receive(kp.bytes),
    "invalid_wire_format",
    "message.wireFormat",
  );
  await assert.rejects(() => b.receive(kp.bytes), /got a KeyPackage/);
  await rejects(
    () => b.receive(add.welcome!),
    "invalid_wire_format",
    "message.wireFormat",
  );
  await rejects(
    () => mls.groupJoin(carol, add.commit),
    "invalid_wire_format",
    "welcome.wireFormat",
  );
  await rejects(
    () => a.add(add.welcome!),
    "invalid_wire_format",
    "keyPackages.wireFormat",
  );
  await rejects(
    () => mls.groupJoinExternal(carol, cred, kp),
    "invalid_wire_format",
    "groupInfo.wireFormat",
  );
  await rejects(
    () => mls.getGroupIdFromMessage(add.welcome!),
    "invalid_wire_format",
    "message.wireFormat",
  );
  assert.equal(b.epoch, 1n);
  await stillTalks(a, b);
});

Deno.test("papercut: CommitReceived.updated includes a committer that updated by its path", async () => {
  const storage = new MemoryStorage();
  const { a, b, c, alice, bob } = await conversation(new MLS({ storage }));
  const ids = (r: Awaited<ReturnType<GroupView["receive"]>>) => {
    assert.equal(r.type, "commit");
    return r.type === "commit" ? r.updated.map((m) => m.clientId).sort() : [];
  };
  // Another member's self-update, and our own coming back.
  const upd = await b.update();
  assert.deepEqual(ids(await a.receive(upd)), [bob.clientId]);
  assert.deepEqual(ids(await c.receive(upd)), [bob.clientId]);
  assert.deepEqual(ids(await b.receive(upd)), [bob.clientId]);
  // Our own, applied without coming back.
  const upd2 = await a.update();
  assert.deepEqual(ids(await a.applyPendingCommit()), [alice.clientId]);
  assert.deepEqual(ids(await b.receive(upd2)), [alice.clientId]);
  assert.deepEqual(ids(await c.receive(upd2)), [alice.clientId]);
  // An Update proposal committed by another member: both updated.
  const proposal = await b.proposeUpdate();
  const received = await a.receive(proposal);
  assert.equal(received.type, "proposal");
  const commit = received.type === "proposal" ? received.commitOutput! : null!;
  await c.receive(proposal);
  const both = [alice.clientId, bob.clientId].sort();
  assert.deepEqual(ids(await b.receive(commit)), both);
  assert.deepEqual(ids(await c.receive(commit)), both);
  assert.deepEqual(ids(await a.receive(commit)), both);
  // A pending commit stored, then applied by another instance: the summary
  // survives storage.
  await a.update();
  const again = await new MLS({ storage }).groupGet(a.groupId, alice);
  assert.deepEqual(ids(await again!.applyPendingCommit()), [alice.clientId]);
  // A pending record stored without a summary (format version 1) still
  // applies, summarised from the member lists.
  const removal = await again!.remove(bob);
  const key = `pending/${a.groupId}/${alice.clientId}`;
  const stored = pendingRecord.decode((await storage.get(key)) as Uint8Array);
  assert.ok(stored.summary);
  const v1 = pendingRecord.encode({ ...stored, summary: undefined });
  assert.equal(v1[0], 1);
  await storage.batch([{ key, value: v1 }]);
  const old = await new MLS({ storage }).groupGet(a.groupId, alice);
  const r = await old!.receive(removal);
  assert.equal(r.type, "commit");
  if (r.type === "commit") {
    assert.deepEqual(r.removed.map((m) => m.clientId), [bob.clientId]);
  }
});

/** A storage whose batches fail on demand. */
class FlakyStorage implements Storage {
  readonly inner = new MemoryStorage();
  readonly canStoreCryptoKeys = true;
  fail = false;
  get(key: string) {
    return this.inner.get(key);
  }
  batch(writes: readonly StorageWrite[]) {
    if (this.fail) return Promise.reject(new Error("disk full"));
    return this.inner.batch(writes);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
}

const wireFormatOf = (bytes: Uint8Array) => (bytes[2] << 8) | bytes[3];

Deno.test("papercut: a view's handshake wire format can be changed, and set at join", async () => {
  const storage = new FlakyStorage();
  const mls = new MLS({ storage });
  const { a, b, alice, add } = await conversation(mls);
  assert.equal(a.handshakeWireFormat, "private");
  assert.equal(wireFormatOf(add.commit), WireFormat.mlsPrivateMessage);
  await a.setHandshakeWireFormat("public");
  assert.equal(a.handshakeWireFormat, "public");
  const upd = await a.update();
  assert.equal(wireFormatOf(upd.commit), WireFormat.mlsPublicMessage);
  await a.receive(upd);
  await b.receive(upd);
  // The setting is stored with the group, and survives the next epoch.
  const loaded = await new MLS({ storage }).groupGet(a.groupId, alice);
  assert.equal(loaded!.handshakeWireFormat, "public");
  const p = await a.proposeUpdate();
  assert.equal(wireFormatOf(p.proposal), WireFormat.mlsPublicMessage);
  await b.receive(p).then((r) =>
    r.type === "proposal" && r.commitOutput
      ? Promise.all([a.receive(r.commitOutput), b.receive(r.commitOutput)])
      : undefined
  );
  // A pending commit carries the setting into its epoch.
  await a.update();
  await a.setHandshakeWireFormat("private");
  await a.applyPendingCommit();
  assert.equal(a.handshakeWireFormat, "private");
  // Atomic: a failed write changes nothing.
  storage.fail = true;
  await rejects(() => a.setHandshakeWireFormat("public"), "storage_failure");
  storage.fail = false;
  assert.equal(a.handshakeWireFormat, "private");
  const reloaded = await new MLS({ storage }).groupGet(a.groupId, alice);
  assert.equal(reloaded!.handshakeWireFormat, "private");
  await rejects(
    () => a.setHandshakeWireFormat("clear" as Any),
    "invalid_argument",
    "format",
  );
  // At join.
  const dave = await mls.generateIdentity();
  const added = await a.add(
    await mls.generateKeyPackage(dave, await mls.generateCredential("dave")),
  );
  await a.receive(added);
  const d = await mls.groupJoin(dave, added, { handshakeWireFormat: "public" });
  assert.equal(d.handshakeWireFormat, "public");
  assert.equal(
    wireFormatOf((await d.update()).commit),
    WireFormat.mlsPublicMessage,
  );
  await rejects(
    () => mls.groupJoin(dave, added, { handshakeWireFormat: "clear" as Any }),
    "invalid_argument",
    "options.handshakeWireFormat",
  );
});

Deno.test("papercut: generateKeyPackage sets capabilities, lifetime and extensions", async () => {
  const mls = new MLS();
  const [alice, bob] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const cred = await mls.generateCredential("bob");
  const now = Math.floor(Date.now() / 1000);
  const notBefore = new Date((now - 86400) * 1000);
  const notAfter = new Date((now + 2 * 86400) * 1000);
  const data = new Uint8Array([1, 2, 3]);
  const out = await mls.generateKeyPackage(bob, cred, {
    capabilities: { proposals: [0xf0a1] },
    lifetime: { notBefore, notAfter },
    extensions: [{ extensionType: 0xf0b2, extensionData: data }],
    leafExtensions: [{ extensionType: 0xf0c3, extensionData: data }],
  });
  const kp = keyPackageOf(out.bytes);
  const caps = kp.leafNode.capabilities;
  assert.deepEqual(caps.proposals, [0xf0a1]);
  // last_resort and webmls's export consumer list (0xf0e5) by default.
  assert.deepEqual(caps.extensions.sort(), [0x000a, 0xf0b2, 0xf0c3, 0xf0e5]);
  assert.deepEqual(caps.versions, [1]);
  assert.deepEqual(caps.cipherSuites, [1]);
  assert.deepEqual(lifetimeOf(kp), {
    notBefore: BigInt(now - 86400),
    notAfter: BigInt(now + 2 * 86400),
  });
  assert.deepEqual(kp.extensions, [{
    extensionType: 0xf0b2,
    extensionData: data,
  }]);
  assert.deepEqual(kp.leafNode.extensions, [{
    extensionType: 0xf0c3,
    extensionData: data,
  }]);
  // The package works.
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const add = await a.add(out);
  await a.receive(add);
  assert.equal((await mls.groupJoin(bob, add)).members.length, 2);
  // A duration.
  const weekKp = keyPackageOf(
    (await mls.generateKeyPackage(bob, cred, { lifetime: { seconds: 604800 } }))
      .bytes,
  );
  const week = lifetimeOf(weekKp);
  const after = Number(week.notAfter) - Math.floor(Date.now() / 1000);
  assert.ok(after > 604700 && after <= 604800, `${after}`);
  // Refused, RFC 9420 §7.2 and §10.
  const refused: Array<[unknown, string]> = [
    [{ capabilities: { extensions: [2] } }, "options.capabilities.extensions"],
    [{ capabilities: { proposals: [3] } }, "options.capabilities.proposals"],
    [
      {
        capabilities: { extensions: [] },
        extensions: [{ extensionType: 0xf0b2, extensionData: data }],
      },
      "options.capabilities.extensions",
    ],
    [
      { capabilities: { cipherSuites: [2] } },
      "options.capabilities.cipherSuites",
    ],
    [
      { capabilities: { credentials: [2] } },
      "options.capabilities.credentials",
    ],
    [{ capabilities: { versions: [2] } }, "options.capabilities.versions"],
    [
      { capabilities: { proposals: [70000] } },
      "options.capabilities.proposals.0",
    ],
    [
      { lifetime: { notBefore: notAfter, notAfter: notBefore } },
      "options.lifetime.notAfter",
    ],
    [
      { lifetime: { notBefore: "yesterday", notAfter } },
      "options.lifetime.notBefore",
    ],
    [{ lifetime: { seconds: 0 } }, "options.lifetime.seconds"],
    [
      {
        extensions: [
          { extensionType: 0xf0b2, extensionData: data },
          { extensionType: 0xf0b2, extensionData: data },
        ],
      },
      "options.extensions.1.extensionType",
    ],
    [
      {
        lastResort: true,
        extensions: [{
          extensionType: 0x000a,
          extensionData: new Uint8Array(),
        }],
      },
      "options.extensions",
    ],
    [
      { extensions: [{ extensionType: 1, extensionData: "x" }] },
      "options.extensions.0.extensionData",
    ],
  ];
  for (const [options, field] of refused) {
    await rejects(
      () => mls.generateKeyPackage(bob, cred, options as Any),
      "invalid_argument",
      field,
    );
  }
});

Deno.test("papercut: members found and removed by credential identity", async () => {
  const mls = new MLS();
  const [alice, bob1, bob2, carol] = await Promise.all(
    [0, 1, 2, 3].map(() => mls.generateIdentity()),
  );
  const bob = await mls.generateCredential("bob");
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const add = await a.add([
    await mls.generateKeyPackage(bob1, bob),
    await mls.generateKeyPackage(bob2, bob),
    await mls.generateKeyPackage(carol, await mls.generateCredential("carol")),
  ]);
  await a.receive(add);
  const c = await mls.groupJoin(carol, add);
  const found = a.membersByIdentity("bob");
  assert.deepEqual(
    found.map((m) => m.clientId).sort(),
    [bob1.clientId, bob2.clientId].sort(),
  );
  assert.deepEqual(a.membersByIdentity(new TextEncoder().encode("bob")), found);
  assert.deepEqual(a.membersByIdentity("nobody"), []);
  await rejects(
    () => a.remove({ identity: "nobody" }),
    "unknown_member",
    "members.identity",
  );
  await rejects(
    () => a.proposeRemove({ identity: "nobody" }),
    "unknown_member",
    "member.identity",
  );
  await rejects(
    () => a.remove({ identity: "alice" }),
    "remove_committer",
    "members.identity",
  );
  // A credential names its identity too.
  const proposals = await c.proposeRemove(bob);
  assert.equal(proposals.length, 2);
  assert.notEqual(proposals[0].ref, proposals[1].ref);
  // One identity, several leaves: all of them go.
  const removal = await a.remove({ identity: "bob" });
  const r = await a.receive(removal);
  assert.equal(r.type, "commit");
  if (r.type === "commit") {
    assert.deepEqual(
      r.removed.map((m) => m.clientId).sort(),
      [bob1.clientId, bob2.clientId].sort(),
    );
  }
  assert.deepEqual(a.membersByIdentity("bob"), []);
  const rc = await c.receive(removal);
  assert.equal(rc.type, "commit");
  assert.equal(c.members.length, 2);
});
