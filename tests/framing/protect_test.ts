// Message protection (RFC 9420 §6): PublicMessage and PrivateMessage
// round trips, tampering with each region, padding, replay, sender checks,
// and that a rejected message burns no secret-tree key.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type {
  SignaturePrivateKey,
  SuiteCrypto,
} from "../../providers/provider.ts";
import { decode, encode } from "../../src/codec/codec.ts";
import { MlsError } from "../../src/errors.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import { groupContextView } from "../../src/framing/context_input.ts";
import type {
  FramedContent,
  FramedContentBody,
} from "../../src/framing/framed_content.ts";
import {
  decodePrivateContent,
  encodePrivateContent,
  paddingFor,
  type PaddingPolicy,
} from "../../src/framing/private_content.ts";
import {
  privateContentAADCodec,
  type PrivateMessage,
} from "../../src/framing/private_message.ts";
import {
  encryptPrivate,
  protectPrivate,
  unprotectPrivate,
} from "../../src/framing/private_protect.ts";
import {
  authenticatedContentTBMCodec,
  type PublicMessage,
} from "../../src/framing/public_message.ts";
import {
  framePublic,
  protectPublic,
  unprotectPublic,
} from "../../src/framing/public_protect.ts";
import { encryptSenderData } from "../../src/framing/sender_data_protect.ts";
import { type Sender, SenderType } from "../../src/framing/sender.ts";
import {
  type SignatureKeyLookup,
  signFramedContent,
  verifyFramedContent,
} from "../../src/framing/sign.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import {
  type GroupContext,
  groupContextCodec,
} from "../../src/messages/group_context.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { ProtocolVersion } from "../../src/messages/protocol_version.ts";
import { SecretTree } from "../../src/schedule/secret_tree.ts";
import { utf8Encode } from "../../src/util/bytes.ts";

const cs = await defaultProvider().suite(1);
const LEAVES = 4;
const ME = 1;

interface Fixture {
  cs: SuiteCrypto;
  context: GroupContext;
  contextBytes: Uint8Array;
  membershipKey: Uint8Array;
  senderDataSecret: Uint8Array;
  encryptionSecret: Uint8Array;
  signatureKey: SignaturePrivateKey;
  signaturePub: Uint8Array;
  lookup: SignatureKeyLookup;
}

async function fixture(suite: SuiteCrypto = cs): Promise<Fixture> {
  const kp = await suite.signatureGenerateKeyPair();
  const context: GroupContext = {
    version: ProtocolVersion.mls10,
    cipherSuite: suite.id,
    groupId: utf8Encode("group"),
    epoch: 7n,
    treeHash: suite.randomBytes(suite.hashLength),
    confirmedTranscriptHash: suite.randomBytes(suite.hashLength),
    extensions: [],
  };
  return {
    cs: suite,
    context,
    contextBytes: encode(groupContextCodec, context),
    membershipKey: suite.randomBytes(suite.hashLength),
    senderDataSecret: suite.randomBytes(suite.hashLength),
    encryptionSecret: suite.randomBytes(suite.hashLength),
    signatureKey: kp.privateKey,
    signaturePub: kp.publicKey,
    lookup: (s: Sender) =>
      s.senderType === SenderType.member && s.leafIndex === ME
        ? kp.publicKey
        : undefined,
  };
}

const f = await fixture();

function tree(fx: Fixture = f): SecretTree {
  return SecretTree.create(fx.cs, fx.encryptionSecret.slice(), LEAVES);
}

const removeProposal: Proposal = {
  proposalType: ProposalType.remove,
  removed: 2,
};

function framed(
  body: FramedContentBody,
  sender: Sender = { senderType: SenderType.member, leafIndex: ME },
  fx: Fixture = f,
): FramedContent {
  return {
    groupId: fx.context.groupId,
    epoch: fx.context.epoch,
    sender,
    authenticatedData: utf8Encode("aad"),
    ...body,
  };
}

const proposal = (sender?: Sender) =>
  framed(
    { contentType: ContentType.proposal, proposal: removeProposal },
    sender,
  );
