/**
 * Leaf and list rules that only a crafted message reaches (found by
 * `deno task mutate`): a leaf whose credential type is not in its own
 * capabilities or not supported by every member (§7.2, §7.3), an unlisted
 * non-default leaf extension (§7.2), a signature key that another member
 * already uses (§7.3: only two members sharing a key can make one), and two
 * Updates of one leaf in one commit (§12.2).
 */
import assert from "node:assert/strict";
import { ContentType } from "../../src/framing/content_type.ts";
import { createCommit } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import {
  defaultCapabilities,
  generateKeyPackage,
  validateKeyPackage,
} from "../../src/group/key_package.ts";
import { proposeUpdate } from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import { ProposalOrRefType } from "../../src/messages/commit.ts";
import { LeafNodeSource } from "../../src/messages/leaf_node.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { signLeafNode } from "../../src/tree/leaf_signature.ts";
import { defaultProvider } from "../../providers/mod.ts";
import {
  assertGroupWorks,
  client,
  forge,
  groupOf,
  rejectsWith,
  wire,
} from "./helpers.ts";

const cs = await defaultProvider().suite(1);
const BASIC_ONLY = { ...defaultCapabilities(cs.id), credentials: [1] };
const PRIVATE_EXTENSION = 0xff00; // private-use extension type (§17.3)

const X509 = {
  credentialType: 2 as const,
  certificates: [{ certData: new Uint8Array([0x30, 0x00]) }],
};

Deno.test("leaf: a credential type missing from the leaf's own capabilities is refused (§7.2)", async () => {
  const c = await client(cs, "odd");
  const { keyPackage } = await generateKeyPackage(cs, X509, c.signer, {
    capabilities: BASIC_ONLY,
  });
  await rejectsWith(
    validateKeyPackage(cs, keyPackage),
    "unsupported_credential",
    "own capabilities",
  );
});

Deno.test("leaf: a non-default extension not listed in the capabilities is refused (§7.2)", async () => {
  const c = await client(cs, "ext");
  const leafExtensions = [{
    extensionType: PRIVATE_EXTENSION,
    extensionData: new Uint8Array([1]),
  }];
  const { keyPackage } = await generateKeyPackage(cs, c.credential, c.signer, {
    leafExtensions,
  });
  await rejectsWith(
    validateKeyPackage(cs, keyPackage),
    "unsupported_extension",
    "unlisted",
  );
  // Listed, the same extension is fine.
  const caps = defaultCapabilities(cs.id);
  const listed = await generateKeyPackage(cs, c.credential, c.signer, {
    leafExtensions,
    capabilities: {
      ...caps,
      extensions: [...caps.extensions, PRIVATE_EXTENSION],
    },
  });
  await validateKeyPackage(cs, listed.keyPackage);
});

Deno.test("leaf: an Add whose credential type some member does not support is refused (§7.3)", async () => {
  // Alice's group: only basic credentials are supported by its members.
  const alice = await client(cs, "alice");
  const a = await createGroup(cs, alice.credential, alice.signer, {
    capabilities: BASIC_ONLY,
  });
  const c = await client(cs, "odd");
  const { keyPackage } = await generateKeyPackage(cs, X509, c.signer);
  // Valid on its own (it lists basic and x509)...
  await validateKeyPackage(cs, keyPackage);
  // ...but Alice cannot read its credential.
  await rejectsWith(
    createCommit(a, {
      proposals: [{ proposalType: ProposalType.add, keyPackage }],
    }),
    "unsupported_credential",
    "committer",
  );
  // An honest Add still goes through.
  const bob = await client(cs, "bob");
  const kp = await generateKeyPackage(cs, bob.credential, bob.signer, {
    capabilities: BASIC_ONLY,
  });
  const ok = await createCommit(a, {
    proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
  });
  assert.equal(ok.state.context.epoch, 1n);
});

