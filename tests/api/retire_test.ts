// Forward secrecy when a state is replaced (src/api/retire.ts): the
// secrets only the old state held are overwritten, those the state that
// lives on shares are left alone.
import assert from "node:assert/strict";
import { commitOwn } from "../../src/api/own_messages.ts";
import { retireState } from "../../src/api/retire.ts";
import { liveGroup } from "./helpers.ts";

const zero = (b: Uint8Array) => b.every((x) => x === 0);

Deno.test("retire: the old epoch's own secrets are wiped, what the next one shares is kept", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  await commitOwn(a, t.env, { path: true });
  const old = a.state;
  const next = a.pending!.state;
  const leafKey = old.privateTree.privateKey(0)!;
  const exporter = old.keys.exporterSecret;
  // The next epoch keeps the old one's secret tree and sender data
  // secret as a past epoch (maxPastEpochs > 0 by default).
  assert.equal(next.past[0].secretTree, old.secretTree);
  retireState(old, next);
  assert.ok(zero(exporter), "the old exporter secret");
  assert.ok(zero(leafKey), "the old leaf's HPKE private key");
  assert.equal(old.privateTree.nodes().length, 0);
  assert.ok(!zero(next.keys.exporterSecret));
  assert.ok(!zero(next.past[0].senderDataSecret), "shared with the next");
  assert.ok(!zero(next.privateTree.privateKey(0)!));
});

Deno.test("retire: with nothing living on, everything is wiped", async () => {
  const t = await liveGroup(["alice", "bob"]);
  const [a] = t.lives;
  await commitOwn(a, t.env, { path: true });
  const dropped = a.pending!.state;
  const secrets = Object.values(dropped.keys);
  const past = dropped.past.map((p) => p.senderDataSecret);
  retireState(dropped);
  assert.ok(secrets.every(zero));
  assert.ok(past.every(zero));
  assert.equal(dropped.privateTree.nodes().length, 0);
});
