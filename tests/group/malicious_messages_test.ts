// Adversarial inputs to a group: replayed, reordered, truncated and
// bit-flipped messages, commits for a wrong epoch, commits breaking the
// proposal-list rules of RFC 9420 §12.2 (crafted by a member, bypassing
// createCommit's own checks), messages from a removed member, and a
// Welcome used by someone it was not made for. Each is rejected with a
// specific MlsError code, and the group keeps working afterwards.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { SuiteCrypto } from "../../providers/provider.ts";
import { ContentType } from "../../src/framing/content_type.ts";
import type { MLSMessage } from "../../src/framing/mls_message.ts";
import type { PrivateMessage } from "../../src/framing/private_message.ts";
import type { PublicMessage } from "../../src/framing/public_message.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { createCommit } from "../../src/group/commit.ts";
import {
  propose,
  proposeUpdate,
  sendApplication,
} from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import type { ProposalOrRef } from "../../src/messages/commit.ts";
import type { Proposal } from "../../src/messages/proposal.ts";
import type { UpdatePath } from "../../src/messages/update_path.ts";
import { MlsError } from "../../src/errors.ts";
import { toHex } from "../../src/util/bytes.ts";
import {
  accept,
  assertGroupWorks,
  broadcast,
  bytesOf,
  client,
  exporterOf,
  flipBit,
  forge,
  groupOf,
  keyPackageOf,
  messageFrom,
  publicView,
  rejectsWith,
  type TestGroup,
  wire,
} from "./helpers.ts";

const provider = defaultProvider();
const SUITES = [1, 2]; // Ed25519 + X25519 + AES-GCM; ECDSA P-256 + P-256 DHKEM
const FORMATS = ["private", "public"] as const;
const text = (s: string) => new TextEncoder().encode(s);

const remove = (removed: number): Proposal => ({ proposalType: 3, removed });
const byValue = (proposal: Proposal): ProposalOrRef => ({ type: 1, proposal });

function publicOf(m: MLSMessage): PublicMessage {
  if (m.wireFormat !== WireFormat.mlsPublicMessage) throw new Error("public?");
  return m.publicMessage;
}
function privateOf(m: MLSMessage): PrivateMessage {
  if (m.wireFormat !== WireFormat.mlsPrivateMessage) {
    throw new Error("private?");
  }
  return m.privateMessage;
}
function withPublic(
  m: MLSMessage,
  f: (p: PublicMessage) => PublicMessage,
): MLSMessage {
  return {
    version: m.version,
    wireFormat: WireFormat.mlsPublicMessage,
    publicMessage: f(structuredClone(publicOf(m))),
  };
}
function withPrivate(
  m: MLSMessage,
  f: (p: PrivateMessage) => PrivateMessage,
): MLSMessage {
  return {
    version: m.version,
    wireFormat: WireFormat.mlsPrivateMessage,
    privateMessage: f(structuredClone(privateOf(m))),
  };
}

/**
 * A genuine UpdatePath of `state`'s member for a commit of `proposals`
 * (from a commit that is created and thrown away).
 */
async function pathFor(
  state: GroupState,
  proposals: Proposal[] = [],
): Promise<UpdatePath> {
  const c = await createCommit(publicView(state), {
    proposals,
    includePending: false,
  });
  const content = publicOf(c.message).content;
  if (content.contentType !== ContentType.commit || !content.commit.path) {
    throw new Error("no path");
  }
  return content.commit.path;
}

// --- Byte layout of encoded messages, for the bit-flip sweeps. -----------

/** Octets of the QUIC-style varint length prefix of `n` (§2.1.2). */
const vlen = (n: number) => n < 64 ? 1 : n < 16384 ? 2 : 4;
/** Codes a malformed encoding may yield. */
const CODEC = [
  "truncated",
  "trailing_bytes",
  "invalid_varint",
  "non_minimal_varint",
  "unknown_enum",
  "invalid_value",
];
/** Codes a flipped length prefix may yield: it shifts every later field. */
const SHIFTED = [
  ...CODEC,
  "wrong_group",
  "wrong_epoch",
  "crypto_failure",
  "invalid_sender",
  "invalid_membership_tag",
  "invalid_wire_format",
  "wrong_content_type",
];