Deno.test("leaf: an Update that takes another member's signature key is refused (§7.3)", async () => {
  const g = await groupOf(cs, ["alice", "bob", "carol"]);
  const [a, b] = g.states;
  const carol = g.clients[2];
  // Bob and Carol share Carol's key: Bob's new leaf carries it, signed by it.
  const bobLeaf = b.tree.getLeaf(1)!;
  const leafNode = await signLeafNode(cs, carol.signer.privateKey, {
    encryptionKey: (await cs.hpkeGenerateKeyPair()).publicKey,
    signatureKey: carol.signer.publicKey,
    credential: bobLeaf.credential,
    capabilities: bobLeaf.capabilities,
    extensions: bobLeaf.extensions,
    leafNodeSource: LeafNodeSource.update,
  }, { groupId: b.context.groupId, leafIndex: 1 });
  const forged = await forge(b, {
    contentType: ContentType.proposal,
    proposal: { proposalType: ProposalType.update, leafNode },
  });
  await rejectsWith(
    receiveMessage(a, wire(forged)),
    "duplicate_signature_key",
    "receiver",
  );
  await assertGroupWorks(g);
});

Deno.test("list: a commit with two Updates of one leaf is refused (§12.2)", async () => {
  const g = await groupOf(cs, ["alice", "bob", "carol"], {
    handshakeWireFormat: "public",
  });
  const [a, b, c] = g.states;
  const u1 = await proposeUpdate(b);
  const u2 = await proposeUpdate(u1.state);
  // Carol holds both Updates (each valid on its own).
  let carol = c;
  for (const u of [u1, u2]) {
    const r = await receiveMessage(carol, wire(u.message));
    assert.equal(r.kind, "proposal");
    carol = r.state;
  }
  // Alice commits both by reference; the list is checked before the path.
  const forged = await forge(a, {
    contentType: ContentType.commit,
    commit: {
      proposals: [u1, u2].map((u) => ({
        type: ProposalOrRefType.reference,
        reference: u.ref,
      })),
      path: undefined,
    },
  });
  await rejectsWith(
    receiveMessage(carol, wire(forged)),
    "duplicate_update_remove",
    "receiver",
  );
});

Deno.test("leaf: an Add whose leaf does not support a credential type in use is refused (§7.3)", async () => {
  // Alice uses an x509 credential; Bob's key package supports basic only.
  const alice = await client(cs, "alice");
  const a = await createGroup(cs, X509, alice.signer);
  const bob = await client(cs, "bob");
  const { keyPackage } = await generateKeyPackage(
    cs,
    bob.credential,
    bob.signer,
    { capabilities: BASIC_ONLY },
  );
  await validateKeyPackage(cs, keyPackage);
  await rejectsWith(
    createCommit(a, {
      proposals: [{ proposalType: ProposalType.add, keyPackage }],
    }),
    "unsupported_credential",
    "committer",
  );
});

Deno.test("key package: the suite, its capabilities and its extensions are checked (§10.1, §10)", async () => {
  const c = await client(cs, "c");
  const cs2 = await defaultProvider().suite(2);
  const other = await generateKeyPackage(
    cs2,
    c.credential,
    await cs2.signatureGenerateKeyPair(),
  );
  await rejectsWith(
    validateKeyPackage(cs, other.keyPackage),
    "cipher_suite_mismatch",
    "suite",
  );
  const caps = defaultCapabilities(cs.id);
  const noSuite = await generateKeyPackage(cs, c.credential, c.signer, {
    capabilities: { ...caps, cipherSuites: [2] },
  });
  await rejectsWith(
    validateKeyPackage(cs, noSuite.keyPackage),
    "unsupported_capabilities",
    "capabilities",
  );
  const unlisted = await generateKeyPackage(cs, c.credential, c.signer, {
    extensions: [{
      extensionType: PRIVATE_EXTENSION,
      extensionData: new Uint8Array([2]),
    }],
  });
  await rejectsWith(
    validateKeyPackage(cs, unlisted.keyPackage),
    "unsupported_extension",
    "key package extension",
  );
});