const application = (text = "hello") =>
  framed({
    contentType: ContentType.application,
    applicationData: utf8Encode(text),
  });
const commit = () =>
  framed({
    contentType: ContentType.commit,
    commit: { proposals: [], path: undefined },
  });

function code(c: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof MlsError, `not an MlsError: ${e}`);
    assert.equal(e.code, c, e.message);
    return true;
  };
}

function flip(b: Uint8Array, at = 0): Uint8Array {
  const out = b.slice();
  out[at] ^= 0x01;
  return out;
}

const publicOptions = (fx: Fixture = f) => ({
  groupContext: fx.contextBytes,
  membershipKey: fx.membershipKey,
  signaturePublicKey: fx.lookup,
});

function privateOptions(secretTree: SecretTree, fx: Fixture = f) {
  return {
    groupContext: fx.contextBytes,
    secretTree,
    senderDataSecret: fx.senderDataSecret,
    signaturePublicKey: fx.lookup,
    isMember: (i: number) => i !== 3,
  };
}

function sendPrivate(
  content: FramedContent,
  secretTree: SecretTree,
  extra: { padding?: PaddingPolicy; signatureKey?: SignaturePrivateKey } = {},
): Promise<PrivateMessage> {
  return protectPrivate(cs, content, {
    signatureKey: extra.signatureKey ?? f.signatureKey,
    groupContext: f.context,
    secretTree,
    senderDataSecret: f.senderDataSecret,
    padding: extra.padding,
    confirmationTag: new Uint8Array(32).fill(9),
  });
}

// --- PublicMessage -------------------------------------------------------

Deno.test("public: member proposal round trip, context as struct or bytes", async () => {
  const msg = await protectPublic(cs, proposal(), {
    signatureKey: f.signatureKey,
    groupContext: f.context,
    membershipKey: f.membershipKey,
  });
  assert.ok(msg.membershipTag);
  for (const groupContext of [f.context, f.contextBytes]) {
    const ac = await unprotectPublic(cs, msg, {
      ...publicOptions(),
      groupContext,
    });
    assert.equal(ac.wireFormat, WireFormat.mlsPublicMessage);
    assert.deepEqual(ac.content, proposal());
    await verifyFramedContent(cs, ac, f.signaturePub, groupContext);
  }
  // The membership tag is MAC(membership_key, AuthenticatedContentTBM).
  const tbm = encode(authenticatedContentTBMCodec, {
    contentTbs: {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mlsPublicMessage,
      content: msg.content,
      context: f.context,
    },
    auth: msg.auth,
  });
  assert.deepEqual(msg.membershipTag, await cs.mac(f.membershipKey, tbm));
});

Deno.test("public: tampering is caught with the specific error", async () => {
  const msg = await protectPublic(cs, proposal(), {
    signatureKey: f.signatureKey,
    groupContext: f.contextBytes,
    membershipKey: f.membershipKey,
  });
  const opts = publicOptions();
  // Membership tag.
  await assert.rejects(
    unprotectPublic(
      cs,
      { ...msg, membershipTag: flip(msg.membershipTag!) },
      opts,
    ),
    code("invalid_membership_tag"),
  );
  // Content (authenticated data) and signature: the tag covers both.
  await assert.rejects(
    unprotectPublic(cs, {
      ...msg,
      content: { ...msg.content, authenticatedData: utf8Encode("aae") },
    }, opts),
    code("invalid_membership_tag"),
  );
  const badSig = { ...msg.auth, signature: flip(msg.auth.signature, 5) };
  await assert.rejects(
    unprotectPublic(cs, { ...msg, auth: badSig }, opts),
    code("invalid_membership_tag"),
  );
  // A member holding the membership key but not the signature key: the tag
  // verifies, the signature does not.
  const forged = await framePublic(cs, {
    wireFormat: WireFormat.mlsPublicMessage,
    content: msg.content,
    auth: badSig,
  }, { groupContext: f.context, membershipKey: f.membershipKey });
  await assert.rejects(
    unprotectPublic(cs, forged, opts),
    code("invalid_signature"),
  );
  // Wrong membership key.
  await assert.rejects(
    unprotectPublic(cs, msg, { ...opts, membershipKey: flip(f.membershipKey) }),
    code("invalid_membership_tag"),
  );
  // Signed in another epoch's context (same group id and epoch fields).
  const other = encode(groupContextCodec, {
    ...f.context,
    treeHash: flip(f.context.treeHash),
  });
  await assert.rejects(
    unprotectPublic(cs, msg, { ...opts, groupContext: other }),
    code("invalid_membership_tag"),
  );
  // Unknown sender.
  await assert.rejects(
    unprotectPublic(cs, msg, { ...opts, signaturePublicKey: () => undefined }),
    code("invalid_sender"),
  );
});

