// What receive() and applyPendingCommit() report (src/api/received_result.ts):
// leaf summaries from the group layer's commit summary (the committer's
// path counts as an update), the fallback diff of member lists, and our
// own commit reported as a receiver sees it.
import assert from "node:assert/strict";
import { commitOwn, proposeEach } from "../../src/api/own_messages.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import {
  commitReceived,
  diffSummary,
  leafSummary,
  ownCommitReceived,
} from "../../src/api/received_result.ts";
import { receiveInto } from "../../src/api/receive_flow.ts";
import type { KeyPackage } from "../../src/messages/key_package.ts";
import { liveGroup } from "./helpers.ts";

Deno.test("received_result: leafSummary adds the committer's path to the updates, once", () => {
  const keyPackage = {} as KeyPackage;
  const base = {
    added: [{ leafIndex: 4, keyPackage }],
    removed: [2],
    updated: [1],
  };
  assert.deepEqual(leafSummary(base), {
    added: [4],
    removed: [2],
    updated: [1],
  });
  assert.deepEqual(leafSummary({ ...base, updatedByPath: 0 }).updated, [1, 0]);
  assert.deepEqual(leafSummary({ ...base, updatedByPath: 1 }).updated, [1]);
});

Deno.test("received_result: diffSummary from the member lists; commitReceived maps leaves to members", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  const before = a.state.tree;
  await proposeEach(a, [removeProposal(1)]);
  await commitOwn(a, t.env, {});
  const after = a.pending!.state.tree;
  const diff = diffSummary(before, after);
  assert.deepEqual(diff, { added: [], removed: [1], updated: [] });
  const sender = { kind: "member" as const, member: undefined! };
  const r = commitReceived(before, after, diff, 9n, sender);
  assert.equal(r.type, "commit");
  assert.equal(r.epoch, 9n);
  assert.deepEqual(r.removed.map((m) => m.leafIndex), [1]);
  assert.equal(r.removed[0].credential.credentialType, "basic");
  // A leaf that is not there (a stale summary) is left out.
  const stale = { added: [7], removed: [], updated: [8] };
  const none = commitReceived(before, after, stale, 9n, sender);
  assert.deepEqual([none.added, none.updated], [[], []]);
});

Deno.test("received_result: our own commit reports what a receiver of it reports", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a, b] = t.lives;
  const proposals = [removeProposal(2)]; // by value
  const out = await commitOwn(a, t.env, { proposals, path: true });
  const prev = a.state;
  const own = ownCommitReceived(
    prev,
    a.pending!.state,
    a.pending!.record.summary,
  );
  const theirs = await receiveInto(b, t.env, out.commit);
  assert.equal(theirs.type, "commit");
  if (theirs.type !== "commit") return;
  const ids = (ms: { clientId: string }[]) => ms.map((m) => m.clientId);
  assert.deepEqual(ids(own.removed), ids(theirs.removed));
  assert.deepEqual(ids(own.updated), ids(theirs.updated));
  assert.deepEqual(ids(own.updated), [a.clientId]); // by its path
  assert.equal(own.epoch, theirs.epoch);
  assert.equal(own.sender.kind, "member");
  // Without a stored summary (an older record): the member lists' diff.
  const old = ownCommitReceived(prev, a.pending!.state, undefined);
  assert.deepEqual(ids(old.removed), ids(own.removed));
  assert.deepEqual(old.updated, []);
});
