/**
 * Error codes of the group layer that no other test asserted (issue 13,
 * tests/errors_test.ts), each provoked the way a peer or a caller would:
 * a path secret that does not match the tree (in a Welcome and in a
 * commit), a Welcome whose GroupInfo the joiner signed itself, an external
 * commit that carries an Update, resuming a
 * group that was never reinitialized, and proposals or key packages that
 * the codec cannot carry but a caller can hand over (a ReInit to an older
 * version, an unknown proposal type, a key package that is not MLS 1.0).
 */
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { encode } from "../../src/codec/codec.ts";
import {
  decryptWithLabel,
  encryptWithLabel,
} from "../../src/crypto/labeled.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { createCommit } from "../../src/group/commit.ts";
import { groupInfoFor, signGroupInfo } from "../../src/group/group_info.ts";
import { validateKeyPackage } from "../../src/group/key_package.ts";
import { propose } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import { joinReinit, reinitGroup } from "../../src/group/resumption.ts";
import {
  createWelcome,
  joinFromWelcome,
  openGroupSecrets,
} from "../../src/group/welcome.ts";
import { groupContextCodec } from "../../src/messages/group_context.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import { uncheckedExternalCommit } from "./forge_commit.ts";
import {
  client,
  forge,
  groupOf,
  keyPackageOf,
  rejectsWith,
  wire,
} from "./helpers.ts";

const provider = defaultProvider();

/**
 * A two-member group's creator adding `dave`, and `craft`, which builds the
 * Welcome the committer would have sent with another GroupInfo or path
 * secret (the joiner's GroupSecrets opened with its init key and sealed
 * again; no PSKs in these groups).
 */
async function addDave(cs: SuiteCrypto) {
  const g = await groupOf(cs, ["alice", "bob"]);
  const dave = await client(cs, "dave");
  const kp = await keyPackageOf(cs, dave);
  const add = await createCommit(g.states[0], {
    proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
  });
  const join = (w: Welcome) =>
    joinFromWelcome(cs, w, {
      keyPackage: kp.keyPackage,
      ...kp.privateKeys,
      signer: dave.signer.privateKey,
    });
  const craft = async (
    info: GroupInfo,
    pathSecret?: (honest: Uint8Array) => Uint8Array,
  ): Promise<Welcome> => {
    const secrets = await openGroupSecrets(
      cs,
      add.welcome!,
      kp.keyPackage,
      kp.privateKeys.initPrivateKey,
    );
    assert.equal(secrets.psks.length, 0);
    const honest = secrets.pathSecret!.pathSecret;
    return await createWelcome(
      cs,
      info,
      secrets.joinerSecret,
      new Uint8Array(cs.hashLength), // psk_secret with no PSKs (§8.4)
      [],
      [{
        keyPackage: kp.keyPackage,
        pathSecret: pathSecret ? pathSecret(honest) : honest,
      }],
    );
  };
  return { g, add, dave, join, craft };
}

Deno.test("join: a Welcome path secret that does not give the tree's keys is invalid_path_public_key (§12.4.3.1, §7.5)", async () => {
  const cs = await provider.suite(1);
  const { add, join, craft } = await addDave(cs);
  // Rebuilt untampered, the Welcome is accepted.
  const joined = await join(await craft(add.groupInfo));
  assert.equal(joined.state.context.epoch, add.state.context.epoch);
  await rejectsWith(
    join(await craft(add.groupInfo, () => cs.randomBytes(cs.hashLength))),
    "invalid_path_public_key",
    "a random path secret",
  );
});

Deno.test("join: a GroupInfo signed by the joiner itself puts the path secret off its path: invalid_path_secret (§12.4.3.1)", async () => {
  const cs = await provider.suite(1);
  const { add, dave, join, craft } = await addDave(cs);
  const me = add.state.tree.findLeafBySignatureKey(
    dave.signer.publicKey,
  )!;
  assert.equal(me, 2);
  // The signature verifies (Dave's own key, Dave's own leaf), so only the
  // position of the path secret can tell: the common ancestor of the
  // joiner and the signer is the joiner's own leaf.
  const { signature: _, ...tbs } = add.groupInfo;
  const selfSigned = await signGroupInfo(
    cs,
    { ...tbs, signer: me },
    dave.signer.privateKey,
  );
  await rejectsWith(
    join(await craft(selfSigned)),
    "invalid_path_secret",
    "signed by the joiner",
  );
});

