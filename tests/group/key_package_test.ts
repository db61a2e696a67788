/**
 * Key package validation (RFC 9420 §10.1), one check at a time: each
 * tampered key package is signed again where the tampering would otherwise
 * be caught by another check, so the check under test is the only one that
 * can refuse it. Also through the API's `add()`.
 */
import assert from "node:assert/strict";
import { encode } from "../../src/codec/codec.ts";
import { signWithLabel } from "../../src/crypto/labeled.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { validateKeyPackage } from "../../src/group/key_package.ts";
import {
  type KeyPackage,
  keyPackageTBSCodec,
} from "../../src/messages/key_package.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { MLS } from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import { client, flipBit, keyPackageOf, rejectsWith } from "./helpers.ts";

const cs = await defaultProvider().suite(1);
const bob = await client(cs, "bob");

/** `kp` with its outer signature made again by bob. */
async function resign(kp: KeyPackage): Promise<KeyPackage> {
  const { signature: _, ...tbs } = kp;
  const signature = await signWithLabel(
    cs,
    bob.signer.privateKey,
    "KeyPackageTBS",
    encode(keyPackageTBSCodec, tbs),
  );
  return { ...tbs, signature };
}

function bytesOf(keyPackage: KeyPackage): Uint8Array {
  return encode(mlsMessageCodec, {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsKeyPackage,
    keyPackage,
  });
}

Deno.test("key package: a valid one passes, re-signed too (the tampering tests are sound)", async () => {
  const { keyPackage } = await keyPackageOf(cs, bob);
  await validateKeyPackage(cs, keyPackage, { now: new Date() });
  await validateKeyPackage(cs, await resign(keyPackage), { now: new Date() });
});

Deno.test("key package: its signature must verify (§10.1)", async () => {
  const { keyPackage } = await keyPackageOf(cs, bob);
  const bad = { ...keyPackage, signature: flipBit(keyPackage.signature, 3) };
  await rejectsWith(validateKeyPackage(cs, bad), "invalid_signature", "kp");
});

Deno.test("key package: its leaf node's signature must verify (§10.1, §7.3)", async () => {
  const { keyPackage } = await keyPackageOf(cs, bob);
  const leafNode = {
    ...keyPackage.leafNode,
    signature: flipBit(keyPackage.leafNode.signature, 3),
  };
  const bad = await resign({ ...keyPackage, leafNode });
  await rejectsWith(validateKeyPackage(cs, bad), "invalid_signature", "leaf");
});

Deno.test("key package: init_key must differ from the leaf's encryption_key (§10.1)", async () => {
  const { keyPackage } = await keyPackageOf(cs, bob);
  const bad = await resign({
    ...keyPackage,
    initKey: keyPackage.leafNode.encryptionKey,
  });
  await rejectsWith(validateKeyPackage(cs, bad), "init_key_reused", "init");
});

Deno.test("key package: outside its lifetime it is refused when the time is known (§7.3)", async () => {
  const { keyPackage } = await keyPackageOf(cs, bob);
  const leaf = keyPackage.leafNode;
  if (!("lifetime" in leaf)) {
    throw new Error("a key package leaf has a lifetime");
  }
  const { notBefore, notAfter } = leaf.lifetime;
  const at = (s: bigint) => new Date(Number(s) * 1000);
  await validateKeyPackage(cs, keyPackage, { now: at(notBefore) });
  await rejectsWith(
    validateKeyPackage(cs, keyPackage, { now: at(notAfter + 1n) }),
    "invalid_lifetime",
    "expired",
  );
  await rejectsWith(
    validateKeyPackage(cs, keyPackage, { now: at(notBefore - 1n) }),
    "invalid_lifetime",
    "not yet valid",
  );
});

Deno.test("key package: the API's add() refuses each tampered key package and adds nothing", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const group = await mls.groupCreate(
    alice,
    await mls.generateCredential("alice"),
  );
  const { keyPackage } = await keyPackageOf(cs, bob);
  const cases: [KeyPackage, string][] = [
    [
      { ...keyPackage, signature: flipBit(keyPackage.signature, 1) },
      "invalid_signature",
    ],
    [
      await resign({
        ...keyPackage,
        leafNode: {
          ...keyPackage.leafNode,
          signature: flipBit(keyPackage.leafNode.signature, 1),
        },
      }),
      "invalid_signature",
    ],
    [
      await resign({
        ...keyPackage,
        initKey: keyPackage.leafNode.encryptionKey,
      }),
      "init_key_reused",
    ],
  ];
  for (const [kp, code] of cases) {
    await rejectsWith(group.add(bytesOf(kp)), code, code);
    assert.equal(group.epoch, 0n);
    assert.equal((await group.details()).members.length, 1);
  }
  await group.add(bytesOf(keyPackage));
});
