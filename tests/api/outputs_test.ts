// What a view hands out for what it made (src/api/outputs.ts): a commit's
// messages, next epoch and the proposals it dropped; a proposal and its
// reference.
import assert from "node:assert/strict";
import { commitOutput, proposalOutput } from "../../src/api/outputs.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import { createCommit } from "../../src/group/commit.ts";
import { propose } from "../../src/group/propose.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { toHex } from "../../src/util/bytes.ts";
import { liveGroup } from "./helpers.ts";

Deno.test("outputs: a commit's output, with what it dropped", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  // An external PSK no one knows: the commit leaves it out, and says so.
  const psk = await propose(a.state, {
    proposalType: ProposalType.psk,
    psk: {
      pskType: PSKType.external,
      pskId: new Uint8Array([1]),
      pskNonce: new Uint8Array(32),
    },
  });
  const removal = await propose(psk.state, removeProposal(2));
  const c = await createCommit(removal.state);
  const out = commitOutput(c, removal.state);
  assert.equal(out.type, "commit");
  assert.equal(out.epoch, a.state.context.epoch + 1n);
  assert.equal(out.welcome, undefined);
  assert.deepEqual([out.commit[2], out.commit[3]], [0, 2]); // PrivateMessage
  assert.deepEqual([out.groupInfo[2], out.groupInfo[3]], [0, 4]); // GroupInfo
  assert.ok(out.ratchetTree.length > 0);
  assert.equal(out.dropped?.length, 1);
  assert.equal(out.dropped![0].proposal.kind, "psk");
  assert.equal(out.dropped![0].error.code, "missing_psk");
  const clean = commitOutput(await createCommit(a.state), a.state);
  assert.equal("dropped" in clean, false);
});

Deno.test("outputs: a proposal's output names it by its hex reference", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const sent = await propose(t.lives[0].state, removeProposal(1));
  const out = proposalOutput(sent);
  assert.equal(out.type, "proposal");
  assert.equal(out.ref, toHex(sent.ref));
  assert.ok(sent.state.proposals.has(out.ref));
  assert.deepEqual([out.proposal[2], out.proposal[3]], [0, 2]);
});