Deno.test("public: wrong group or epoch is refused before any crypto", async () => {
  const msg = await protectPublic(cs, proposal(), {
    signatureKey: f.signatureKey,
    groupContext: f.context,
    membershipKey: f.membershipKey,
  });
  let looked = false;
  const opts = {
    ...publicOptions(),
    signaturePublicKey: () => {
      looked = true;
      return f.signaturePub;
    },
  };
  await assert.rejects(
    unprotectPublic(cs, msg, {
      ...opts,
      groupContext: { ...f.context, groupId: utf8Encode("other") },
    }),
    code("wrong_group"),
  );
  await assert.rejects(
    unprotectPublic(cs, msg, {
      ...opts,
      groupContext: encode(groupContextCodec, { ...f.context, epoch: 8n }),
    }),
    code("wrong_epoch"),
  );
  assert.equal(looked, false);
  // A sender's content must match the context it signs with.
  await assert.rejects(
    protectPublic(cs, proposal(), {
      signatureKey: f.signatureKey,
      groupContext: { ...f.context, epoch: 8n },
      membershipKey: f.membershipKey,
    }),
    code("invalid_argument"),
  );
});

Deno.test("public: application data is refused both ways", async () => {
  await assert.rejects(
    protectPublic(cs, application(), {
      signatureKey: f.signatureKey,
      groupContext: f.context,
      membershipKey: f.membershipKey,
    }),
    code("wrong_content_type"),
  );
  const fake: PublicMessage = {
    content: application(),
    auth: { signature: new Uint8Array(64) },
    membershipTag: new Uint8Array(32),
  };
  await assert.rejects(
    unprotectPublic(cs, fake, publicOptions()),
    code("wrong_content_type"),
  );
});

Deno.test("public: external sender has no tag and no context; sender rules", async () => {
  const ext = await cs.signatureGenerateKeyPair();
  const sender: Sender = { senderType: SenderType.external, senderIndex: 0 };
  const msg = await protectPublic(cs, proposal(sender), {
    signatureKey: ext.privateKey,
  });
  assert.equal(msg.membershipTag, undefined);
  const opts = {
    ...publicOptions(),
    signaturePublicKey: (s: Sender) =>
      s.senderType === SenderType.external ? ext.publicKey : undefined,
  };
  const ac = await unprotectPublic(cs, msg, opts);
  assert.deepEqual(ac.content.sender, sender);
  await assert.rejects(
    unprotectPublic(cs, {
      ...msg,
      auth: { signature: flip(msg.auth.signature, 9) },
    }, opts),
    code("invalid_signature"),
  );
  // new_member_commit may only send commits; external only proposals.
  await assert.rejects(
    protectPublic(cs, proposal({ senderType: SenderType.newMemberCommit }), {
      signatureKey: ext.privateKey,
      groupContext: f.context,
    }),
    code("invalid_sender"),
  );
  await assert.rejects(
    unprotectPublic(cs, {
      content: { ...commit(), sender },
      auth: {
        signature: msg.auth.signature,
        confirmationTag: new Uint8Array(32),
      },
    }, opts),
    code("invalid_sender"),
  );
  // new_member_proposal may only propose Add.
  await assert.rejects(
    protectPublic(cs, proposal({ senderType: SenderType.newMemberProposal }), {
      signatureKey: ext.privateKey,
    }),
    code("invalid_sender"),
  );
  // A member needs the membership key; new_member_commit the context.
  await assert.rejects(
    protectPublic(cs, proposal(), {
      signatureKey: f.signatureKey,
      groupContext: f.context,
    }),
    code("invalid_argument"),
  );
});