interface Region {
  name: string;
  length: number;
  codes: string[];
}

/** The header of an MLSMessage: version and wire format. */
const HEADER: Region[] = [
  { name: "version", length: 2, codes: CODEC },
  { name: "wire_format", length: 2, codes: [...SHIFTED] },
];

function opaqueRegions(
  name: string,
  value: Uint8Array,
  codes: string[],
): Region[] {
  return [
    { name: `${name} length`, length: vlen(value.length), codes: SHIFTED },
    { name, length: value.length, codes },
  ];
}

/** Fields of a PrivateMessage and the code a flip in each must give. */
function privateLayout(pm: PrivateMessage): Region[] {
  return [
    ...HEADER,
    ...opaqueRegions("group_id", pm.groupId, ["wrong_group"]),
    { name: "epoch", length: 8, codes: ["wrong_epoch"] },
    // Another valid content type changes the sender-data AAD.
    {
      name: "content_type",
      length: 1,
      codes: ["crypto_failure", "unknown_enum"],
    },
    ...opaqueRegions("authenticated_data", pm.authenticatedData, [
      "crypto_failure",
    ]),
    ...opaqueRegions("encrypted_sender_data", pm.encryptedSenderData, [
      "crypto_failure",
    ]),
    ...opaqueRegions("ciphertext", pm.ciphertext, ["crypto_failure"]),
  ];
}

/** Fields of a member's PublicMessage commit and the codes a flip gives. */
function publicLayout(m: MLSMessage): Region[] {
  const pub = publicOf(m);
  const { content, auth, membershipTag } = pub;
  // The commit body is whatever lies between the content header and auth.
  const total = bytesOf(m).length;
  const tail = vlen(auth.signature.length) + auth.signature.length +
    vlen(auth.confirmationTag!.length) + auth.confirmationTag!.length +
    vlen(membershipTag!.length) + membershipTag!.length;
  const head = 4 + vlen(content.groupId.length) + content.groupId.length +
    8 + 5 + vlen(content.authenticatedData.length) +
    content.authenticatedData.length + 1;
  const TAG = ["invalid_membership_tag"];
  return [
    ...HEADER,
    ...opaqueRegions("group_id", content.groupId, ["wrong_group"]),
    { name: "epoch", length: 8, codes: ["wrong_epoch"] },
    { name: "sender_type", length: 1, codes: SHIFTED },
    // Another leaf: no such member (no key) or a member (tag mismatch).
    {
      name: "leaf_index",
      length: 4,
      codes: ["invalid_sender", "invalid_membership_tag"],
    },
    ...opaqueRegions("authenticated_data", content.authenticatedData, TAG),
    { name: "content_type", length: 1, codes: SHIFTED },
    // A flip inside the commit either breaks its encoding or its tag.
    { name: "commit", length: total - head - tail, codes: [...CODEC, ...TAG] },
    ...opaqueRegions("signature", auth.signature, TAG),
    ...opaqueRegions("confirmation_tag", auth.confirmationTag!, TAG),
    ...opaqueRegions("membership_tag", membershipTag!, TAG),
  ];
}

/**
 * Flips one bit of every `step`-th octet of `msg` (bit `i % 8` of octet
 * `i`) and asserts `victim` rejects each with its field's code.
 */
async function sweep(
  victim: GroupState,
  msg: MLSMessage,
  layout: Region[],
  step = 1,
): Promise<Set<string>> {
  const bytes = bytesOf(msg);
  const regions: Region[] = [];
  for (const r of layout) for (let i = 0; i < r.length; i++) regions.push(r);
  assert.equal(regions.length, bytes.length, "layout covers the message");
  const seen = new Set<string>();
  for (let i = 0; i < bytes.length; i += step) {
    const region = regions[i];
    const bad = flipBit(bytes, i, i % 8);
    let code: string | undefined;
    try {
      await receiveMessage(victim, messageFrom(bad));
    } catch (e) {
      if (!(e instanceof MlsError)) throw e;
      code = e.code;
    }
    assert.ok(
      code !== undefined && region.codes.includes(code),
      `octet ${i} (${region.name}): got ${code ?? "acceptance"}`,
    );
    seen.add(`${region.name}:${code}`);
  }
  return seen;
}

