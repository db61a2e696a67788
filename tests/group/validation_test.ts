// Receiver- and joiner-side validation (RFC 9420 §5.3.1, §7.2, §7.3, §10.1,
// §12.1, §12.2, §12.4.2, §12.4.3, §13.4): every attack below is crafted at
// the group layer, where a modified client can send what the API never
// builds. Each is refused with its own code, leaves the receiver's state as
// it was, and the honest members keep working (send, commit) afterwards.
// Issue 13 (standalone proposals) and issue 22 (nine defects).
import assert from "node:assert/strict";
import { encode } from "../../src/codec/codec.ts";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { signWithLabel } from "../../src/crypto/labeled.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import type { MLSMessage } from "../../src/framing/mls_message.ts";
import { createCommit } from "../../src/group/commit.ts";
import {
  createGroup,
  type CreateGroupOptions,
} from "../../src/group/create.ts";
import { joinExternal } from "../../src/group/external_join.ts";
import {
  externalProposal,
  externalSendersExtension,
  newMemberProposal,
} from "../../src/group/external_proposal.ts";
import { groupInfoFor, signGroupInfo } from "../../src/group/group_info.ts";
import {
  framePublic,
  protectPublic,
} from "../../src/framing/public_protect.ts";
import { signFramedContent } from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { requiredCapabilitiesCodec } from "../../src/messages/required_capabilities.ts";
import {
  defaultCapabilities,
  generateKeyPackage,
  type KeyPackageOptions,
} from "../../src/group/key_package.ts";
import { propose, sendApplication } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import { joinReinit, reinitGroup } from "../../src/group/resumption.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { Credential } from "../../src/messages/credential.ts";
import {
  applicationIdCodec,
  type Extension,
} from "../../src/messages/extension.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import {
  type KeyPackage,
  keyPackageTBSCodec,
} from "../../src/messages/key_package.ts";
import type { LeafNode } from "../../src/messages/leaf_node.ts";
import type { Proposal } from "../../src/messages/proposal.ts";
import { signLeafNode } from "../../src/tree/leaf_signature.ts";
import { utf8Decode } from "../../src/util/bytes.ts";
import { uncheckedCommit, uncheckedExternalCommit } from "./forge_commit.ts";
import {
  accept,
  assertGroupWorks,
  broadcast,
  type Client,
  client,
  flipBit,
  forge,
  keyPackageOf,
  publicView,
  rejectsWith,
  type TestGroup,
  wire,
} from "./helpers.ts";

const provider = defaultProvider();
const text = (s: string) => new TextEncoder().encode(s);
const basic = (name: string): Credential => ({
  credentialType: 1,
  identity: text(name),
});
const add = (keyPackage: KeyPackage): Proposal => ({
  proposalType: 1,
  keyPackage,
});
const ext = (extensionType: number, data = [1]): Extension => ({
  extensionType,
  extensionData: new Uint8Array(data),
});
/** Non-default extension types (§7.2), unknown to webmls. */
const EXT_A = 0xff0a;
const EXT_B = 0xff0b;

/**
 * A group whose first member creates it (with `create`) and adds the others
 * (their key packages made with `kp`) in one commit.
 */
async function setup(
  cs: SuiteCrypto,
  names: string[],
  options: { create?: CreateGroupOptions; kp?: KeyPackageOptions } = {},
): Promise<TestGroup> {
  const clients = await Promise.all(names.map((n) => client(cs, n)));
  const creator = await createGroup(
    cs,
    clients[0].credential,
    clients[0].signer,
    options.create,
  );
  const kps = await Promise.all(
    clients.slice(1).map((c) =>
      generateKeyPackage(cs, c.credential, c.signer, options.kp)
    ),
  );
  const c = await createCommit(creator, {
    proposals: kps.map((kp) => add(kp.keyPackage)),
  });
  const joined = await Promise.all(
    kps.map((kp, i) =>
      joinFromWelcome(cs, c.welcome!, {
        keyPackage: kp.keyPackage,
        ...kp.privateKeys,
        signer: clients[i + 1].signer.privateKey,
      })
    ),
  );
  return { cs, clients, states: [c.state, ...joined.map((j) => j.state)] };
}

/** Alice commits whatever she has pending; everyone processes it. */
async function aliceCommits(g: TestGroup): Promise<void> {
  const c = await createCommit(g.states[0]);
  await broadcast(g, 0, c.message, c.state);
}