Deno.test("public: commit confirmation tag from a callback over the signed content", async () => {
  let seen: Uint8Array | undefined;
  const tag = new Uint8Array(32).fill(5);
  const msg = await protectPublic(cs, commit(), {
    signatureKey: f.signatureKey,
    groupContext: f.context,
    membershipKey: f.membershipKey,
    confirmationTag: (signed) => {
      seen = signed.auth.signature;
      assert.equal(signed.auth.confirmationTag, undefined);
      return tag;
    },
  });
  assert.deepEqual(seen, msg.auth.signature);
  assert.deepEqual(msg.auth.confirmationTag, tag);
  const ac = await unprotectPublic(cs, msg, publicOptions());
  assert.deepEqual(ac.auth.confirmationTag, tag);
  // A commit without a tag cannot be protected.
  await assert.rejects(
    protectPublic(cs, commit(), {
      signatureKey: f.signatureKey,
      groupContext: f.context,
      membershipKey: f.membershipKey,
    }),
    code("invalid_argument"),
  );
});

// --- PrivateMessage ------------------------------------------------------

Deno.test("private: every content type round trips, on the right ratchet", async () => {
  const sender = tree();
  const receiver = tree();
  for (
    const content of [application("a"), proposal(), commit(), application("b")]
  ) {
    const msg = await sendPrivate(content, sender);
    const ac = await unprotectPrivate(cs, msg, privateOptions(receiver));
    assert.equal(ac.wireFormat, WireFormat.mlsPrivateMessage);
    assert.deepEqual(ac.content, content);
  }
  const leaf = sender.state.leaves.get(ME)!;
  assert.equal(leaf.application.generation, 2);
  assert.equal(leaf.handshake.generation, 2);
});

Deno.test("private: two-stage sign then encrypt", async () => {
  const signed = await signFramedContent(cs, commit(), {
    wireFormat: WireFormat.mlsPrivateMessage,
    signatureKey: f.signatureKey,
    groupContext: f.contextBytes,
    confirmationTag: new Uint8Array(32).fill(1),
  });
  const msg = await encryptPrivate(cs, signed, {
    secretTree: tree(),
    senderDataSecret: f.senderDataSecret,
  });
  const ac = await unprotectPrivate(cs, msg, privateOptions(tree()));
  assert.deepEqual(ac, signed);
  // Content signed for PublicMessage cannot be sent encrypted.
  await assert.rejects(
    encryptPrivate(cs, { ...signed, wireFormat: WireFormat.mlsPublicMessage }, {
      secretTree: tree(),
      senderDataSecret: f.senderDataSecret,
    }),
    code("invalid_argument"),
  );
});

Deno.test("private: tampering is caught and burns no key", async () => {
  const msg = await sendPrivate(application(), tree());
  const receiver = tree();
  const opts = privateOptions(receiver);
  const nh = cs.hashLength;
  assert.ok(msg.ciphertext.length > nh + 1);
  const tampered: [PrivateMessage, string][] = [
    [
      { ...msg, encryptedSenderData: flip(msg.encryptedSenderData, 2) },
      "crypto_failure",
    ],
    // Inside the sample: the sender-data key changes.
    [{ ...msg, ciphertext: flip(msg.ciphertext, 0) }, "crypto_failure"],
    // After the sample: the content AEAD fails.
    [
      { ...msg, ciphertext: flip(msg.ciphertext, msg.ciphertext.length - 1) },
      "crypto_failure",
    ],
    [{ ...msg, authenticatedData: utf8Encode("aae") }, "crypto_failure"],
    [{ ...msg, contentType: ContentType.proposal }, "crypto_failure"],
    [{ ...msg, groupId: utf8Encode("other") }, "wrong_group"],
    [{ ...msg, epoch: 8n }, "wrong_epoch"],
  ];
  for (const [m, c] of tampered) {
    await assert.rejects(unprotectPrivate(cs, m, opts), code(c));
  }
  // Wrong signature key for the sender.
  await assert.rejects(
    unprotectPrivate(cs, msg, {
      ...opts,
      signaturePublicKey: () => flip(f.signaturePub, 1),
    }),
    code("invalid_signature"),
  );
  // After all that, the genuine message still decrypts.
  const ac = await unprotectPrivate(cs, msg, opts);
  assert.deepEqual(ac.content, application());
});

