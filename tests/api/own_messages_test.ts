// The messages a view makes (src/api/own_messages.ts): a commit is held
// pending (one at a time), proposals are chained and stored at once, and
// application data is refused while the epoch has proposals.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import {
  commitOwn,
  proposeEach,
  proposeOwn,
  sendOwn,
} from "../../src/api/own_messages.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import { loadViewParts } from "../../src/api/stored_view.ts";
import type { ViewState } from "../../src/api/view_state.ts";
import { proposeUpdate } from "../../src/group/propose.ts";
import { liveGroup } from "./helpers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => e instanceof MlsError && e.code === code);
}

async function storedProposals(
  t: Awaited<ReturnType<typeof liveGroup>>,
  live: ViewState,
  i: number,
): Promise<number> {
  const signer = t.group.clients[i].signer.privateKey;
  const parts = await loadViewParts(t.env, live.groupId, live.clientId, signer);
  return parts!.state.proposals.size;
}

Deno.test("own_messages: commitOwn holds the commit pending, and only one", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  const epoch = a.state.context.epoch;
  const out = await commitOwn(a, t.env, { path: true });
  assert.equal(out.type, "commit");
  assert.equal(out.epoch, epoch + 1n);
  assert.equal(a.state.context.epoch, epoch); // not applied yet
  assert.equal(a.pending?.state.context.epoch, epoch + 1n);
  await rejectsCode(commitOwn(a, t.env, { path: true }), "commit_pending");
});

Deno.test("own_messages: proposeOwn chains proposals and stores them at once", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  const out = await proposeOwn(a, [
    (s) => proposeUpdate(s),
    (s) => proposeUpdate(s), // a second Update replaces nothing: both kept
  ]);
  assert.equal(out.length, 2);
  assert.notEqual(out[0].ref, out[1].ref);
  assert.equal(a.state.proposals.size, 2);
  assert.equal(await storedProposals(t, a, 0), 2);
});

Deno.test("own_messages: proposeEach proposes each proposal given", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  const out = await proposeEach(a, [removeProposal(1), removeProposal(2)]);
  assert.equal(out.length, 2);
  assert.deepEqual(
    [...a.state.proposals.values()].map((p) => p.proposal),
    [removeProposal(1), removeProposal(2)],
  );
  assert.equal(await storedProposals(t, a, 0), 2);
});

Deno.test("own_messages: sendOwn refuses while proposals wait (RFC 9420 §12.4), not while our commit does", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  assert.ok((await sendOwn(a, utf8("hi"))).length > 0);
  await proposeEach(a, [removeProposal(1)]);
  await rejectsCode(sendOwn(a, utf8("hi")), "proposals_pending");
  await commitOwn(a, t.env, {});
  assert.ok((await sendOwn(a, utf8("hi"))).length > 0);
});