/** `s`'s leaf re-signed as an Update leaf with the given changes. */
async function updateLeaf(
  s: GroupState,
  changes: { encryptionKey?: Uint8Array; credential?: Credential } = {},
): Promise<LeafNode> {
  const me = s.privateTree.leafIndex;
  const cur = s.tree.getLeaf(me)!;
  return await signLeafNode(s.cs, s.signer, {
    encryptionKey: changes.encryptionKey ??
      (await s.cs.hpkeGenerateKeyPair()).publicKey,
    signatureKey: cur.signatureKey,
    credential: changes.credential ?? cur.credential,
    capabilities: cur.capabilities,
    extensions: cur.extensions,
    leafNodeSource: 2,
  }, { groupId: s.context.groupId, leafIndex: me });
}

/** `kp` with its fields changed and signed again by `c`. */
async function resigned(
  cs: SuiteCrypto,
  c: Client,
  kp: KeyPackage,
  changes: Partial<Pick<KeyPackage, "initKey" | "leafNode">>,
): Promise<KeyPackage> {
  const tbs = { ...kp, ...changes };
  const signature = await signWithLabel(
    cs,
    c.signer.privateKey,
    "KeyPackageTBS",
    encode(keyPackageTBSCodec, tbs),
  );
  return { ...tbs, signature };
}

/** A key package whose init key is its leaf's encryption key (§10.1). */
async function initKeyReused(cs: SuiteCrypto, c: Client): Promise<KeyPackage> {
  const { keyPackage } = await keyPackageOf(cs, c);
  return await resigned(cs, c, keyPackage, {
    initKey: keyPackage.leafNode.encryptionKey,
  });
}

/** A key package with a broken signature. */
async function badSignature(cs: SuiteCrypto, c: Client): Promise<KeyPackage> {
  const { keyPackage } = await keyPackageOf(cs, c);
  return { ...keyPackage, signature: flipBit(keyPackage.signature, 5) };
}

/** A member's standalone proposal, crafted without `propose`'s checks. */
function forgedProposal(s: GroupState, proposal: Proposal) {
  return forge(s, { contentType: ContentType.proposal, proposal });
}

/** Asserts that every member but `from` refuses `msg` with `code`. */
async function allRefuse(
  g: TestGroup,
  from: number,
  msg: MLSMessage,
  code: string,
  what: string,
  options?: Parameters<typeof receiveMessage>[2],
): Promise<void> {
  for (let i = 0; i < g.states.length; i++) {
    if (i === from) continue;
    const before = g.states[i];
    await rejectsWith(receiveMessage(before, wire(msg), options), code, what);
    assert.equal(before.proposals.size, 0, `${what}: proposal cached`);
  }
}

function groupInfoOf(s: GroupState): Promise<GroupInfo> {
  return groupInfoFor(s);
}