Deno.test("private: a member forging another's signature burns no key", async () => {
  // Every member can derive every leaf's keys; only the signature binds the
  // sender. The forgery uses generation 0, as does the genuine message.
  const mallory = await cs.signatureGenerateKeyPair();
  const forged = await sendPrivate(application("evil"), tree(), {
    signatureKey: mallory.privateKey,
  });
  const genuine = await sendPrivate(application("good"), tree());
  const receiver = tree();
  await assert.rejects(
    unprotectPrivate(cs, forged, privateOptions(receiver)),
    code("invalid_signature"),
  );
  const ac = await unprotectPrivate(cs, genuine, privateOptions(receiver));
  assert.deepEqual(ac.content, application("good"));
});

Deno.test("private: replay is generation_too_old", async () => {
  const msg = await sendPrivate(proposal(), tree());
  const receiver = tree();
  await unprotectPrivate(cs, msg, privateOptions(receiver));
  await assert.rejects(
    unprotectPrivate(cs, msg, privateOptions(receiver)),
    code("generation_too_old"),
  );
});

Deno.test("private: out-of-order generations", async () => {
  const sender = tree();
  const msgs = [];
  for (let i = 0; i < 4; i++) {
    msgs.push(await sendPrivate(application(`m${i}`), sender));
  }
  const receiver = tree();
  for (const i of [2, 0, 3, 1]) {
    const ac = await unprotectPrivate(cs, msgs[i], privateOptions(receiver));
    assert.deepEqual(ac.content, application(`m${i}`));
  }
});

Deno.test("private: sender must be a member leaf inside the tree", async () => {
  // Leaf 3 is blank (isMember says no); leaf 5 is outside a 4-leaf tree.
  for (const leafIndex of [3, 5]) {
    const sender = SecretTree.create(cs, f.encryptionSecret.slice(), 8);
    const content = framed(
      {
        contentType: ContentType.application,
        applicationData: utf8Encode("x"),
      },
      { senderType: SenderType.member, leafIndex },
    );
    const msg = await sendPrivate(content, sender);
    await assert.rejects(
      unprotectPrivate(cs, msg, {
        ...privateOptions(tree()),
        signaturePublicKey: () => f.signaturePub,
      }),
      code("invalid_sender"),
    );
  }
  // Only members send PrivateMessages.
  await assert.rejects(
    sendPrivate(
      proposal({ senderType: SenderType.external, senderIndex: 0 }),
      tree(),
    ),
    code("invalid_argument"),
  );
});

Deno.test("private: padding round trips, by length and by block size", async () => {
  const base =
    (await sendPrivate(application("pad me"), tree())).ciphertext.length;
  const sender = tree();
  const receiver = tree();
  const m1 = await sendPrivate(application("pad me"), sender, {
    padding: { length: 100 },
  });
  assert.equal(m1.ciphertext.length, base + 100);
  const m2 = await sendPrivate(application("pad me"), sender, {
    padding: { blockSize: 64 },
  });
  const tagLength = 16;
  assert.equal((m2.ciphertext.length - tagLength) % 64, 0);
  for (const m of [m1, m2]) {
    const ac = await unprotectPrivate(cs, m, privateOptions(receiver));
    assert.deepEqual(ac.content, application("pad me"));
  }
  assert.equal(paddingFor({ blockSize: 16 }, 32), 0);
  assert.equal(paddingFor({ blockSize: 16 }, 33), 15);
  assert.equal(paddingFor(undefined, 33), 0);
  assert.throws(
    () => paddingFor({ blockSize: 0 }, 1),
    code("invalid_argument"),
  );
  assert.throws(() => paddingFor({ length: -1 }, 1), code("invalid_argument"));
});

