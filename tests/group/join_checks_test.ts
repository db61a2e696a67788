/**
 * Checks that a joiner and a receiver make and that only a crafted message
 * reaches (issue 24): the Welcome's confirmation tag (§12.4.3.1), the
 * GroupInfo signature (§12.4.3.1, §12.4.3.2), parent hashes at join
 * (§7.9.2, §12.4.3.1) and at commit (§7.9.2, §12.4.2). Each is tried at
 * the group layer and, where the API takes the message, through the API;
 * every crafted message is first rebuilt untampered and accepted, so a
 * refusal can only come from the tampering.
 */
import assert from "node:assert/strict";
import { decode, encode } from "../../src/codec/codec.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import {
  type MLSMessage,
  mlsMessageCodec,
} from "../../src/framing/mls_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import {
  ratchetTreeExtension,
  signGroupInfo,
} from "../../src/group/group_info.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import {
  createWelcome,
  joinFromWelcome,
  openGroupSecrets,
} from "../../src/group/welcome.ts";
import type { GroupInfo } from "../../src/messages/group_info.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import type { Welcome } from "../../src/messages/welcome.ts";
import { keyPackageRef } from "../../src/group/key_package.ts";
import { keyPackageKey, keyPackageRecord } from "../../src/api/records.ts";
import { getBytes } from "../../src/api/storage/storage.ts";
import { MemoryStorage, MLS } from "../../mod.ts";
import type { RatchetTree } from "../../src/tree/ratchet_tree.ts";
import { toHex } from "../../src/util/bytes.ts";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import {
  client,
  flipBit,
  forge,
  groupOf,
  keyPackageOf,
  rejectsWith,
  wire,
} from "./helpers.ts";

const RATCHET_TREE = 2; // extension type, §17.3

/** A GroupInfo changed by `change`, then signed again by `signer`. */
async function resigned(
  cs: SuiteCrypto,
  info: GroupInfo,
  signer: GroupState["signer"],
  change: (tbs: Omit<GroupInfo, "signature">) => Omit<GroupInfo, "signature">,
): Promise<GroupInfo> {
  const { signature: _, ...tbs } = info;
  return await signGroupInfo(cs, change(tbs), signer);
}

/**
 * The Welcome a committer would have sent with `info` instead of the real
 * GroupInfo: the joiner's GroupSecrets are opened with its init key and
 * sealed again over the new encrypted GroupInfo (no PSKs in these groups).
 */
async function rewelcome(
  cs: SuiteCrypto,
  welcome: Welcome,
  info: GroupInfo,
  keyPackage: KeyPackage,
  initPrivateKey: Uint8Array,
): Promise<Welcome> {
  const secrets = await openGroupSecrets(
    cs,
    welcome,
    keyPackage,
    initPrivateKey,
  );
  assert.equal(secrets.psks.length, 0);
  return await createWelcome(
    cs,
    info,
    secrets.joinerSecret,
    new Uint8Array(cs.hashLength), // psk_secret with no PSKs (§8.4)
    [],
    [{ keyPackage, pathSecret: secrets.pathSecret?.pathSecret }],
  );
}

function welcomeBytes(w: Welcome): Uint8Array {
  return encode(mlsMessageCodec, welcomeMessage(w));
}

function groupInfoBytes(info: GroupInfo): Uint8Array {
  return encode(mlsMessageCodec, {
    version: ProtocolVersion.mls10,
    wireFormat: WireFormat.mlsGroupInfo,
    groupInfo: info,
  });
}

/** A three-member group's creator adding a fourth member `dave`. */
async function addDave(cs: SuiteCrypto) {
  const g = await groupOf(cs, ["alice", "bob", "carol"]);
  const dave = await client(cs, "dave");
  const kp = await keyPackageOf(cs, dave);
  const add = await createCommit(g.states[0], {
    proposals: [{ proposalType: 1, keyPackage: kp.keyPackage }],
  });
  const join = (w: Welcome) =>
    joinFromWelcome(cs, w, {
      keyPackage: kp.keyPackage,
      ...kp.privateKeys,
      signer: dave.signer.privateKey,
    });
  const craft = async (info: GroupInfo) =>
    await rewelcome(
      cs,
      add.welcome!,
      info,
      kp.keyPackage,
      kp.privateKeys.initPrivateKey,
    );
  return { g, add, join, craft, signer: g.states[0].signer };
}

