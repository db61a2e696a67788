// The automatic commit of received proposals (src/api/auto_commit.ts):
// when it runs, what it creates, and that a failure is returned (an
// MlsError as is, anything else as commit_failed), never thrown.
import assert from "node:assert/strict";
import { MlsError } from "../../mod.ts";
import { autoCommit } from "../../src/api/auto_commit.ts";
import { proposeEach } from "../../src/api/own_messages.ts";
import { removeProposal } from "../../src/api/proposal_input.ts";
import { type Proposal, ProposalType } from "../../src/messages/proposal.ts";
import { PSKType } from "../../src/messages/psk.ts";
import { liveGroup } from "./helpers.ts";

/** An external PSK proposal (the environment may know no PSK). */
const externalPsk: Proposal = {
  proposalType: ProposalType.psk,
  psk: {
    pskType: PSKType.external,
    pskId: new TextEncoder().encode("shared"),
    pskNonce: new Uint8Array(32).fill(7),
  },
};

Deno.test("auto_commit: commits the state's proposals into the next epoch", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  await proposeEach(a, [removeProposal(2)]);
  const epoch = a.state.context.epoch;
  const auto = await autoCommit(t.env, a.state, false);
  assert.ok(auto?.created, "a commit");
  assert.equal(auto.error, undefined);
  assert.equal(auto.created.state.context.epoch, epoch + 1n);
  assert.equal(auto.created.state.tree.getLeaf(2), undefined);
});

Deno.test("auto_commit: nothing when off, when a commit is pending, or with no proposals", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  assert.equal(await autoCommit(t.env, a.state, false), undefined);
  await proposeEach(a, [removeProposal(1)]);
  assert.equal(
    await autoCommit({ ...t.env, autoCommit: false }, a.state, false),
    undefined,
  );
  assert.equal(await autoCommit(t.env, a.state, true), undefined);
  assert.ok((await autoCommit(t.env, a.state, false))?.created);
});

Deno.test("auto_commit: an MlsError is returned as it is", async () => {
  const t = await liveGroup(["alice", "bob", "charlie"]);
  const [a] = t.lives;
  await proposeEach(a, [removeProposal(2)]);
  const injected = new MlsError("crypto_failure", "injected");
  // The commit's path needs fresh HPKE keys: make that fail.
  const cs = new Proxy(a.state.cs, {
    get(target, key) {
      if (key === "hpkeGenerateKeyPair") return () => Promise.reject(injected);
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const auto = await autoCommit(t.env, { ...a.state, cs }, false);
  assert.equal(auto?.created, undefined);
  assert.equal(auto?.error, injected);
});

Deno.test("auto_commit: any other failure is commit_failed, with it as the cause", async () => {
  const boom = new TypeError("lookup broke");
  const t = await liveGroup(["alice", "bob"], {
    psks: () => {
      throw boom;
    },
  });
  const [a] = t.lives;
  await proposeEach(a, [externalPsk]);
  const auto = await autoCommit(t.env, a.state, false);
  assert.ok(auto?.error instanceof MlsError);
  assert.equal(auto.error.code, "commit_failed");
  assert.equal(auto.error.cause, boom);
});
