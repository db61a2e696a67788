/**
 * The export consumers GroupContext extension (webmls private use,
 * 0xF0E5): its codec's rules, and authorizeConsumer / revokeConsumer /
 * details / sealExports on group views.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/codec/codec.ts";
import { decode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { decryptWithLabel } from "../../src/crypto/labeled.ts";
import {
  decodeExportConsumers,
  EXPORT_CONSUMERS_EXTENSION,
  EXPORT_SEAL_LABEL,
  type ExportConsumer,
  exportConsumersCodec,
  exportSealContext,
  sealedExportsCodec,
} from "../../src/messages/export_consumers.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { utf8Encode } from "../../src/util/bytes.ts";
import { generateConsumerKeys } from "../../export.ts";
import { MLS } from "../../mod.ts";

function code(c: string) {
  return (e: unknown) => e instanceof MlsError && e.code === c;
}

const consumer = (over: Partial<ExportConsumer> = {}): ExportConsumer => ({
  consumerId: utf8Encode("sfu"),
  hpkePublicKey: new Uint8Array(32).fill(1),
  signatureKey: new Uint8Array(32).fill(2),
  grants: [{
    label: utf8Encode("media"),
    context: new Uint8Array(),
    length: 16,
  }],
  notAfter: 0n,
  ...over,
});

Deno.test("export consumers codec: round trip, no trailing bytes, the list's rules", () => {
  const bytes = encode(exportConsumersCodec, [consumer()]);
  assert.deepEqual(decodeExportConsumers(bytes), [consumer()]);
  assert.throws(
    () => decodeExportConsumers(new Uint8Array([...bytes, 0])),
    code("trailing_bytes"),
  );
  assert.throws(
    () => decodeExportConsumers(bytes.subarray(0, bytes.length - 1)),
    code("truncated"),
  );
  const bad: [ExportConsumer[], string][] = [
    [[consumer(), consumer()], "export_consumers[1].consumer_id"],
    [
      [consumer({ consumerId: new Uint8Array() })],
      "export_consumers[0].consumer_id",
    ],
    [
      [consumer({ consumerId: new Uint8Array([0xff]) })],
      "export_consumers[0].consumer_id",
    ],
    [[consumer({ grants: [] })], "export_consumers[0].grants"],
    [
      [consumer({ hpkePublicKey: new Uint8Array() })],
      "export_consumers[0].hpke_public_key",
    ],
    [
      [consumer({ signatureKey: new Uint8Array() })],
      "export_consumers[0].signature_key",
    ],
    [
      [consumer({
        grants: [{
          label: utf8Encode("x"),
          context: new Uint8Array(),
          length: 0,
        }],
      })],
      "export_consumers[0].grants[0].length",
    ],
    [
      [consumer({
        grants: [{
          label: utf8Encode("x"),
          context: new Uint8Array(),
          length: 1025,
        }],
      })],
      "export_consumers[0].grants[0].length",
    ],
    [
      [consumer({
        grants: [{
          label: new Uint8Array(),
          context: new Uint8Array(),
          length: 1,
        }],
      })],
      "export_consumers[0].grants[0].label",
    ],
    [
      [consumer({ grants: [consumer().grants[0], consumer().grants[0]] })],
      "export_consumers[0].grants[1]",
    ],
  ];
  for (const [list, field] of bad) {
    assert.throws(
      () => decodeExportConsumers(encode(exportConsumersCodec, list)),
      (e: unknown) =>
        e instanceof MlsError && e.code === "invalid_value" &&
        e.field === field,
      field,
    );
  }
});

async function twoMembers() {
  const mls = new MLS();
  const [alice, bob] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const added = await a.add(
    await mls.generateKeyPackage(bob, await mls.generateCredential("bob")),
  );
  await a.receive(added);
  const b = await mls.groupJoin(bob, added);
  return { mls, a, b };
}

Deno.test("authorizeConsumer / revokeConsumer: every member sees the list; other extensions are kept", async () => {
  const { a, b } = await twoMembers();
  const keys = await generateConsumerKeys(a.cipherSuite);
  // webmls clients list the type by default: it can be required.
  const setup = await a.setExtensions({
    requiredCapabilities: { extensions: [EXPORT_CONSUMERS_EXTENSION] },
  });
  await a.receive(setup);
  await b.receive(setup);
  const expires = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);
  const out = await a.authorizeConsumer({
    id: "sfu",
    hpkePublicKey: keys.hpkePublicKey,
    signaturePublicKey: keys.signaturePublicKey,
    exports: [{ label: "media", context: "call-1", length: 16 }, {
      label: "rec",
    }],
    expires,
  });
  await a.receive(out);
  await b.receive(out);
  const seen = b.details().extensions;
  assert.deepEqual(seen.requiredCapabilities?.extensions, [
    EXPORT_CONSUMERS_EXTENSION,
  ]);
  assert.deepEqual(seen.application, []);
  assert.deepEqual(seen.exportConsumers, [{
    id: "sfu",
    hpkePublicKey: keys.hpkePublicKey,
    signaturePublicKey: keys.signaturePublicKey,
    exports: [
      { label: "media", context: utf8Encode("call-1"), length: 16 },
      { label: "rec", context: new Uint8Array(), length: 32 },
    ],
    expires,
  }]);
  // Re-authorizing the same id replaces it; another id is added.
  const other = await generateConsumerKeys(a.cipherSuite);
  for (
    const c of [{ id: "sfu", ...keys, exports: [{ label: "media" }] }, {
      id: "rec",
      ...other,
      exports: [{ label: "rec" }],
    }]
  ) {
    const o = await b.authorizeConsumer(c);
    await a.receive(o);
    await b.receive(o);
  }
  assert.deepEqual(
    a.details().extensions.exportConsumers?.map((
      c,
    ) => [c.id, c.exports.length]),
    [["sfu", 1], ["rec", 1]],
  );
  // setExtensions with the details it read keeps the list.
  const kept = await a.setExtensions(a.details().extensions);
  await a.receive(kept);
  await b.receive(kept);
  assert.equal(b.details().extensions.exportConsumers?.length, 2);
  for (const id of ["sfu", "rec"]) {
    const o = await a.revokeConsumer(id);
    await a.receive(o);
    await b.receive(o);
  }
  assert.equal(b.details().extensions.exportConsumers, undefined);
});

Deno.test("authorizeConsumer: bad input is invalid_argument naming the field; revoking an unknown id too", async () => {
  const { a } = await twoMembers();
  const keys = await generateConsumerKeys(a.cipherSuite);
  const ok = { id: "sfu", ...keys, exports: [{ label: "media" }] };
  const bad: [unknown, string][] = [
    [{ ...ok, id: "" }, "consumer.id"],
    [{ ...ok, id: 7 }, "consumer.id"],
    [{ ...ok, exports: [] }, "consumer.exports"],
    [{ ...ok, exports: [{ label: "" }] }, "consumer.exports.0.label"],
    [
      { ...ok, exports: [{ label: "x", length: 0 }] },
      "consumer.exports.0.length",
    ],
    [
      { ...ok, exports: [{ label: "x", length: 1025 }] },
      "consumer.exports.0.length",
    ],
    [
      { ...ok, exports: [{ label: "x" }, { label: "x" }] },
      "consumer[0].grants[1]",
    ],
    [{ ...ok, hpkePublicKey: "k" }, "consumer.hpkePublicKey"],
    [{ ...ok, expires: new Date(NaN) }, "consumer.expires"],
  ];
  for (const [input, field] of bad) {
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      a.authorizeConsumer(input as any),
      (e: unknown) =>
        e instanceof MlsError && e.code === "invalid_argument" &&
        e.field === field,
      field,
    );
  }
  await assert.rejects(
    a.revokeConsumer("nobody"),
    (e: unknown) =>
      e instanceof MlsError && e.code === "invalid_argument" &&
      e.field === "id",
  );
  // The type is not an application extension.
  await assert.rejects(
    a.setExtensions({
      application: [{
        extensionType: EXPORT_CONSUMERS_EXTENSION,
        extensionData: new Uint8Array(),
      }],
    }),
    code("invalid_argument"),
  );
  assert.equal(a.epoch, 1n);
});

Deno.test("sealExports: one HPKE seal per grant that opens only with the epoch's bound info; expired consumers get none", async () => {
  const { a, b } = await twoMembers();
  const keys = await generateConsumerKeys(a.cipherSuite);
  const old = await generateConsumerKeys(a.cipherSuite);
  for (
    const c of [
      {
        id: "sfu",
        ...keys,
        exports: [{ label: "media", context: "c", length: 24 }],
      },
      {
        id: "old",
        ...old,
        exports: [{ label: "media" }],
        expires: new Date(1000),
      },
    ]
  ) {
    const o = await a.authorizeConsumer(c);
    await a.receive(o);
    await b.receive(o);
  }
  const sealed = decode(sealedExportsCodec, await b.sealExports(), "s");
  assert.equal(sealed.epoch, 3n);
  assert.equal(sealed.exports.length, 1);
  const [x] = sealed.exports;
  const cs = await defaultProvider().suite(a.cipherSuite);
  const info = (epoch: bigint) =>
    exportSealContext({
      groupId: sealed.groupId,
      epoch,
      consumerId: x.consumerId,
      label: x.label,
      context: x.context,
    });
  const open = (epoch: bigint) =>
    decryptWithLabel(
      cs,
      keys.hpkePrivateKey,
      EXPORT_SEAL_LABEL,
      info(epoch),
      x.sealed.kemOutput,
      x.sealed.ciphertext,
    );
  assert.deepEqual(await open(3n), await a.exportSecret("media", "c", 24));
  await assert.rejects(open(2n), code("crypto_failure"));
});

Deno.test("authorizeConsumer: a group with its own extensions can; a member that does not list the type blocks it", async () => {
  const mls = new MLS();
  const [alice, bob] = [
    await mls.generateIdentity(),
    await mls.generateIdentity(),
  ];
  const name = { extensionType: 0xff00, extensionData: utf8Encode("Team") };
  const a = await mls.groupCreate(alice, await mls.generateCredential("a"), {
    extensions: { application: [name] },
  });
  const keys = await generateConsumerKeys(a.cipherSuite);
  const sfu = {
    id: "sfu",
    hpkePublicKey: keys.hpkePublicKey,
    signaturePublicKey: keys.signaturePublicKey,
    exports: [{ label: "m" }],
  };
  await a.receive(await a.authorizeConsumer(sfu));
  assert.equal(a.details().extensions.application?.length, 1);
  await a.receive(await a.revokeConsumer("sfu"));
  // Bob's client lists only the group name: the list cannot be set.
  await a.receive(
    await a.add(
      await mls.generateKeyPackage(bob, await mls.generateCredential("b"), {
        capabilities: { extensions: [0xff00] },
      }),
    ),
  );
  await assert.rejects(
    a.authorizeConsumer(sfu),
    code("unsupported_group_extension"),
  );
});

Deno.test("authorizeConsumer refuses an HPKE key the suite cannot seal to; sealExports leaves out a bad key committed otherwise", async () => {
  const { a, b } = await twoMembers();
  const keys = await generateConsumerKeys(a.cipherSuite);
  const bad = {
    id: "bad",
    hpkePublicKey: new Uint8Array(5),
    signaturePublicKey: keys.signaturePublicKey,
    exports: [{ label: "m" }],
  };
  await assert.rejects(
    a.authorizeConsumer(bad),
    (e: unknown) =>
      e instanceof MlsError && e.code === "invalid_argument" &&
      e.field === "consumer.hpkePublicKey",
  );
  // setExtensions does not try the key: sealing skips it, not the others.
  const good = { ...bad, id: "good", hpkePublicKey: keys.hpkePublicKey };
  const o = await a.setExtensions({ exportConsumers: [bad, good] });
  await a.receive(o);
  await b.receive(o);
  const sealed = decode(sealedExportsCodec, await b.sealExports(), "s");
  assert.deepEqual(
    sealed.exports.map((x) => new TextDecoder().decode(x.consumerId)),
    ["good"],
  );
});
