// Delivery behaviour of a group: out-of-order application messages within
// the generation window, the forward limit, late messages from past epochs
// and their retention, handshake messages for a past epoch, padding, the
// PublicMessage handshake configuration, and retrying a commit that failed
// for a missing PSK.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import type { MLSMessage } from "../../src/framing/mls_message.ts";
import { encode } from "../../src/codec/codec.ts";
import { framedContentBodyCodec } from "../../src/framing/framed_content.ts";
import { unprotectPrivate } from "../../src/framing/private_protect.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { WireFormat } from "../../src/framing/wire_format.ts";
import { createCommit, welcomeMessage } from "../../src/group/commit.ts";
import {
  propose,
  proposeUpdate,
  sendApplication,
} from "../../src/group/propose.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { PSKType } from "../../src/messages/psk.ts";
import {
  accept,
  assertGroupWorks,
  broadcast,
  client,
  exporterOf,
  groupOf,
  keyPackageOf,
  rejectsWith,
  welcomeOf,
  wire,
} from "./helpers.ts";

const provider = defaultProvider();
const SUITES = [1, 2];
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** Receives an application message, asserting its content and epoch. */
async function read(
  s: GroupState,
  msg: MLSMessage,
  expected: string,
  epoch?: bigint,
): Promise<void> {
  const r = await receiveMessage(s, wire(msg));
  assert.equal(r.kind, "application");
  if (r.kind !== "application") return;
  assert.equal(str(r.data), expected);
  if (epoch !== undefined) assert.equal(r.epoch, epoch);
}

/** Octets of the varint length prefix of `n` (§2.1.2). */
const vlen = (n: number) => n < 64 ? 1 : n < 16384 ? 2 : 4;

/**
 * The length of a PrivateMessage's plaintext (`PrivateMessageContent`), and
 * what it would be without padding, decrypted as `receiver` would (with a
 * copy of its secret tree, so nothing is consumed).
 */
async function plaintextLength(
  receiver: GroupState,
  msg: MLSMessage,
): Promise<{ padded: number; unpadded: number }> {
  if (msg.wireFormat !== WireFormat.mlsPrivateMessage) {
    throw new Error("not a PrivateMessage");
  }
  const pm = msg.privateMessage;
  const { content, auth } = await unprotectPrivate(receiver.cs, pm, {
    groupContext: receiver.context,
    secretTree: receiver.secretTree.clone(),
    senderDataSecret: receiver.keys.senderDataSecret,
    signaturePublicKey: (sender) =>
      sender.senderType === SenderType.member
        ? receiver.tree.getLeaf(sender.leafIndex)?.signatureKey
        : undefined,
    isMember: (leaf) => receiver.tree.getLeaf(leaf) !== undefined,
  });
  const body = encode(framedContentBodyCodec, content).length - 1; // no type
  const sig = vlen(auth.signature.length) + auth.signature.length;
  const tag = auth.confirmationTag
    ? vlen(auth.confirmationTag.length) + auth.confirmationTag.length
    : 0;
  return {
    padded: pm.ciphertext.length - 16, // every suite's AEAD tag is 16 octets
    unpadded: body + sig + tag,
  };
}