Deno.test("issue 13: a standalone Update keeping the encryption key is refused on receipt", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const b = g.states[1];
  const same = await updateLeaf(b, {
    encryptionKey: b.tree.getLeaf(1)!.encryptionKey,
  });
  const msg = await forgedProposal(b, { proposalType: 2, leafNode: same });
  await allRefuse(g, 1, msg, "update_same_key", "same key (§12.1.2)");
  // Nothing blocks the honest members: Alice commits, everyone talks.
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("issue 13: every §12.1 check of a standalone proposal runs on receipt", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const b = g.states[1];
  const leaf = await updateLeaf(b);
  const cases: [string, Proposal, string][] = [
    ["PreSharedKey with a short nonce (§12.1.4)", {
      proposalType: 4,
      psk: { pskType: 1, pskId: text("x"), pskNonce: new Uint8Array(4) },
    }, "invalid_psk_nonce"],
    ["Remove of a blank leaf (§12.1.3)", {
      proposalType: 3,
      removed: 7,
    }, "remove_blank_leaf"],
    ["ReInit with a repeated extension (§13.4)", {
      proposalType: 5,
      groupId: cs.randomBytes(16),
      version: 1,
      cipherSuite: 1,
      extensions: [ext(EXT_A), ext(EXT_A)],
    }, "duplicate_extension"],
    ["GroupContextExtensions with a repeated extension (§13.4)", {
      proposalType: 7,
      extensions: [ext(EXT_A), ext(EXT_A)],
    }, "duplicate_extension"],
    ["Update with a bad leaf signature (§7.3)", {
      proposalType: 2,
      leafNode: { ...leaf, signature: flipBit(leaf.signature, 3) },
    }, "invalid_signature"],
    ["ExternalInit on its own (§12.1.6)", {
      proposalType: 6,
      kemOutput: cs.randomBytes(32),
    }, "invalid_proposal"],
    ["Update with a key package leaf (§7.3)", {
      proposalType: 2,
      leafNode: (await keyPackageOf(cs, g.clients[1])).keyPackage.leafNode,
    }, "invalid_leaf_node_source"],
  ];
  for (const [what, proposal, code] of cases) {
    await allRefuse(g, 1, await forgedProposal(b, proposal), code, what);
  }
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("defect 1: a standalone Add with an invalid KeyPackage is refused on receipt", async () => {
  const cs = await provider.suite(1);
  const ds = await cs.signatureGenerateKeyPair();
  const g = await setup(cs, ["alice", "bob", "charlie"], {
    create: {
      extensions: [externalSendersExtension([{
        signatureKey: ds.publicKey,
        credential: basic("ds"),
      }])],
    },
  });
  const eve = await client(cs, "eve");
  const b = g.states[1];
  const target = { groupId: b.context.groupId, epoch: b.context.epoch };
  const bad = await badSignature(cs, eve);
  const reused = await initKeyReused(cs, eve);
  const cases: [string, number, MLSMessage, string][] = [
    [
      "member, bad signature",
      1,
      await forgedProposal(b, add(bad)),
      "invalid_signature",
    ],
    [
      "member, init key = encryption key",
      1,
      await forgedProposal(b, add(reused)),
      "init_key_reused",
    ],
    [
      "external sender, bad signature",
      -1,
      await externalProposal(cs, target, 0, ds.privateKey, add(bad)),
      "invalid_signature",
    ],
    [
      "external sender, init key reused",
      -1,
      await externalProposal(cs, target, 0, ds.privateKey, add(reused)),
      "init_key_reused",
    ],
    [
      "new member, init key reused",
      -1,
      await newMemberProposal(cs, target, reused, eve.signer.privateKey),
      "init_key_reused",
    ],
  ];
  for (const [what, from, msg, code] of cases) {
    await allRefuse(g, from, msg, code, what);
  }
  // An external sender's Update, which its client would not build (§12.1.8).
  const update = await protectPublic(cs, {
    groupId: target.groupId,
    epoch: target.epoch,
    sender: { senderType: 2, senderIndex: 0 },
    authenticatedData: new Uint8Array(0),
    contentType: ContentType.proposal,
    proposal: { proposalType: 2, leafNode: await updateLeaf(b) },
  }, { signatureKey: ds.privateKey });
  await allRefuse(
    g,
    -1,
    {
      version: 1,
      wireFormat: WireFormat.mlsPublicMessage,
      publicMessage: update,
    },
    "external_proposal_not_allowed",
    "external Update",
  );
  // A valid Add goes through and the group carries on.
  const kpE = await keyPackageOf(cs, eve);
  const p = await propose(b, add(kpE.keyPackage));
  g.states[1] = p.state;
  g.states[0] = await accept(g.states[0], p.message, "proposal");
  g.states[2] = await accept(g.states[2], p.message, "proposal");
  const c = await createCommit(g.states[0]);
  assert.equal(c.summary.added.length, 1);
  await broadcast(g, 0, c.message, c.state);
  await assertGroupWorks(g);
});

Deno.test("defect 2: an external commit carrying an Add is refused", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob"]);
  const [eve, mallory] = await Promise.all([
    client(cs, "eve"),
    client(cs, "mallory"),
  ]);
  const info = await groupInfoOf(g.states[0]);
  const kpM = await keyPackageOf(cs, mallory);
  const withAdd = await uncheckedExternalCommit(cs, info, eve, [
    add(kpM.keyPackage),
  ]);
  await allRefuse(g, -1, withAdd, "invalid_external_commit", "Add (§12.2)");
  const twoInits = await uncheckedExternalCommit(cs, info, eve, [{
    proposalType: 6,
    kemOutput: cs.randomBytes(32),
  }]);
  await allRefuse(g, -1, twoInits, "invalid_external_commit", "2 ExternalInit");
  // A plain external join is still accepted.
  const joined = await joinExternal(provider, {
    groupInfo: info,
    credential: eve.credential,
    signer: eve.signer,
  });
  await broadcast(g, -1, joined.message);
  g.states.push(joined.state);
  g.clients.push(eve);
  await assertGroupWorks(g);
});

Deno.test("defect 3: an external commit may remove only the joiner's own old leaf", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const eve = await client(cs, "eve");
  const info = await groupInfoOf(g.states[0]);
  // Eve joins and removes Bob in the same commit.
  const evil = await joinExternal(provider, {
    groupInfo: info,
    credential: eve.credential,
    signer: eve.signer,
    removeLeaf: 1,
  });
  await allRefuse(
    g,
    -1,
    evil.message,
    "invalid_resync",
    "outsider removes Bob",
  );
  // An application whose policy allows it says so.
  const r = await receiveMessage(g.states[0], wire(evil.message), {
    validateCredential: () => true,
  });
  assert.equal(r.kind, "commit");
  // Bob lost his state and resyncs: a new signature key, the same identity.
  const bob2 = await client(cs, "bob");
  const resync = await joinExternal(provider, {
    groupInfo: info,
    credential: bob2.credential,
    signer: bob2.signer,
    removeLeaf: 1,
  });
  g.states = await Promise.all(
    [g.states[0], g.states[2]].map((s) => accept(s, resync.message, "commit")),
  );
  g.states.push(resync.state);
  g.clients = [g.clients[0], g.clients[2], bob2];
  await assertGroupWorks(g);
});

