// The application's authorize hook as the group layer calls it
// (src/api/authorize_hook.ts): asked with the Web API's values, its answer
// passed back; no hook, no check.
import assert from "node:assert/strict";
import { groupAuthorize } from "../../src/api/authorize_hook.ts";
import type { AuthorizeRequest } from "../../src/api/types.ts";
import { SenderType } from "../../src/framing/sender.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { groupOf } from "../group/helpers.ts";
import { testEnv } from "./helpers.ts";

Deno.test("authorize_hook: the hook sees members and proposal summaries, and decides", async () => {
  const g = await groupOf(await testEnv().provider.suite(1), ["a", "b", "c"]);
  const tree = g.states[0].tree;
  const seen: AuthorizeRequest[] = [];
  let answer = true;
  const authorize = groupAuthorize(
    (r) => {
      seen.push(r);
      return answer;
    },
    "abcd",
    tree,
  )!;
  const sender = { senderType: SenderType.member, leafIndex: 1 } as const;
  const request = {
    kind: "proposal" as const,
    sender,
    senderCredential: tree.getLeaf(1)!.credential,
    proposals: [{
      proposal: { proposalType: ProposalType.remove, removed: 2 },
      sender,
    }],
  };
  assert.equal(await authorize(request), true);
  answer = false;
  assert.equal(await authorize(request), false);
  const r = seen[0];
  assert.equal(r.kind, "proposal");
  assert.equal(r.groupId, "abcd");
  assert.equal(r.sender.kind === "member" && r.sender.member.leafIndex, 1);
  assert.equal(r.proposals[0].kind, "remove");
  assert.equal(
    r.proposals[0].kind === "remove" && r.proposals[0].member.leafIndex,
    2,
  );
});

Deno.test("authorize_hook: no hook, no check", async () => {
  const g = await groupOf(await testEnv().provider.suite(1), ["a"]);
  assert.equal(groupAuthorize(undefined, "ab", g.states[0].tree), undefined);
});