for (const suite of SUITES) {
  Deno.test(`delivery, suite ${suite}`, async (t) => {
    const cs = await provider.suite(suite);
    const names = ["alice", "bob", "charlie"];

    await t.step("out-of-order application messages", async () => {
      const g = await groupOf(cs, names, { maxSkippedKeys: 16 });
      const [a, b] = g.states;
      const sent: MLSMessage[] = [];
      for (let i = 0; i < 12; i++) {
        sent.push(await sendApplication(b, text(`m${i}`)));
      }
      // Reversed, then a shuffle for the third member.
      for (let i = sent.length - 1; i >= 0; i--) {
        await read(a, sent[i], `m${i}`);
      }
      const order = [5, 0, 11, 3, 1, 7, 2, 10, 4, 9, 6, 8];
      for (const i of order) await read(g.states[2], sent[i], `m${i}`);
      // Each key was used once: replays fail, also for skipped keys.
      for (const i of [0, 5, 11]) {
        await rejectsWith(
          receiveMessage(a, wire(sent[i])),
          "generation_too_old",
          `replay of m${i}`,
        );
      }
      await assertGroupWorks(g);
    });

    await t.step("skipped keys beyond maxSkippedKeys are dropped", async () => {
      const g = await groupOf(cs, names, { maxSkippedKeys: 3 });
      const [a, b] = g.states;
      const sent: MLSMessage[] = [];
      for (let i = 0; i < 6; i++) {
        sent.push(await sendApplication(b, text(`m${i}`)));
      }
      await read(a, sent[5], "m5"); // keeps keys 2, 3, 4 only
      await rejectsWith(
        receiveMessage(a, wire(sent[1])),
        "generation_too_old",
        "evicted key",
      );
      for (const i of [4, 2, 3]) await read(a, sent[i], `m${i}`);
      await assertGroupWorks(g);
    });

    await t.step("generation beyond maxForwardGeneration", async () => {
      const g = await groupOf(cs, names, { maxForwardGeneration: 4 });
      const [a, b] = g.states;
      const sent: MLSMessage[] = [];
      for (let i = 0; i < 7; i++) {
        sent.push(await sendApplication(b, text(`m${i}`)));
      }
      // Generation 5 is 5 ahead of the next expected (0): refused, and
      // nothing is consumed.
      await rejectsWith(
        receiveMessage(a, wire(sent[5])),
        "generation_too_far",
        "generation 5",
      );
      await read(a, sent[4], "m4"); // 4 ahead: fine
      await read(a, sent[5], "m5"); // now next
      await read(a, sent[6], "m6");
      for (const i of [0, 1, 2, 3]) await read(a, sent[i], `m${i}`);
      // Charlie steps up in two hops.
      await rejectsWith(
        receiveMessage(g.states[2], wire(sent[6])),
        "generation_too_far",
        "generation 6",
      );
      await read(g.states[2], sent[3], "m3");
      await read(g.states[2], sent[6], "m6");
      await assertGroupWorks(g);
    });

    await t.step("late messages from past epochs", async () => {
      const g = await groupOf(cs, names, { maxPastEpochs: 2 });
      const e1 = g.states[0].context.epoch;
      const late = await sendApplication(g.states[1], text("from e1"));
      const later = await sendApplication(g.states[1], text("also e1"));
      const last = await sendApplication(g.states[1], text("still e1"));
      const c1 = await createCommit(g.states[0]);
      await broadcast(g, 0, c1.message, c1.state);
      // One epoch later: decrypted, and reported with its epoch.
      await read(g.states[2], late, "from e1", e1);
      const c2 = await createCommit(g.states[2]);
      await broadcast(g, 2, c2.message, c2.state);
      await read(g.states[0], later, "also e1", e1); // two epochs back
      await read(g.states[2], later, "also e1", e1);
      const c3 = await createCommit(g.states[1]);
      await broadcast(g, 1, c3.message, c3.state);
      // Three epochs back: beyond retention, the keys are gone.
      for (const s of [g.states[0], g.states[2]]) {
        await rejectsWith(
          receiveMessage(s, wire(last)),
          "wrong_epoch",
          "epoch beyond retention",
        );
      }
      assert.equal(g.states[0].past.length, 2);
      await assertGroupWorks(g);
    });

    await t.step("no past epochs kept (maxPastEpochs 0)", async () => {
      const g = await groupOf(cs, names, { maxPastEpochs: 0 });
      const late = await sendApplication(g.states[1], text("late"));
      const c = await createCommit(g.states[0]);
      await broadcast(g, 0, c.message, c.state);
      assert.equal(g.states[2].past.length, 0);
      await rejectsWith(
        receiveMessage(g.states[2], wire(late)),
        "wrong_epoch",
        "previous epoch",
      );
      await assertGroupWorks(g);
    });

    for (const wf of ["private", "public"] as const) {
      await t.step(`handshake messages for a past epoch (${wf})`, async () => {
        const g = await groupOf(cs, names, {
          handshakeWireFormat: wf,
          maxPastEpochs: 3,
        });
        // Bob's proposal and Charlie's commit are delayed past Alice's
        // commit, which wins the epoch.
        const p = await proposeUpdate(g.states[1]);
        const lost = await createCommit(g.states[2]);
        const c = await createCommit(g.states[0]);
        await broadcast(g, 0, c.message, c.state);
        for (const m of [p.message, lost.message]) {
          for (const s of g.states) {
            await rejectsWith(
              receiveMessage(s, wire(m)),
              "wrong_epoch",
              "past-epoch handshake",
            );
          }
        }
        await assertGroupWorks(g);
      });
    }

    await t.step("padding", async () => {
      for (
        const [policy, expect] of [
          [{ blockSize: 64 }, (n: number) => Math.ceil(n / 64) * 64],
          [{ length: 100 }, (n: number) => n + 100],
          [undefined, (n: number) => n],
        ] as const
      ) {
        const g = await groupOf(cs, names, { padding: policy });
        const sizes = new Set<number>();
        for (const s of ["", "x", "a somewhat longer message of 40 octets!!"]) {
          const m = await sendApplication(g.states[1], text(s));
          const { padded, unpadded } = await plaintextLength(g.states[2], m);
          assert.equal(padded, expect(unpadded), `${s.length} octets`);
          sizes.add(padded);
          await read(g.states[0], m, s);
          await read(g.states[2], m, s);
        }
        if (policy && "blockSize" in policy) {
          assert.equal(sizes.size, 1, "short messages look alike");
        }
        // Handshake messages are padded the same way.
        const c = await createCommit(g.states[0]);
        const { padded, unpadded } = await plaintextLength(
          g.states[1],
          c.message,
        );
        assert.equal(padded, expect(unpadded), "commit");
        await broadcast(g, 0, c.message, c.state);
        await assertGroupWorks(g);
      }
    });

    await t.step("PublicMessage handshakes end to end", async () => {
      const g = await groupOf(cs, names, { handshakeWireFormat: "public" });
      const pub = WireFormat.mlsPublicMessage;
      // A proposal, a commit by another member, an add and a remove.
      const upd = await proposeUpdate(g.states[2]);
      assert.equal(upd.message.wireFormat, pub);
      await broadcast(g, 2, upd.message, upd.state);
      const c1 = await createCommit(g.states[1]);
      assert.equal(c1.message.wireFormat, pub);
      await broadcast(g, 1, c1.message, c1.state);
      const dave = await client(cs, "dave");
      const kpD = await keyPackageOf(cs, dave);
      const add = await propose(g.states[0], {
        proposalType: 1,
        keyPackage: kpD.keyPackage,
      });
      assert.equal(add.message.wireFormat, pub);
      await broadcast(g, 0, add.message, add.state);
      const c2 = await createCommit(g.states[2]);
      assert.equal(c2.message.wireFormat, pub);
      await broadcast(g, 2, c2.message, c2.state);
      const joined = await joinFromWelcome(
        cs,
        welcomeOf(wire(welcomeMessage(c2.welcome!))),
        {
          keyPackage: kpD.keyPackage,
          ...kpD.privateKeys,
          signer: dave.signer.privateKey,
          config: { handshakeWireFormat: "public" },
        },
      );
      g.states.push(joined.state);
      g.clients.push(dave);
      // Application data stays a PrivateMessage.
      const app = await sendApplication(g.states[3], text("hello"));
      assert.equal(app.wireFormat, WireFormat.mlsPrivateMessage);
      const c3 = await createCommit(g.states[3], {
        proposals: [{ proposalType: 3, removed: 1 }],
      });
      assert.equal(c3.message.wireFormat, pub);
      assert.equal(
        (await receiveMessage(g.states[1], wire(c3.message))).kind,
        "removed",
      );
      g.states.splice(1, 1);
      g.clients.splice(1, 1);
      g.states = await Promise.all(
        g.states.map((s, i) =>
          i === 2 ? c3.state : accept(s, c3.message, "commit")
        ),
      );
      await assertGroupWorks(g);
      // The default is PrivateMessage for handshakes.
      const d = await groupOf(cs, ["x", "y"]);
      const dc = await createCommit(d.states[0]);
      assert.equal(dc.message.wireFormat, WireFormat.mlsPrivateMessage);
    });

    for (const wf of ["private", "public"] as const) {
      await t.step(
        `a commit retried once its PSK is known (${wf})`,
        async () => {
          const g = await groupOf(cs, names, { handshakeWireFormat: wf });
          const psk = cs.randomBytes(32);
          const lookup = (id: { pskType: number }) =>
            id.pskType === PSKType.external ? psk : undefined;
          const c = await createCommit(g.states[0], {
            proposals: [{
              proposalType: 4,
              psk: {
                pskType: 1,
                pskId: text("psk"),
                pskNonce: cs.randomBytes(cs.hashLength),
              },
            }],
            psks: lookup,
          });
          const before = await exporterOf(g.states[1]);
          await rejectsWith(
            receiveMessage(g.states[1], wire(c.message)),
            "missing_psk",
            "no PSK yet",
          );
          assert.deepEqual(await exporterOf(g.states[1]), before);
          await broadcast(g, 0, c.message, c.state, { psks: lookup });
          await assertGroupWorks(g);
        },
      );
    }
  });
}