Deno.test("defect 4: a member must support every GroupContext extension", async () => {
  const cs = await provider.suite(1);
  const caps = { ...defaultCapabilities(1), extensions: [0x000a, EXT_A] };
  const g = await setup(cs, ["alice", "bob", "charlie"], {
    create: { capabilities: caps, extensions: [ext(EXT_A)] },
    kp: { capabilities: caps },
  });
  const dave = await client(cs, "dave");
  const kpD = await keyPackageOf(cs, dave); // lacks EXT_A
  await rejectsWith(
    createCommit(g.states[0], { proposals: [add(kpD.keyPackage)] }),
    "unsupported_group_extension",
    "createCommit",
  );
  // Alice's client skips that check: Bob refuses, Dave refuses to join.
  const forged = await uncheckedCommit(g.states[0], [add(kpD.keyPackage)]);
  await rejectsWith(
    receiveMessage(g.states[1], wire(forged.message)),
    "unsupported_group_extension",
    "receiver",
  );
  await rejectsWith(
    joinFromWelcome(cs, forged.welcome!, {
      keyPackage: kpD.keyPackage,
      ...kpD.privateKeys,
      signer: dave.signer.privateKey,
    }),
    "unsupported_group_extension",
    "joiner (§13.4)",
  );
  // Bob's commit drops support for it from his own leaf.
  const bobDrops = await createCommit(g.states[1], {
    leaf: { capabilities: defaultCapabilities(1) },
  });
  await allRefuse(
    g,
    1,
    bobDrops.message,
    "unsupported_group_extension",
    "path",
  );
  // Dave with support is added; the group carries on.
  const kpD2 = await generateKeyPackage(cs, dave.credential, dave.signer, {
    capabilities: caps,
  });
  const c = await createCommit(g.states[0], {
    proposals: [add(kpD2.keyPackage)],
  });
  await broadcast(g, 0, c.message, c.state);
  const joined = await joinFromWelcome(cs, c.welcome!, {
    keyPackage: kpD2.keyPackage,
    ...kpD2.privateKeys,
    signer: dave.signer.privateKey,
  });
  g.states.push(joined.state);
  g.clients.push(dave);
  await assertGroupWorks(g);
});