Deno.test("private: non-zero padding is rejected and burns no key", async () => {
  const content = application("secret");
  const signed = await signFramedContent(cs, content, {
    wireFormat: WireFormat.mlsPrivateMessage,
    signatureKey: f.signatureKey,
    groupContext: f.context,
  });
  const plaintext = encodePrivateContent(content, signed.auth, { length: 8 });
  assert.equal(
    decodePrivateContent(content.contentType, plaintext).paddingLength,
    8,
  );
  const bad = plaintext.slice();
  bad[bad.length - 3] = 1;
  assert.throws(
    () => decodePrivateContent(content.contentType, bad),
    code("invalid_padding"),
  );

  // The same, encrypted by hand with a valid key: an authentic plaintext
  // whose padding is not zero.
  const encryptHand = async (pt: Uint8Array): Promise<PrivateMessage> => {
    const key = await tree().nextKey(ME, "application");
    const reuseGuard = new Uint8Array(4);
    const header = {
      groupId: content.groupId,
      epoch: content.epoch,
      contentType: content.contentType,
    };
    const aad = encode(privateContentAADCodec, {
      ...header,
      authenticatedData: content.authenticatedData,
    });
    const ciphertext = await cs.aeadSeal(key.key, key.nonce, aad, pt);
    return {
      ...header,
      authenticatedData: content.authenticatedData,
      encryptedSenderData: await encryptSenderData(
        cs,
        f.senderDataSecret,
        header,
        { leafIndex: ME, generation: key.generation, reuseGuard },
        ciphertext,
      ),
      ciphertext,
    };
  };
  const receiver = tree();
  await assert.rejects(
    unprotectPrivate(cs, await encryptHand(bad), privateOptions(receiver)),
    code("invalid_padding"),
  );
  const ac = await unprotectPrivate(
    cs,
    await encryptHand(plaintext),
    privateOptions(receiver),
  );
  assert.deepEqual(ac.content, content);
});

Deno.test("group context view parses id and epoch from bytes", () => {
  const v = groupContextView(f.contextBytes);
  assert.deepEqual(v.groupId, f.context.groupId);
  assert.equal(v.epoch, f.context.epoch);
  assert.deepEqual(groupContextView(f.context).encoded, f.contextBytes);
  assert.deepEqual(
    decode(groupContextCodec, v.encoded, "GroupContext"),
    f.context,
  );
});

Deno.test("public and private round trips in every suite", async () => {
  const provider = defaultProvider();
  for (const id of provider.supportedSuites) {
    const suite = await provider.suite(id);
    const fx = await fixture(suite);
    const content = framed(
      { contentType: ContentType.proposal, proposal: removeProposal },
      { senderType: SenderType.member, leafIndex: ME },
      fx,
    );
    const pub = await protectPublic(suite, content, {
      signatureKey: fx.signatureKey,
      groupContext: fx.context,
      membershipKey: fx.membershipKey,
    });
    assert.deepEqual(
      (await unprotectPublic(suite, pub, publicOptions(fx))).content,
      content,
      `suite ${id} public`,
    );
    const priv = await protectPrivate(suite, content, {
      signatureKey: fx.signatureKey,
      groupContext: fx.contextBytes,
      secretTree: tree(fx),
      senderDataSecret: fx.senderDataSecret,
      padding: { blockSize: 32 },
    });
    assert.deepEqual(
      (await unprotectPrivate(suite, priv, privateOptions(tree(fx), fx)))
        .content,
      content,
      `suite ${id} private`,
    );
  }
});