// --- The cases. -----------------------------------------------------------

function fresh(cs: SuiteCrypto, wf: "private" | "public") {
  return groupOf(cs, ["alice", "bob", "charlie"], { handshakeWireFormat: wf });
}

/** Bob commits (an empty commit with a path) and everyone applies it. */
async function bobCommits(g: TestGroup): Promise<void> {
  const c = await createCommit(g.states[1]);
  await broadcast(g, 1, c.message, c.state);
}

for (const suite of SUITES) {
  for (const wf of FORMATS) {
    Deno.test(`malicious messages, suite ${suite}, ${wf} handshakes`, async (t) => {
      const cs = await provider.suite(suite);
      const handshakeFormat = wf === "public"
        ? WireFormat.mlsPublicMessage
        : WireFormat.mlsPrivateMessage;

      await t.step("replayed application message", async () => {
        const g = await fresh(cs, wf);
        const [a, b, c] = g.states;
        const m = await sendApplication(b, text("once"));
        assert.equal((await receiveMessage(a, wire(m))).kind, "application");
        await rejectsWith(
          receiveMessage(a, wire(m)),
          "generation_too_old",
          "replay",
        );
        // Others are unaffected; the sender goes on normally.
        assert.equal((await receiveMessage(c, wire(m))).kind, "application");
        await assertGroupWorks(g);
      });

      await t.step("replayed proposal and commit", async () => {
        const g = await fresh(cs, wf);
        const p = await proposeUpdate(g.states[1]);
        const a1 = await accept(g.states[0], p.message, "proposal");
        if (wf === "private") {
          // The handshake key was consumed.
          await rejectsWith(
            receiveMessage(a1, wire(p.message)),
            "generation_too_old",
            "proposal replay",
          );
        } else {
          // A PublicMessage has no ratchet: the replay is idempotent.
          const a2 = await accept(a1, p.message, "proposal");
          assert.equal(a2.proposals.size, a1.proposals.size);
        }
        g.states[0] = a1;
        g.states[2] = await accept(g.states[2], p.message, "proposal");
        g.states[1] = p.state;
        const c = await createCommit(g.states[0]);
        assert.equal(c.message.wireFormat, handshakeFormat);
        await broadcast(g, 0, c.message, c.state);
        for (const i of [1, 2]) {
          await rejectsWith(
            receiveMessage(g.states[i], wire(c.message)),
            "wrong_epoch",
            "commit replay",
          );
        }
        await rejectsWith(
          receiveMessage(g.states[2], wire(p.message)),
          "wrong_epoch",
          "proposal replay after the commit",
        );
        await assertGroupWorks(g);
      });

      await t.step("reordered commits", async () => {
        const g = await fresh(cs, wf);
        const c1 = await createCommit(g.states[1]);
        const c2 = await createCommit(c1.state); // the next epoch's commit
        for (const i of [0, 2]) {
          await rejectsWith(
            receiveMessage(g.states[i], wire(c2.message)),
            "wrong_epoch",
            "epoch N+1 commit first",
          );
        }
        await broadcast(g, 1, c1.message, c1.state);
        await broadcast(g, 1, c2.message, c2.state);
        assert.equal(g.states[0].context.epoch, 3n);
        await assertGroupWorks(g);
      });

      await t.step("commit for a wrong epoch (the losing fork)", async () => {
        const g = await fresh(cs, wf);
        const stale = await createCommit(g.states[1]); // Bob's, loses
        const winner = await createCommit(g.states[0]);
        await broadcast(g, 0, winner.message, winner.state);
        for (const i of [0, 2]) {
          await rejectsWith(
            receiveMessage(g.states[i], wire(stale.message)),
            "wrong_epoch",
            "stale commit",
          );
        }
        await assertGroupWorks(g);
      });

      await t.step("truncated messages", async () => {
        const g = await fresh(cs, wf);
        const [a, b] = g.states;
        const app = await sendApplication(b, text("whole"));
        const commit = await createCommit(b);
        for (const m of [app, commit.message]) {
          const bytes = bytesOf(m);
          for (const cut of [1, 8, bytes.length >> 1, bytes.length - 3]) {
            await rejectsWith(
              () => receiveMessage(a, messageFrom(bytes.subarray(0, cut))),
              "truncated",
              `cut at ${cut}`,
            );
          }
          await rejectsWith(
            () =>
              receiveMessage(
                a,
                messageFrom(bytes.subarray(0, bytes.length - 1)),
              ),
            "truncated",
            "last octet missing",
          );
        }
        // A well-formed message whose ciphertext lost its last octet.
        await rejectsWith(
          receiveMessage(
            a,
            withPrivate(app, (p) => ({
              ...p,
              ciphertext: p.ciphertext.subarray(0, -1),
            })),
          ),
          "crypto_failure",
          "short ciphertext",
        );
        if (wf === "public") {
          await rejectsWith(
            receiveMessage(
              a,
              withPublic(commit.message, (p) => ({
                ...p,
                membershipTag: p.membershipTag!.subarray(0, -1),
              })),
            ),
            "invalid_membership_tag",
            "short membership tag",
          );
        }
        // The genuine messages still go through.
        const r = await receiveMessage(a, wire(app));
        assert.equal(r.kind, "application");
        await broadcast(g, 1, commit.message, commit.state);
        await assertGroupWorks(g);
      });

      await t.step("bit flips: PrivateMessage fields", async () => {
        const g = await fresh(cs, wf);
        const [a, b] = g.states;
        const app = await sendApplication(b, text("hello"), text("meta"));
        const cases: [string, (p: PrivateMessage) => PrivateMessage, string][] =
          [
            [
              "group_id",
              (p) => ({ ...p, groupId: flipBit(p.groupId, 0) }),
              "wrong_group",
            ],
            [
              "epoch",
              (p) => ({ ...p, epoch: p.epoch ^ (1n << 40n) }),
              "wrong_epoch",
            ],
            [
              "content_type",
              (p) => ({ ...p, contentType: 3 }),
              "crypto_failure",
            ],
            [
              "authenticated_data",
              (p) => ({
                ...p,
                authenticatedData: flipBit(p.authenticatedData, 2, 5),
              }),
              "crypto_failure",
            ],
            [
              "sender data",
              (p) => ({
                ...p,
                encryptedSenderData: flipBit(p.encryptedSenderData, 0),
              }),
              "crypto_failure",
            ],
            [
              "sender data tag",
              (p) => ({
                ...p,
                encryptedSenderData: flipBit(p.encryptedSenderData, -1, 7),
              }),
              "crypto_failure",
            ],
            [
              "ciphertext sample",
              (p) => ({ ...p, ciphertext: flipBit(p.ciphertext, 1) }),
              "crypto_failure",
            ],
            [
              "ciphertext body",
              (p) => ({
                ...p,
                ciphertext: flipBit(p.ciphertext, cs.hashLength + 3, 2),
              }),
              "crypto_failure",
            ],
            [
              "ciphertext tag",
              (p) => ({ ...p, ciphertext: flipBit(p.ciphertext, -1, 6) }),
              "crypto_failure",
            ],
          ];
        for (const [name, f, code] of cases) {
          await rejectsWith(receiveMessage(a, withPrivate(app, f)), code, name);
        }
        // A member forging the signature inside the encryption (all
        // members know the secret tree): the key is not consumed.
        const badSig = await forge(b, {
          contentType: ContentType.application,
          applicationData: text("forged"),
        }, {
          tamper: (s) => ({
            ...s,
            auth: { ...s.auth, signature: flipBit(s.auth.signature, 3) },
          }),
        });
        await rejectsWith(
          receiveMessage(a, wire(badSig)),
          "invalid_signature",
          "signature",
        );
        // Charlie encrypts under Bob's ratchet, as Bob, signed by himself.
        const charlie = g.states[2];
        const spoof = await forge(charlie, {
          contentType: ContentType.application,
          applicationData: text("I am Bob"),
        }, {
          content: (c) => ({ ...c, sender: { senderType: 1, leafIndex: 1 } }),
        });
        await rejectsWith(
          receiveMessage(a, wire(spoof)),
          "invalid_signature",
          "impersonation",
        );
        // Bob's genuine messages (generations 0, 1, 2) all still decrypt.
        const r = await receiveMessage(a, wire(app));
        assert.ok(r.kind === "application" && r.sender === 1);
        assert.equal(new TextDecoder().decode(r.data), "hello");
        await assertGroupWorks(g);
      });

      // PublicMessage fields exist only with public handshakes: the step is
      // not made at all for private ones (rather than passing without work).
      if (wf === "public") {
        await t.step("bit flips: PublicMessage commit fields", async () => {
          const g = await fresh(cs, wf);
          const [a, b, c] = g.states;
          const commit = await createCommit(b, {
            authenticatedData: text("ad"),
          });
          const m = commit.message;
          const cases: [string, (p: PublicMessage) => PublicMessage, string][] =
            [
              [
                "signature",
                (p) => ({
                  ...p,
                  auth: { ...p.auth, signature: flipBit(p.auth.signature, 5) },
                }),
                "invalid_membership_tag",
              ],
              [
                "confirmation tag",
                (p) => ({
                  ...p,
                  auth: {
                    ...p.auth,
                    confirmationTag: flipBit(p.auth.confirmationTag!, 0),
                  },
                }),
                "invalid_membership_tag",
              ],
              [
                "membership tag",
                (p) => ({ ...p, membershipTag: flipBit(p.membershipTag!, -1) }),
                "invalid_membership_tag",
              ],
              [
                "authenticated data",
                (p) => ({
                  ...p,
                  content: {
                    ...p.content,
                    authenticatedData: flipBit(p.content.authenticatedData, 1),
                  },
                }),
                "invalid_membership_tag",
              ],
              [
                "group id",
                (p) => ({
                  ...p,
                  content: {
                    ...p.content,
                    groupId: flipBit(p.content.groupId, 0),
                  },
                }),
                "wrong_group",
              ],
              [
                "epoch",
                (p) => ({
                  ...p,
                  content: { ...p.content, epoch: p.content.epoch + 1n },
                }),
                "wrong_epoch",
              ],
              [
                "sender",
                (p) => ({
                  ...p,
                  content: {
                    ...p.content,
                    sender: { senderType: 1, leafIndex: 9 },
                  },
                }),
                "invalid_sender",
              ],
              [
                "sender (another member)",
                (p) => ({
                  ...p,
                  content: {
                    ...p.content,
                    sender: { senderType: 1, leafIndex: 2 },
                  },
                }),
                "invalid_membership_tag",
              ],
              [
                "no membership tag",
                (p) => ({ ...p, membershipTag: undefined }),
                "invalid_value",
              ],
            ];
          for (const [name, f, code] of cases) {
            await rejectsWith(
              () => receiveMessage(a, wire(withPublic(m, f))),
              code,
              name,
            );
          }
          // A member re-tags what it tampered with (it knows the membership
          // key): then the signature or the confirmation tag catches it.
          const content = publicOf(m).content;
          if (content.contentType !== ContentType.commit) throw new Error();
          const body = {
            contentType: ContentType.commit,
            commit: content.commit,
          };
          const badSig = await forge(b, body, {
            confirmationTag: publicOf(m).auth.confirmationTag,
            tamper: (s) => ({
              ...s,
              auth: { ...s.auth, signature: flipBit(s.auth.signature, 0) },
            }),
          });
          await rejectsWith(
            receiveMessage(a, wire(badSig)),
            "invalid_signature",
            "re-tagged signature",
          );
          const badTag = await forge(b, body); // random confirmation tag
          await rejectsWith(
            receiveMessage(a, wire(badTag)),
            "invalid_confirmation_tag",
            "re-tagged confirmation tag",
          );
          const asCharlie = await forge(c, body, {
            content: (x) => ({ ...x, sender: { senderType: 1, leafIndex: 1 } }),
          });
          await rejectsWith(
            receiveMessage(a, wire(asCharlie)),
            "invalid_signature",
            "Charlie posing as Bob",
          );
          await broadcast(g, 1, m, commit.state);
          await assertGroupWorks(g);
        });
      }

      await t.step("bit-flip sweep over every octet", async () => {
        const g = await fresh(cs, wf);
        const [a, b] = g.states;
        const commit = await createCommit(b);
        const m = commit.message;
        const seen = await sweep(
          a,
          m,
          wf === "public" ? publicLayout(m) : privateLayout(privateOf(m)),
          wf === "public" ? 3 : 1,
        );
        const expected = wf === "public"
          ? [
            "group_id:wrong_group",
            "epoch:wrong_epoch",
            "leaf_index:invalid_sender",
            "commit:invalid_membership_tag",
            "signature:invalid_membership_tag",
            "confirmation_tag:invalid_membership_tag",
            "membership_tag:invalid_membership_tag",
          ]
          : [
            "group_id:wrong_group",
            "epoch:wrong_epoch",
            "encrypted_sender_data:crypto_failure",
            "ciphertext:crypto_failure",
          ];
        for (const e of expected) {
          assert.ok(seen.has(e), `${e} in ${[...seen]}`);
        }
        if (wf === "private") {
          const app = await sendApplication(b, text("sweep"), text("ad"));
          await sweep(a, app, privateLayout(privateOf(app)));
          const r = await receiveMessage(a, wire(app));
          assert.equal(r.kind, "application");
        }
        await broadcast(g, 1, m, commit.state);
        await assertGroupWorks(g);
      });

      await t.step("commit with a wrong confirmation tag", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        const body = {
          contentType: ContentType.commit,
          commit: { proposals: [], path: await pathFor(b) },
        };
        const forged = await forge(b, body); // random confirmation tag
        assert.equal(forged.wireFormat, handshakeFormat);
        await rejectsWith(
          receiveMessage(g.states[0], wire(forged)),
          "invalid_confirmation_tag",
          "confirmation tag",
        );
        await bobCommits(g);
        await assertGroupWorks(g);
      });

      await t.step("commit removing its own sender", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        const forged = await forge(b, {
          contentType: ContentType.commit,
          commit: {
            proposals: [byValue(remove(1))],
            path: await pathFor(b, [remove(2)]),
          },
        });
        for (const i of [0, 2]) {
          await rejectsWith(
            receiveMessage(g.states[i], wire(forged)),
            "remove_committer",
            "self-removal",
          );
        }
        // The API refuses to build one.
        await rejectsWith(
          createCommit(b, { proposals: [remove(1)] }),
          "remove_committer",
          "createCommit",
        );
        await rejectsWith(propose(b, remove(1)), "remove_committer", "propose");
        await bobCommits(g);
        await assertGroupWorks(g);
      });

      await t.step("messages from a removed member", async () => {
        // No past epochs kept: the removed member's old epoch is gone.
        const g = await groupOf(cs, ["alice", "bob", "charlie"], {
          handshakeWireFormat: wf,
          maxPastEpochs: 0,
        });
        const charlieOld = g.states[2];
        const r = await createCommit(g.states[0], { proposals: [remove(2)] });
        const charlieRemoved = await accept(charlieOld, r.message, "removed");
        g.states = [r.state, await accept(g.states[1], r.message, "commit")];
        g.clients.pop();
        // The removed state refuses to act.
        await rejectsWith(
          sendApplication(charlieRemoved, text("still here")),
          "removed",
          "send after removal",
        );
        await rejectsWith(
          receiveMessage(charlieRemoved, wire(r.message)),
          "removed",
          "receive after removal",
        );
        // The old state, kept by a malicious client, still signs messages
        // for the epoch it knew.
        const oldCommit = await createCommit(charlieOld);
        const oldProposal = await propose(charlieOld, remove(1));
        const oldApp = await sendApplication(charlieOld, text("ghost"));
        for (const s of g.states) {
          for (const m of [oldCommit.message, oldProposal.message, oldApp]) {
            await rejectsWith(
              receiveMessage(s, wire(m)),
              "wrong_epoch",
              "old epoch",
            );
          }
        }
        // Or signs for the current epoch under its old leaf (it lacks the
        // new keys, so as a PublicMessage with a made-up membership tag).
        const a = g.states[0];
        const ghost = await forge({
          ...publicView(charlieOld),
          context: a.context,
          keys: { ...charlieOld.keys, membershipKey: cs.randomBytes(32) },
        }, { contentType: ContentType.proposal, proposal: remove(1) });
        await rejectsWith(
          receiveMessage(a, wire(ghost)),
          "invalid_sender",
          "removed leaf",
        );
        await assertGroupWorks(g);
      });

      await t.step("a Welcome for someone else", async () => {
        const g = await fresh(cs, wf);
        const [dave, erin] = await Promise.all([
          client(cs, "dave"),
          client(cs, "erin"),
        ]);
        const [kpD, kpE, kpB2] = await Promise.all([
          keyPackageOf(cs, dave),
          keyPackageOf(cs, erin),
          keyPackageOf(cs, g.clients[1]),
        ]);
        const add = await createCommit(g.states[0], {
          proposals: [{ proposalType: 1, keyPackage: kpD.keyPackage }],
        });
        const welcome = add.welcome!;
        await rejectsWith(
          joinFromWelcome(cs, welcome, {
            keyPackage: kpE.keyPackage,
            ...kpE.privateKeys,
            signer: erin.signer.privateKey,
          }),
          "welcome_not_for_us",
          "outsider",
        );
        await rejectsWith(
          joinFromWelcome(cs, welcome, {
            keyPackage: kpB2.keyPackage,
            ...kpB2.privateKeys,
            signer: g.clients[1].signer.privateKey,
          }),
          "welcome_not_for_us",
          "member with a new key package",
        );
        // Erin presents Dave's (public) key package with her own keys.
        await rejectsWith(
          joinFromWelcome(cs, welcome, {
            keyPackage: kpD.keyPackage,
            ...kpE.privateKeys,
            signer: erin.signer.privateKey,
          }),
          "crypto_failure",
          "stolen key package",
        );
        await broadcast(g, 0, add.message, add.state);
        const { state } = await joinFromWelcome(cs, welcome, {
          keyPackage: kpD.keyPackage,
          ...kpD.privateKeys,
          signer: dave.signer.privateKey,
        });
        g.states.push(state);
        g.clients.push(dave);
        await assertGroupWorks(g);
      });

      await t.step("commit referencing an unknown proposal", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        const forged = await forge(b, {
          contentType: ContentType.commit,
          commit: {
            proposals: [{ type: 2, reference: cs.randomBytes(cs.hashLength) }],
            path: await pathFor(b),
          },
        });
        await rejectsWith(
          receiveMessage(g.states[0], wire(forged)),
          "unknown_proposal",
          "random reference",
        );
        // A genuine proposal Alice has not (yet) received: Bob's Update,
        // seen by Charlie, who commits it.
        const upd = await proposeUpdate(b);
        g.states[1] = upd.state;
        g.states[2] = await accept(g.states[2], upd.message, "proposal");
        const c = await createCommit(g.states[2]);
        await rejectsWith(
          receiveMessage(g.states[0], wire(c.message)),
          "unknown_proposal",
          "missing proposal",
        );
        // Once the proposal arrives, the same commit is processed.
        const a = await accept(g.states[0], upd.message, "proposal");
        const done = await receiveMessage(a, wire(c.message));
        assert.ok(done.kind === "commit");
        assert.deepEqual(done.summary.updated, [1]);
        g.states[0] = done.state;
        g.states[1] = await accept(g.states[1], c.message, "commit");
        g.states[2] = c.state;
        await assertGroupWorks(g);
      });

      await t.step("Add of an existing member", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        // A fresh key package of Charlie's, same signature key.
        const kpC = await keyPackageOf(cs, g.clients[2]);
        const add: Proposal = { proposalType: 1, keyPackage: kpC.keyPackage };
        await rejectsWith(
          createCommit(b, { proposals: [add] }),
          "add_existing_member",
          "createCommit",
        );
        await rejectsWith(propose(b, add), "add_existing_member", "propose");
        const commit = await forge(b, {
          contentType: ContentType.commit,
          commit: { proposals: [byValue(add)], path: undefined }, // no path needed
        });
        const proposal = await forge(b, {
          contentType: ContentType.proposal,
          proposal: add,
        });
        for (const m of [commit, proposal]) {
          await rejectsWith(
            receiveMessage(g.states[0], wire(m)),
            "add_existing_member",
            "received",
          );
        }
        await bobCommits(g);
        await assertGroupWorks(g);
      });

      await t.step("two Removes of the same leaf", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        const forged = await forge(b, {
          contentType: ContentType.commit,
          commit: {
            proposals: [byValue(remove(2)), byValue(remove(2))],
            path: await pathFor(b, [remove(2)]),
          },
        });
        await rejectsWith(
          receiveMessage(g.states[0], wire(forged)),
          "duplicate_update_remove",
          "two Removes",
        );
        await rejectsWith(
          createCommit(b, { proposals: [remove(2), remove(2)] }),
          "duplicate_update_remove",
          "createCommit",
        );
        // Alice and Bob both propose removing Charlie, who proposes an
        // Update; Alice commits: she includes one Remove and neither the
        // other nor the Update (§12.2: prefer a Remove), and the result is
        // a valid commit that Bob accepts.
        const pa = await propose(g.states[0], remove(2));
        const pb = await propose(b, remove(2));
        const pc = await proposeUpdate(g.states[2]);
        let a = pa.state;
        for (const m of [pb.message, pc.message]) {
          a = await accept(a, m, "proposal");
        }
        let bs = pb.state;
        for (const m of [pa.message, pc.message]) {
          bs = await accept(bs, m, "proposal");
        }
        let charlie = pc.state;
        for (const m of [pa.message, pb.message]) {
          charlie = await accept(charlie, m, "proposal");
        }
        const c = await createCommit(a);
        assert.deepEqual(c.summary.removed, [2]);
        assert.deepEqual(c.summary.updated, []);
        const removed = await receiveMessage(charlie, wire(c.message));
        assert.equal(removed.kind, "removed");
        g.states = [c.state, await accept(bs, c.message, "commit")];
        g.clients.pop();
        await assertGroupWorks(g);
      });

      await t.step("commit missing a required path", async () => {
        const g = await fresh(cs, wf);
        const b = g.states[1];
        for (
          const [name, proposals] of [
            ["empty commit", []],
            ["Remove", [byValue(remove(2))]],
          ] as const
        ) {
          const forged = await forge(b, {
            contentType: ContentType.commit,
            commit: { proposals: [...proposals], path: undefined },
          });
          await rejectsWith(
            receiveMessage(g.states[0], wire(forged)),
            "missing_path",
            name,
          );
        }
        await bobCommits(g);
        await assertGroupWorks(g);
      });

      await t.step("an Update by the committer", async () => {
        const g = await fresh(cs, wf);
        const upd = await proposeUpdate(g.states[1]);
        g.states[1] = upd.state;
        g.states[0] = await accept(g.states[0], upd.message, "proposal");
        g.states[2] = await accept(g.states[2], upd.message, "proposal");
        const b = g.states[1];
        const path = await pathFor(b);
        const byRef = await forge(b, {
          contentType: ContentType.commit,
          commit: { proposals: [{ type: 2, reference: upd.ref }], path },
        });
        // A second Update of Bob's (never sent), committed by value.
        const second = await proposeUpdate(b);
        const proposal = second.state.proposals.get(toHex(second.ref))!
          .proposal;
        const byVal = await forge(b, {
          contentType: ContentType.commit,
          commit: { proposals: [byValue(proposal)], path },
        });
        const forged: [string, MLSMessage][] = [
          ["by reference", byRef],
          ["by value", byVal],
        ];
        for (const [name, m] of forged) {
          await rejectsWith(
            receiveMessage(g.states[0], wire(m)),
            "update_by_committer",
            name,
          );
        }
        // Alice commits Bob's Update instead; Bob takes his new key.
        const c = await createCommit(g.states[0]);
        assert.deepEqual(c.summary.updated, [1]);
        await broadcast(g, 0, c.message, c.state);
        await assertGroupWorks(g);
        assert.deepEqual(
          await exporterOf(g.states[1]),
          await exporterOf(g.states[0]),
        );
      });
    });
  }
}
