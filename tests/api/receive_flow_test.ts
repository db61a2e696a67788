// Receiving into a view's state (src/api/receive_flow.ts): application
// data saves the ratchets, a proposal is kept (and committed with
// autoCommit), a commit enters the next epoch and voids ours, our own
// commit coming back applies it, and only group messages are taken.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { commitOwn, proposeEach, sendOwn } from "../../src/api/own_messages.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import { applyOwnCommit, receiveInto } from "../../src/api/receive_flow.ts";
import { liveGroup } from "./helpers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => e instanceof MlsError && e.code === code);
}

Deno.test("receive_flow: application data", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a, b] = t.lives;
  const r = await receiveInto(b, t.env, await sendOwn(a, utf8("hi")));
  assert.equal(r.type, "application");
  if (r.type === "application") assert.equal(r.text(), "hi");
});

Deno.test("receive_flow: a proposal is committed on arrival with autoCommit", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a, b] = t.lives;
  const [p] = await proposeEach(a, [removeProposal(2)]);
  const r = await receiveInto(b, t.env, p.proposal);
  assert.equal(r.type, "proposal");
  if (r.type !== "proposal") return;
  assert.ok(r.commitOutput, "the commit to send");
  assert.equal(r.commitError, undefined);
  assert.equal(b.pending?.record.commit.length, r.commitOutput.commit.length);
  assert.equal(b.state.proposals.size, 1);
});

Deno.test("receive_flow: without autoCommit a proposal is only kept", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"], { autoCommit: false });
  const [a, b] = t.lives;
  const [p] = await proposeEach(a, [removeProposal(2)]);
  const r = await receiveInto(b, t.env, p.proposal);
  assert.ok(r.type === "proposal" && !r.commitOutput && !r.commitError);
  assert.equal(b.pending, undefined);
  assert.equal(b.state.proposals.size, 1);
});

Deno.test("receive_flow: our commit coming back applies it; others enter the epoch and void theirs", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a, b] = t.lives;
  const epoch = a.state.context.epoch;
  const ours = await commitOwn(a, t.env, { path: true });
  await commitOwn(b, t.env, { path: true }); // loses the epoch
  const back = await receiveInto(a, t.env, ours.commit);
  assert.equal(back.type, "commit");
  assert.equal(a.state.context.epoch, epoch + 1n);
  assert.equal(a.pending, undefined);
  const other = await receiveInto(b, t.env, ours.commit);
  assert.equal(other.type, "commit");
  assert.equal(b.state.context.epoch, epoch + 1n);
  assert.equal(b.pending, undefined, "b's own commit was voided");
});

Deno.test("receive_flow: a GroupInfo is not a group message", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a, b] = t.lives;
  const out = await commitOwn(a, t.env, { path: true });
  await rejectsCode(
    receiveInto(b, t.env, out.groupInfo),
    "invalid_wire_format",
  );
});

Deno.test("receive_flow: applyOwnCommit applies our pending commit, or refuses", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  await rejectsCode(applyOwnCommit(a), "no_pending_commit");
  const epoch = a.state.context.epoch;
  await commitOwn(a, t.env, { path: true });
  const r = await applyOwnCommit(a);
  assert.equal(r.type, "commit");
  assert.equal(r.epoch, epoch + 1n);
  assert.equal(a.state.context.epoch, epoch + 1n);
  assert.equal(a.pending, undefined);
});