Deno.test("defect 5: repeated extension types in a LeafNode or KeyPackage", async () => {
  const cs = await provider.suite(1);
  const caps = { ...defaultCapabilities(1), extensions: [0x000a, EXT_B] };
  const g = await setup(cs, ["alice", "bob", "charlie"], {
    create: { capabilities: caps },
    kp: { capabilities: caps },
  });
  const [dave, frank] = await Promise.all([
    client(cs, "dave"),
    client(cs, "frank"),
  ]);
  const twice = [ext(EXT_B), ext(EXT_B, [2])];
  const dupLeaf = await generateKeyPackage(cs, dave.credential, dave.signer, {
    capabilities: caps,
    leafExtensions: twice,
  });
  const dupKp = await generateKeyPackage(cs, dave.credential, dave.signer, {
    capabilities: caps,
    extensions: twice,
  });
  for (
    const [what, kp] of [["leaf", dupLeaf], ["key package", dupKp]] as const
  ) {
    await rejectsWith(
      createCommit(g.states[0], { proposals: [add(kp.keyPackage)] }),
      "duplicate_extension",
      `createCommit, ${what}`,
    );
    const p = await forgedProposal(g.states[1], add(kp.keyPackage));
    await allRefuse(g, 1, p, "duplicate_extension", `proposal, ${what}`);
  }
  // A commit adding it anyway, and Frank welcomed into that tree.
  const kpF = await keyPackageOf(cs, frank);
  const forged = await uncheckedCommit(g.states[0], [
    add(dupLeaf.keyPackage),
    add(kpF.keyPackage),
  ]);
  await rejectsWith(
    receiveMessage(g.states[1], wire(forged.message)),
    "duplicate_extension",
    "commit",
  );
  await rejectsWith(
    joinFromWelcome(cs, forged.welcome!, {
      keyPackage: kpF.keyPackage,
      ...kpF.privateKeys,
      signer: frank.signer.privateKey,
    }),
    "duplicate_extension",
    "join",
  );
  // Bob's commit path leaf repeats an extension.
  const path = await createCommit(g.states[1], { leaf: { extensions: twice } });
  await allRefuse(g, 1, path.message, "duplicate_extension", "path leaf");
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("defect 6: default extension types are accepted unlisted, in key packages too", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob"]);
  const dave = await client(cs, "dave");
  const appId = {
    extensionType: 0x0001, // application_id: default, never listed (§7.2)
    extensionData: encode(applicationIdCodec, text("dave's phone")),
  };
  const kpD = await generateKeyPackage(cs, dave.credential, dave.signer, {
    leafExtensions: [appId],
  });
  // Received as a proposal...
  const p = await propose(g.states[1], add(kpD.keyPackage));
  g.states[1] = p.state;
  g.states[0] = await accept(g.states[0], p.message, "proposal");
  // ...committed, processed and joined, as a commit path leaf would be.
  const c = await createCommit(g.states[0]);
  await broadcast(g, 0, c.message, c.state);
  const joined = await joinFromWelcome(cs, c.welcome!, {
    keyPackage: kpD.keyPackage,
    ...kpD.privateKeys,
    signer: dave.signer.privateKey,
  });
  g.states.push(joined.state);
  g.clients.push(dave);
  const path = await createCommit(g.states[1], {
    leaf: { extensions: [appId] },
  });
  await broadcast(g, 1, path.message, path.state);
  await assertGroupWorks(g);
});

Deno.test("defect 7: a group closed by a ReInit stays closed", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  // Charlie wrote before the ReInit: still readable afterwards.
  const late = await sendApplication(g.states[2], text("before the reinit"));
  const reinit = await createCommit(g.states[0], {
    proposals: [{
      proposalType: 5,
      groupId: cs.randomBytes(16),
      version: 1,
      cipherSuite: 1,
      extensions: [],
    }],
  });
  await broadcast(g, 0, reinit.message, reinit.state);
  assert.deepEqual(g.states.map((s) => s.status), [
    "reinit",
    "reinit",
    "reinit",
  ]);
  // Bob's client ignores the ReInit: a commit and a message in the old group.
  const revive = await uncheckedCommit(g.states[1], []);
  await rejectsWith(
    receiveMessage(g.states[0], wire(revive.message)),
    "group_reinitialized",
    "commit after ReInit (§12.4.2)",
  );
  const chat = await sendApplication(
    { ...g.states[1], status: "active" },
    text("still here"),
  );
  await rejectsWith(
    receiveMessage(g.states[0], wire(chat)),
    "group_reinitialized",
    "application message after ReInit",
  );
  await rejectsWith(
    sendApplication(g.states[0], text("x")),
    "group_reinitialized",
    "send",
  );
  await rejectsWith(createCommit(g.states[0]), "group_reinitialized", "commit");
  const r = await receiveMessage(g.states[0], wire(late));
  assert.equal(r.kind, "application");
  assert.equal(g.states[0].status, "reinit");
  // The honest way on: the new group.
  const [kpB, kpC] = await Promise.all(
    [1, 2].map((i) => keyPackageOf(cs, g.clients[i])),
  );
  const created = await reinitGroup(cs, g.states[0], g.clients[0].signer, [
    kpB.keyPackage,
    kpC.keyPackage,
  ]);
  const joined = await Promise.all(
    [kpB, kpC].map((kp, i) =>
      joinReinit(cs, g.states[i + 1], created.welcome!, {
        keyPackage: kp.keyPackage,
        ...kp.privateKeys,
        signer: g.clients[i + 1].signer.privateKey,
      })
    ),
  );
  await assertGroupWorks({
    cs,
    clients: g.clients,
    states: [created.state, ...joined.map((j) => j.state)],
  });
});

