// What a view takes from its MLS instance (src/api/view_environment.ts):
// the checks of what it sends (with the current time), of its commits
// (with the external PSKs), and of what it receives (with the hook).
import assert from "node:assert/strict";
import {
  commitChecks,
  receiveOptions,
  sendChecks,
} from "../../src/api/view_environment.ts";
import { liveGroup, testEnv } from "./helpers.ts";

Deno.test("view_environment: sends are checked at the current time with the app's settings", () => {
  const validateCredential = () => true;
  const env = testEnv({ validation: { maxLifetime: 60, validateCredential } });
  const before = Date.now();
  const checks = sendChecks(env);
  assert.equal(checks.maxLifetime, 60);
  assert.equal(checks.validateCredential, validateCredential);
  assert.ok(checks.now instanceof Date && checks.now.getTime() >= before);
  assert.equal(testEnv().validation.maxLifetime, undefined);
});

Deno.test("view_environment: commits also get the external PSKs", () => {
  const psks = () => undefined;
  const c = commitChecks(testEnv({ psks, validation: { maxLifetime: 5 } }));
  assert.equal(c.psks, psks);
  assert.equal(c.maxLifetime, 5);
  assert.ok(c.now instanceof Date);
});

Deno.test("view_environment: receiving asks the hook (if any) about this group", async () => {
  const asked: string[] = [];
  const t = await liveGroup(["alice", "bob"], {
    authorize: (r) => {
      asked.push(r.groupId);
      return true;
    },
  });
  const [a] = t.lives;
  const o = receiveOptions(t.env, a.groupId, a.state);
  assert.ok(o.authorize);
  await o.authorize({
    kind: "proposal",
    sender: { senderType: 1, leafIndex: 1 },
    proposals: [],
  });
  assert.deepEqual(asked, [a.groupId]);
  const none = receiveOptions(
    { ...t.env, authorize: undefined },
    "ab",
    a.state,
  );
  assert.equal(none.authorize, undefined);
});