Deno.test("commit: a path secret encrypted to a member that does not give the path's keys is invalid_path_public_key (§12.4.2, §7.6)", async () => {
  const cs = await provider.suite(1);
  const g = await groupOf(cs, ["alice", "bob"], {
    handshakeWireFormat: "public",
  });
  const [a, b] = g.states;
  const honest = await createCommit(a, {});
  const m = honest.message;
  if (m.wireFormat !== WireFormat.mlsPublicMessage) throw new Error("public?");
  const content = m.publicMessage.content;
  if (content.contentType !== ContentType.commit) throw new Error("commit?");
  const path = content.commit.path!;
  // Alice's filtered direct path is the root, its copath Bob's leaf: one
  // ciphertext, to Bob's leaf key, under the provisional GroupContext.
  assert.equal(path.nodes.length, 1);
  assert.equal(path.nodes[0].encryptedPathSecret.length, 1);
  const provisional = encode(groupContextCodec, {
    ...a.context,
    epoch: a.context.epoch + 1n,
    treeHash: honest.state.context.treeHash,
  });
  const bobLeaf = b.tree.getLeaf(1)!.encryptionKey;
  const reseal = async (secret: Uint8Array) => {
    const ct = await encryptWithLabel(
      cs,
      bobLeaf,
      "UpdatePathNode",
      provisional,
      secret,
    );
    const commit = {
      ...content.commit,
      path: {
        ...path,
        nodes: [{ ...path.nodes[0], encryptedPathSecret: [ct] }],
      },
    };
    // Signed and tagged by Alice herself.
    return await forge(a, { contentType: ContentType.commit, commit }, {
      confirmationTag: m.publicMessage.auth.confirmationTag,
    });
  };
  // Sealed again with the honest path secret (as Bob opens it), the path
  // is accepted and only the confirmation tag (over the changed content)
  // fails: below, only the secret differs.
  const sealed = path.nodes[0].encryptedPathSecret[0];
  const pathSecret = await decryptWithLabel(
    cs,
    b.privateTree.privateKey(2)!,
    "UpdatePathNode",
    provisional,
    sealed.kemOutput,
    sealed.ciphertext,
    bobLeaf,
  );
  await rejectsWith(
    receiveMessage(b, wire(await reseal(pathSecret))),
    "invalid_confirmation_tag",
    "the honest path secret",
  );
  await rejectsWith(
    receiveMessage(b, wire(await reseal(cs.randomBytes(cs.hashLength)))),
    "invalid_path_public_key",
    "a random path secret",
  );
  // The honest commit still applies.
  assert.equal((await receiveMessage(b, wire(m))).kind, "commit");
});

Deno.test("resumption: reinitGroup and joinReinit on a group without a committed ReInit are not_reinitialized (§11.2)", async () => {
  const cs = await provider.suite(1);
  const g = await groupOf(cs, ["alice", "bob"]);
  const [a, b] = g.states;
  const bobKp = await keyPackageOf(cs, g.clients[1]);
  await rejectsWith(
    reinitGroup(cs, a, g.clients[0].signer, [bobKp.keyPackage]),
    "not_reinitialized",
    "reinitGroup",
  );
  // A Welcome into a new group, which Bob may not treat as the ReInit's.
  const fresh = await createCommit(a, {
    proposals: [{
      proposalType: ProposalType.add,
      keyPackage: (await keyPackageOf(cs, await client(cs, "carol")))
        .keyPackage,
    }],
  });
  await rejectsWith(
    joinReinit(cs, b, fresh.welcome!, {
      keyPackage: bobKp.keyPackage,
      ...bobKp.privateKeys,
      signer: g.clients[1].signer.privateKey,
    }),
    "not_reinitialized",
    "joinReinit",
  );
});

Deno.test("propose: a ReInit to an older protocol version is invalid_reinit (§12.1.5)", async () => {
  const cs = await provider.suite(1);
  const g = await groupOf(cs, ["alice", "bob"]);
  const reinit = (version: number): Proposal => ({
    proposalType: ProposalType.reinit,
    groupId: cs.randomBytes(16),
    version: version as ProtocolVersion,
    cipherSuite: cs.id,
    extensions: [],
  });
  // The current version is accepted.
  await propose(g.states[0], reinit(ProtocolVersion.mls10));
  // Version 0 ("reserved") cannot be decoded from the wire; handed over
  // directly, it is refused before anything is signed.
  await rejectsWith(
    propose(g.states[0], reinit(0)),
    "invalid_reinit",
    "version 0",
  );
});

Deno.test("propose: a proposal of an unknown type is unsupported_proposal (§12.2)", async () => {
  const cs = await provider.suite(1);
  const g = await groupOf(cs, ["alice", "bob"]);
  // The codec refuses unknown types on the wire; a caller can still hand
  // one over.
  const unknown = { proposalType: 0x0a0a } as unknown as Proposal;
  await rejectsWith(
    propose(g.states[0], unknown),
    "unsupported_proposal",
    "type 0x0a0a",
  );
});

Deno.test("key package: a KeyPackage that is not MLS 1.0 is unsupported_version (§10.1)", async () => {
  const cs = await provider.suite(1);
  const { keyPackage } = await keyPackageOf(cs, await client(cs, "erin"));
  await validateKeyPackage(cs, keyPackage);
  const other: KeyPackage = {
    ...keyPackage,
    version: 2 as KeyPackage["version"],
  };
  await rejectsWith(
    validateKeyPackage(cs, other),
    "unsupported_version",
    "version 2",
  );
});

Deno.test("commit: an external commit carrying an Update is invalid_update_sender (§12.1.2)", async () => {
  const cs = await provider.suite(1);
  const g = await groupOf(cs, ["alice", "bob"], {
    handshakeWireFormat: "public",
  });
  const info = await groupInfoFor(g.states[0]);
  const eve = await client(cs, "eve");
  // Without the Update, Eve's external commit is accepted.
  const plain = await uncheckedExternalCommit(cs, info, eve, []);
  assert.equal((await receiveMessage(g.states[0], wire(plain))).kind, "commit");
  // The Update's sender is the new member, not a member's leaf: each
  // proposal is checked (§12.1) before the external commit's list (§12.2).
  const { keyPackage } = await keyPackageOf(cs, eve);
  const update: Proposal = {
    proposalType: ProposalType.update,
    leafNode: keyPackage.leafNode,
  };
  const withUpdate = await uncheckedExternalCommit(cs, info, eve, [update]);
  for (const s of g.states) {
    await rejectsWith(
      receiveMessage(s, wire(withUpdate)),
      "invalid_update_sender",
      "Update in an external commit",
    );
  }
});