Deno.test("defect 8: a member cannot change its identity without the application's consent", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const b = g.states[1];
  // Bob's commit path leaf claims to be Alice.
  const asAlice = await createCommit(b, {
    leaf: { credential: g.clients[0].credential },
  });
  await allRefuse(g, 1, asAlice.message, "invalid_credential", "commit path");
  // So does an Update of his.
  const upd = {
    message: await forgedProposal(b, {
      proposalType: 2,
      leafNode: await updateLeaf(b, { credential: g.clients[0].credential }),
    }),
  };
  await allRefuse(g, 1, upd.message, "invalid_credential", "Update");
  // An application that allows the change (its own successor rule) says so.
  const seen: string[] = [];
  const r = await receiveMessage(g.states[0], wire(upd.message), {
    validateCredential: (c) => {
      seen.push(`${c.event}:${
        utf8Decode(
          c.credential.credentialType === 1
            ? c.credential.identity
            : new Uint8Array(),
        )
      }`);
      return true;
    },
  });
  assert.equal(r.kind, "proposal");
  assert.deepEqual(seen, ["update:alice"]);
  // Key packages go through the same hook: Alice's application knows no
  // "mallory".
  const noMallory = (c: { credential: Credential }) =>
    c.credential.credentialType !== 1 ||
    utf8Decode(c.credential.identity) !== "mallory";
  const mallory = await client(cs, "mallory");
  const kpM = await keyPackageOf(cs, mallory);
  await rejectsWith(
    createCommit(g.states[0], {
      proposals: [add(kpM.keyPackage)],
      validateCredential: noMallory,
    }),
    "invalid_credential",
    "createCommit",
  );
  const p = await forgedProposal(b, add(kpM.keyPackage));
  await allRefuse(g, 1, p, "invalid_credential", "Add", {
    validateCredential: noMallory,
  });
  // So do external senders a GroupContextExtensions proposal installs.
  const ds = await forgedProposal(b, {
    proposalType: 7,
    extensions: [externalSendersExtension([{
      signatureKey: mallory.signer.publicKey,
      credential: mallory.credential,
    }])],
  });
  await allRefuse(g, 1, ds, "invalid_credential", "external sender", {
    validateCredential: noMallory,
  });
  // A joiner checks every credential of the tree.
  const dave = await client(cs, "dave");
  const kpD = await keyPackageOf(cs, dave);
  const c = await createCommit(g.states[0], {
    proposals: [add(kpD.keyPackage)],
  });
  await rejectsWith(
    joinFromWelcome(cs, c.welcome!, {
      keyPackage: kpD.keyPackage,
      ...kpD.privateKeys,
      signer: dave.signer.privateKey,
      validateCredential: (x) =>
        x.credential.credentialType !== 1 ||
        utf8Decode(x.credential.identity) !== "charlie",
    }),
    "invalid_credential",
    "join",
  );
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("defect 9: key package lifetimes at commit time (§7.2, §7.3)", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob"]);
  const dave = await client(cs, "dave");
  const now = BigInt(Math.floor(Date.now() / 1000));
  const year = 365n * 86400n;
  const cases: [string, bigint, bigint, string][] = [
    ["expired a year ago", now - 2n * year, now - year, "invalid_lifetime"],
    ["valid only next year", now + year, now + 2n * year, "invalid_lifetime"],
    ["lifetime of 2^63 s", 0n, (1n << 63n) - 1n, "lifetime_too_long"],
  ];
  for (const [what, notBefore, notAfter, code] of cases) {
    const kp = await generateKeyPackage(cs, dave.credential, dave.signer, {
      lifetime: { notBefore, notAfter },
    });
    await rejectsWith(
      createCommit(g.states[0], {
        proposals: [add(kp.keyPackage)],
        now: new Date(),
        maxLifetime: 91 * 86400,
      }),
      code,
      what,
    );
  }
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("a commit leaves out received proposals that make its list invalid (§12.4)", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const [dave, erin] = await Promise.all([
    client(cs, "dave"),
    client(cs, "erin"),
  ]);
  const kpD = await keyPackageOf(cs, dave);
  // Erin's key package reuses Dave's encryption key: each Add is valid on
  // its own, not both in one commit (§7.3: keys unique in the tree).
  const kpE = await keyPackageOf(cs, erin);
  const erinLeaf = await signLeafNode(cs, erin.signer.privateKey, {
    ...kpE.keyPackage.leafNode,
    encryptionKey: kpD.keyPackage.leafNode.encryptionKey,
  });
  const clash = await resigned(cs, erin, kpE.keyPackage, {
    leafNode: erinLeaf,
  });
  const pb = await propose(g.states[1], add(kpD.keyPackage));
  const pc = await propose(g.states[2], add(clash));
  // Bob also proposes a PSK only he has.
  const psk = await propose(pb.state, {
    proposalType: 4,
    psk: {
      pskType: 1,
      pskId: text("bob's"),
      pskNonce: cs.randomBytes(cs.hashLength),
    },
  });
  let a = g.states[0];
  for (const m of [pb.message, pc.message, psk.message]) {
    a = await accept(a, m, "proposal");
  }
  const c = await createCommit(a);
  assert.deepEqual(c.summary.added.map((x) => x.keyPackage), [kpD.keyPackage]);
  const dropped = (c as unknown as {
    dropped: { error: { code: string } }[];
  }).dropped.map((d) => d.error.code);
  assert.deepEqual(dropped, ["duplicate_encryption_key", "missing_psk"]);
  g.states[0] = c.state;
  for (const i of [1, 2]) {
    let s = i === 1 ? psk.state : pc.state;
    for (const m of [pb.message, pc.message, psk.message]) {
      if ((i === 1 && m !== pc.message) || (i === 2 && m === pc.message)) {
        continue;
      }
      s = await accept(s, m, "proposal");
    }
    g.states[i] = await accept(s, c.message, "commit");
  }
  const joined = await joinFromWelcome(cs, c.welcome!, {
    keyPackage: kpD.keyPackage,
    ...kpD.privateKeys,
    signer: dave.signer.privateKey,
  });
  g.states.push(joined.state);
  g.clients.push(dave);
  await assertGroupWorks(g);
});

Deno.test("§12.2: each rule of a member's proposal list, one forged commit each", async () => {
  const cs = await provider.suite(1);
  const cs2 = await provider.suite(2);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const b = g.states[1];
  const dave = await client(cs, "dave");
  const [kpD1, kpD2] = await Promise.all([
    keyPackageOf(cs, dave),
    keyPackageOf(cs, dave),
  ]);
  const kpOther = await keyPackageOf(cs2, await client(cs2, "dave"));
  const psk = (usage?: number): Proposal => ({
    proposalType: 4,
    psk: usage === undefined
      ? { pskType: 1, pskId: text("shared"), pskNonce: new Uint8Array(32) }
      : {
        pskType: 2,
        usage: usage as 2,
        pskGroupId: b.context.groupId,
        pskEpoch: 0n,
        pskNonce: new Uint8Array(32),
      },
  });
  const gce = (extensions: Extension[]): Proposal => ({
    proposalType: 7,
    extensions,
  });
  const required = {
    extensionType: 3, // required_capabilities
    extensionData: encode(requiredCapabilitiesCodec, {
      extensionTypes: [EXT_A],
      proposalTypes: [],
      credentialTypes: [],
    }),
  };
  const reinit: Proposal = {
    proposalType: 5,
    groupId: cs.randomBytes(16),
    version: 1,
    cipherSuite: 1,
    extensions: [],
  };
  const cases: [string, Proposal[], string][] = [
    [
      "two Adds for one client",
      [add(kpD1.keyPackage), add(kpD2.keyPackage)],
      "duplicate_add",
    ],
    ["an Add for another suite", [add(kpOther.keyPackage)], "add_wrong_suite"],
    ["two PSKs with one id", [psk(), psk()], "duplicate_psk"],
    ["a reinit PSK outside a reinit", [psk(2)], "invalid_psk_usage"],
    ["two GroupContextExtensions", [gce([]), gce([])], "duplicate_gce"],
    ["a ReInit with another proposal", [reinit, {
      proposalType: 3,
      removed: 2,
    }], "reinit_not_alone"],
    [
      "an ExternalInit",
      [{ proposalType: 6, kemOutput: cs.randomBytes(32) }],
      "external_init_in_commit",
    ],
    [
      "a required capability no member has",
      [gce([required])],
      "unsupported_capability",
    ],
    [
      "an extension no member supports",
      [gce([ext(EXT_A)])],
      "unsupported_group_extension",
    ],
  ];
  for (const [what, proposals, code] of cases) {
    const forged = await forge(b, {
      contentType: ContentType.commit,
      commit: {
        proposals: proposals.map((proposal) => ({ type: 1, proposal })),
        path: undefined,
      },
    });
    await rejectsWith(receiveMessage(g.states[0], wire(forged)), code, what);
    // The committer enforces the same rules on its own list.
    await rejectsWith(createCommit(b, { proposals }), code, `${what} (own)`);
  }
  // Our own commit, received back as any other, is refused.
  const own = await createCommit(publicView(b));
  await rejectsWith(
    receiveMessage(publicView(b), wire(own.message)),
    "own_commit",
    "own commit",
  );
  await aliceCommits(g);
  await assertGroupWorks(g);
});

Deno.test("§12.2, §12.4.3.2: the rules of an external commit", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const eve = await client(cs, "eve");
  const info = await groupInfoOf(g.states[0]);
  const twoRemoves = await uncheckedExternalCommit(cs, info, eve, [
    { proposalType: 3, removed: 1 },
    { proposalType: 3, removed: 2 },
  ]);
  await allRefuse(g, -1, twoRemoves, "invalid_external_commit", "2 Removes");
  // A proposal by reference: the joiner cannot know the group's proposals.
  const genuine = await joinExternal(provider, {
    groupInfo: info,
    credential: eve.credential,
    signer: eve.signer,
  });
  if (genuine.message.wireFormat !== WireFormat.mlsPublicMessage) throw 0;
  const content = genuine.message.publicMessage.content;
  if (content.contentType !== ContentType.commit) throw 0;
  const signed = await signFramedContent(cs, {
    ...content,
    commit: {
      ...content.commit,
      proposals: [...content.commit.proposals, {
        type: 2,
        reference: cs.randomBytes(32),
      }],
    },
  }, {
    wireFormat: WireFormat.mlsPublicMessage,
    signatureKey: eve.signer.privateKey,
    groupContext: info.groupContext,
    confirmationTag: cs.randomBytes(32),
  });
  const byRef: MLSMessage = {
    ...genuine.message,
    publicMessage: await framePublic(cs, signed, {
      groupContext: info.groupContext,
    }),
  };
  await allRefuse(g, -1, byRef, "invalid_external_commit", "by reference");
  await broadcast(g, -1, genuine.message);
  g.states.push(genuine.state);
  g.clients.push(eve);
  await assertGroupWorks(g);
});