Deno.test("join: a Welcome whose GroupInfo carries a wrong confirmation tag is refused (§12.4.3.1)", async () => {
  const cs = await defaultProvider().suite(1);
  const { add, join, craft, signer } = await addDave(cs);
  // The same GroupInfo, rebuilt, joins: the crafting itself is sound.
  const honest = await join(await craft(add.groupInfo));
  assert.equal(honest.state.context.epoch, 2n);
  const badTag = await resigned(cs, add.groupInfo, signer, (t) => ({
    ...t,
    confirmationTag: flipBit(t.confirmationTag, 0),
  }));
  await rejectsWith(
    join(await craft(badTag)),
    "invalid_confirmation_tag",
    "group layer",
  );
});

Deno.test("join: a Welcome or GroupInfo with a bad signature is refused (§12.4.3.1, §12.4.3.2)", async () => {
  const cs = await defaultProvider().suite(1);
  const { add, join, craft } = await addDave(cs);
  const badSig: GroupInfo = {
    ...add.groupInfo,
    signature: flipBit(add.groupInfo.signature, 5),
  };
  await rejectsWith(join(await craft(badSig)), "invalid_signature", "Welcome");
  // The same GroupInfo published for an external join.
  const mls = new MLS();
  const eve = await mls.generateIdentity();
  const cred = await mls.generateCredential("eve");
  await mls.groupJoinExternal(eve, cred, groupInfoBytes(add.groupInfo));
  await rejectsWith(
    mls.groupJoinExternal(
      await mls.generateIdentity(),
      cred,
      groupInfoBytes(badSig),
    ),
    "invalid_signature",
    "external join",
  );
});

Deno.test("join through the API: a bad confirmation tag or signature in the Welcome is refused", async () => {
  const cs = await defaultProvider().suite(1);
  const g = await groupOf(cs, ["alice", "bob"]);
  const storage = new MemoryStorage();
  const mls = new MLS({ storage });
  const dave = await mls.generateIdentity();
  const kpOut = await mls.generateKeyPackage(
    dave,
    await mls.generateCredential("dave"),
  );
  const kpMsg = decode(mlsMessageCodec, kpOut.bytes, "kp") as MLSMessage;
  if (kpMsg.wireFormat !== WireFormat.mlsKeyPackage) throw new Error("kp?");
  const keyPackage = kpMsg.keyPackage;
  const ref = toHex(await keyPackageRef(cs, keyPackage));
  // White box: the joiner's init key, as the API stored it.
  const rec = keyPackageRecord.decode(
    (await getBytes(storage, keyPackageKey(dave.clientId, ref)))!,
  );
  const signer = g.states[0].signer;
  const add = await createCommit(g.states[0], {
    proposals: [{ proposalType: 1, keyPackage }],
  });
  const craft = (info: GroupInfo) =>
    rewelcome(cs, add.welcome!, info, keyPackage, rec.initPrivateKey);
  const badTag = await resigned(cs, add.groupInfo, signer, (t) => ({
    ...t,
    confirmationTag: flipBit(t.confirmationTag, 1),
  }));
  await rejectsWith(
    mls.groupJoin(dave, welcomeBytes(await craft(badTag))),
    "invalid_confirmation_tag",
    "API, tag",
  );
  const badSig = {
    ...add.groupInfo,
    signature: flipBit(add.groupInfo.signature, 2),
  };
  await rejectsWith(
    mls.groupJoin(dave, welcomeBytes(await craft(badSig))),
    "invalid_signature",
    "API, signature",
  );
  // The refusals consumed nothing: the honest rebuilt Welcome still joins.
  const view = await mls.groupJoin(
    dave,
    welcomeBytes(await craft(add.groupInfo)),
  );
  assert.equal(view.epoch, 2n);
});

