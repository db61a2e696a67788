// Dropping the epoch's proposals (src/api/proposal_clearing.ts): the
// count is returned, the stored state has none left, and nothing is
// written when there were none.
import assert from "node:assert/strict";
import { proposeEach } from "../../src/api/own_messages.ts";
import { clearEpochProposals } from "../../src/api/proposal_clearing.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import { loadViewParts } from "../../src/api/stored_view.ts";
import { liveGroup } from "./helpers.ts";

Deno.test("proposal_clearing: drops and counts the epoch's proposals, stored", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  await proposeEach(a, [removeProposal(1), removeProposal(2)]);
  assert.equal(await clearEpochProposals(a), 2);
  assert.equal(a.state.proposals.size, 0);
  const signer = t.group.clients[0].signer.privateKey;
  const stored = await loadViewParts(t.env, a.groupId, a.clientId, signer);
  assert.equal(stored!.state.proposals.size, 0);
});

Deno.test("proposal_clearing: with no proposals, 0 and no write", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  const before = await t.env.storage.list("");
  const values = await Promise.all(before.map((k) => t.env.storage.get(k)));
  const state = a.state;
  assert.equal(await clearEpochProposals(a), 0);
  assert.equal(a.state, state);
  const after = await Promise.all(before.map((k) => t.env.storage.get(k)));
  assert.deepEqual(after, values);
});