Deno.test("§12.4.3: a joiner's checks of the GroupInfo and its tree", async () => {
  const cs = await provider.suite(1);
  const g = await setup(cs, ["alice", "bob", "charlie"]);
  const eve = await client(cs, "eve");
  const oldTree = g.states[0].tree;
  const c = await createCommit(g.states[1]);
  await broadcast(g, 1, c.message, c.state);
  const a = g.states[0];
  const join = (groupInfo: GroupInfo, ratchetTree?: GroupState["tree"]) =>
    joinExternal(provider, {
      groupInfo,
      ratchetTree: ratchetTree?.toNodes(),
      credential: eve.credential,
      signer: eve.signer,
    });
  const info = await groupInfoFor(a);
  const bare = await groupInfoFor(a, { ratchetTree: false });
  const noPub = await groupInfoFor(a, { externalPub: false });
  const twice = await signGroupInfo(cs, {
    ...info,
    extensions: [...info.extensions, ext(EXT_A), ext(EXT_A)],
  }, a.signer);
  const cases: [string, () => Promise<unknown>, string][] = [
    ["no tree", () => join(bare), "missing_ratchet_tree"],
    ["another epoch's tree", () => join(bare, oldTree), "tree_hash_mismatch"],
    ["a blank signer", () => join({ ...info, signer: 9 }), "invalid_signer"],
    [
      "a bad signature",
      () => join({ ...info, signature: flipBit(info.signature, 1) }),
      "invalid_signature",
    ],
    ["no external_pub", () => join(noPub), "missing_external_pub"],
    [
      "a repeated GroupInfo extension",
      () => join(twice),
      "duplicate_extension",
    ],
  ];
  for (const [what, p, code] of cases) await rejectsWith(p, code, what);
  const joined = await join(info);
  await broadcast(g, -1, joined.message);
  g.states.push(joined.state);
  g.clients.push(eve);
  await assertGroupWorks(g);
});