Deno.test("join: a tree with a tampered parent hash is refused even with a matching tree hash and signature (§7.9.2)", async () => {
  const cs = await defaultProvider().suite(1);
  const { add, join, craft, signer } = await addDave(cs);
  const ext = add.groupInfo.extensions.find((e) =>
    e.extensionType === RATCHET_TREE
  );
  assert.ok(ext, "the GroupInfo carries the tree");
  const state = add.state;
  // Node 1 (parent of leaves 0 and 1) is on the committer's path.
  const tree: RatchetTree = state.tree.clone();
  const node = tree.getParent(1);
  assert.ok(node && node.parentHash.length > 0, "node 1 has a parent hash");
  tree.setParent(1, { ...node, parentHash: flipBit(node.parentHash, 0) });
  const treeHash = await tree.treeHash(cs);
  const treeExt = ratchetTreeExtension(tree.toNodes());
  const forged = await resigned(cs, add.groupInfo, signer, (t) => ({
    ...t,
    groupContext: { ...t.groupContext, treeHash },
    extensions: t.extensions.map((e) =>
      e.extensionType === RATCHET_TREE ? treeExt : e
    ),
  }));
  await rejectsWith(join(await craft(forged)), "invalid_parent_hash", "join");
  const mls = new MLS();
  await rejectsWith(
    mls.groupJoinExternal(
      await mls.generateIdentity(),
      await mls.generateCredential("eve"),
      groupInfoBytes(forged),
    ),
    "invalid_parent_hash",
    "external join",
  );
});

Deno.test("commit: a path whose node key was replaced after signing is refused by the parent hash (§7.9.2)", async () => {
  const cs = await defaultProvider().suite(1);
  const g = await groupOf(cs, ["alice", "bob", "carol"], {
    handshakeWireFormat: "public",
  });
  const [a, b, c] = g.states;
  const honest = await createCommit(b, {});
  const m = honest.message;
  if (m.wireFormat !== WireFormat.mlsPublicMessage) throw new Error("pub?");
  const content = m.publicMessage.content;
  if (content.contentType !== ContentType.commit) throw new Error("commit?");
  const path = content.commit.path!;
  assert.ok(path.nodes.length > 0);
  const tampered = {
    ...content.commit,
    path: {
      ...path,
      nodes: path.nodes.map((n, i) =>
        i === 0 ? { ...n, encryptionKey: flipBit(n.encryptionKey, 0) } : n
      ),
    },
  };
  // Signed and tagged by Bob himself, so only the parent hash can tell.
  const forged = await forge(b, {
    contentType: ContentType.commit,
    commit: tampered,
  }, { confirmationTag: m.publicMessage.auth.confirmationTag });
  for (const receiver of [a, c]) {
    await rejectsWith(
      receiveMessage(receiver, wire(forged)),
      "invalid_parent_hash",
      "receiver",
    );
  }
  // The honest commit still applies afterwards.
  const r = await receiveMessage(a, wire(m));
  assert.equal(r.kind, "commit");
});

Deno.test("join: a valid tree that is not the GroupContext's is refused by the tree hash (§12.4.3.1)", async () => {
  const cs = await defaultProvider().suite(1);
  const { g, add, join, craft, signer } = await addDave(cs);
  // The previous epoch's tree: valid in itself, but not this epoch's.
  const oldTree = ratchetTreeExtension(g.states[0].tree.toNodes());
  const forged = await resigned(cs, add.groupInfo, signer, (t) => ({
    ...t,
    extensions: t.extensions.map((e) =>
      e.extensionType === RATCHET_TREE ? oldTree : e
    ),
  }));
  await rejectsWith(join(await craft(forged)), "tree_hash_mismatch", "join");
  const mls = new MLS();
  await rejectsWith(
    mls.groupJoinExternal(
      await mls.generateIdentity(),
      await mls.generateCredential("eve"),
      groupInfoBytes(forged),
    ),
    "tree_hash_mismatch",
    "external join",
  );
});
