// Validation through the Web API (issues 13 and 22): a member's crafted
// proposal is refused on receipt and cannot stop the others from sending;
// an automatic commit that fails is reported and can be dropped; add()
// checks key package lifetimes; the application's credential validator is
// asked. Crafted messages come from the group layer, with the attacker's
// state loaded from storage.
import assert from "node:assert/strict";
import { type GroupView, MLS, MlsError } from "../../mod.ts";
import { defaultProvider } from "../../providers/mod.ts";
import type {
  CipherSuiteId,
  CryptoProvider,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { encode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { mlsMessageCodec } from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { loadState } from "../../src/api/persist.ts";
import { groupKey, signerKey } from "../../src/api/records.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import type { GroupState } from "../../src/group/state.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import type { Proposal } from "../../src/messages/proposal.ts";
import { signLeafNode } from "../../src/tree/leaf_signature.ts";
import { bytesOf, flipBit, forge, publicView } from "../group/helpers.ts";
import { conversation, rejectsUnchanged, stillTalks } from "./helpers.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** A member's state as stored (what a modified client would hold). */
async function stateOf(mls: MLS, g: GroupView): Promise<GroupState> {
  const signer = await mls.storage.get(signerKey(g.clientId));
  const loaded = await loadState(
    mls.storage,
    defaultProvider(),
    groupKey(g.groupId, g.clientId),
    g.groupId,
    g.clientId,
    signer as CryptoKey,
  );
  return loaded!.state;
}

/** A standalone proposal `s` sends without `propose`'s checks. */
async function forged(s: GroupState, proposal: Proposal): Promise<Uint8Array> {
  return bytesOf(
    await forge(publicView(s), { contentType: ContentType.proposal, proposal }),
  );
}

function keyPackageBytes(keyPackage: KeyPackage): Uint8Array {
  return encode(mlsMessageCodec, {
    version: 1,
    wireFormat: WireFormat.mlsKeyPackage,
    keyPackage,
  });
}

/** A key package of a fresh client, with the given lifetime. */
async function keyPackageLiving(
  cs: SuiteCrypto,
  name: string,
  notBefore: bigint,
  notAfter: bigint,
): Promise<Uint8Array> {
  const { keyPackage } = await generateKeyPackage(
    cs,
    { credentialType: 1, identity: text(name) },
    await cs.signatureGenerateKeyPair(),
    { lifetime: { notBefore, notAfter } },
  );
  return keyPackageBytes(keyPackage);
}

Deno.test("API: a forged Update keeping its key is refused on receipt; the others still send (issue 13)", async () => {
  const { mls, a, b, c } = await conversation();
  const bob = await stateOf(mls, b);
  const cur = bob.tree.getLeaf(bob.privateTree.leafIndex)!;
  const leafNode = await signLeafNode(bob.cs, bob.signer, {
    encryptionKey: cur.encryptionKey, // the same key: §12.1.2, §7.3
    signatureKey: cur.signatureKey,
    credential: cur.credential,
    capabilities: cur.capabilities,
    extensions: cur.extensions,
    leafNodeSource: 2,
  }, { groupId: bob.context.groupId, leafIndex: bob.privateTree.leafIndex });
  const update = await forged(bob, { proposalType: 2, leafNode });
  await rejectsUnchanged(mls, a, () => a.receive(update), "update_same_key");
  await rejectsUnchanged(mls, c, () => c.receive(update), "update_same_key");
  await stillTalks(a, c);
  await stillTalks(c, a);
  await stillTalks(b, a);
  // And they still commit.
  const commit = await a.update();
  for (const g of [a, b, c]) await g.receive(commit);
  await stillTalks(c, b);
});

Deno.test("API: a forged Add with a bad key package is refused on receipt (defect 1)", async () => {
  const { mls, a, b, c } = await conversation();
  const bob = await stateOf(mls, b);
  const cs = bob.cs;
  const { keyPackage } = await generateKeyPackage(
    cs,
    { credentialType: 1, identity: text("eve") },
    await cs.signatureGenerateKeyPair(),
  );
  const bad = { ...keyPackage, signature: flipBit(keyPackage.signature, 2) };
  const add = await forged(bob, { proposalType: 1, keyPackage: bad });
  await rejectsUnchanged(mls, a, () => a.receive(add), "invalid_signature");
  await rejectsUnchanged(mls, c, () => c.receive(add), "invalid_signature");
  await stillTalks(a, c);
  await stillTalks(c, b);
});

/** A provider whose HPKE key generation can be made to fail. */
function faultyProvider(): { provider: CryptoProvider; fail: boolean } {
  const base = defaultProvider();
  const control = { fail: false, provider: undefined! as CryptoProvider };
  control.provider = {
    name: "faulty",
    supportedSuites: base.supportedSuites,
    async suite(id: CipherSuiteId): Promise<SuiteCrypto> {
      const cs = await base.suite(id);
      return new Proxy(cs, {
        get(target, key) {
          if (key === "hpkeGenerateKeyPair" && control.fail) {
            return () =>
              Promise.reject(new MlsError("crypto_failure", "injected"));
          }
          const v = Reflect.get(target, key);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    },
  };
  return control;
}

Deno.test("API: a failed automatic commit is reported, and clearProposals() unblocks sending", async () => {
  const faulty = faultyProvider();
  const { mls, a, b, c } = await conversation({ provider: faulty.provider });
  const proposal = await b.proposeRemove(
    c.members.find((m) => m.clientId === c.clientId)!,
  );
  faulty.fail = true;
  const seen = await a.receive(proposal);
  faulty.fail = false;
  assert.equal(seen.type, "proposal");
  if (seen.type !== "proposal") return;
  assert.equal(seen.commitOutput, undefined);
  assert.ok(seen.commitError instanceof MlsError);
  assert.equal(seen.commitError.code, "crypto_failure");
  await rejectsUnchanged(mls, a, () => a.send("hi"), "proposals_pending");
  assert.equal(await a.clearProposals(), 1);
  assert.equal(await a.clearProposals(), 0);
  await stillTalks(a, c);
});

Deno.test("API: add() checks key package lifetimes (defect 9, §7.2, §7.3)", async () => {
  const mls = new MLS();
  const alice = await mls.generateIdentity();
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const cs = await defaultProvider().suite(1);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const day = 86400n, year = 365n * day;
  const cases: [string, Uint8Array, string][] = [
    [
      "expired a year ago",
      await keyPackageLiving(cs, "old", now - 2n * year, now - year),
      "invalid_lifetime",
    ],
    [
      "valid from next year",
      await keyPackageLiving(cs, "future", now + year, now + 2n * year),
      "invalid_lifetime",
    ],
    [
      "a lifetime of 2^63 s",
      await keyPackageLiving(cs, "forever", 0n, (1n << 63n) - 1n),
      "lifetime_too_long",
    ],
  ];
  for (const [, kp, code] of cases) {
    await rejectsUnchanged(mls, a, () => a.add(kp), code);
    await rejectsUnchanged(mls, a, () => a.proposeAdd(kp), code);
  }
  // A year-long lifetime is too long by default, fine when allowed.
  const long = await keyPackageLiving(cs, "long", now - day, now + year);
  await rejectsUnchanged(mls, a, () => a.add(long), "lifetime_too_long");
  const lenient = new MLS({ storage: mls.storage, maxLifetime: 400 * 86400 });
  const a2 = (await lenient.groupGet(a.groupId, alice))!;
  const added = await a2.add(long);
  await a2.receive(added);
  assert.equal(a2.members.length, 2);
});

Deno.test("API: the application's credential validator is asked (defect 8, §5.3.1)", async () => {
  const events: string[] = [];
  const mls = new MLS({
    validateCredential: (r) => {
      events.push(
        `${r.event}:${
          r.credential.credentialType === "basic" ? r.credential.name : "?"
        }`,
      );
      return !(r.credential.credentialType === "basic" &&
        r.credential.name === "mallory");
    },
  });
  const [alice, bob, mallory] = await Promise.all([
    mls.generateIdentity(),
    mls.generateIdentity(),
    mls.generateIdentity(),
  ]);
  const a = await mls.groupCreate(alice, await mls.generateCredential("alice"));
  const kpB = await mls.generateKeyPackage(
    bob,
    await mls.generateCredential("bob"),
  );
  const kpM = await mls.generateKeyPackage(
    mallory,
    await mls.generateCredential("mallory"),
  );
  await rejectsUnchanged(mls, a, () => a.add(kpM), "invalid_credential");
  const add = await a.add(kpB);
  await a.receive(add);
  const b = await mls.groupJoin(bob, add);
  assert.ok(events.includes("add:bob"), events.join());
  assert.ok(events.includes("join:alice"), events.join());
  // Bob proposes Mallory; Alice's validator refuses it on receipt.
  const b2 = new MLS({ storage: mls.storage });
  const bView = (await b2.groupGet(b.groupId, bob))!;
  const p = await bView.proposeAdd(kpM);
  await rejectsUnchanged(mls, a, () => a.receive(p), "invalid_credential");
  await stillTalks(a, b);
});
