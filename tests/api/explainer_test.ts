// Every code sample of the explainer (../shared/reference/web-api-explainer.md),
// transcribed against mod.ts. Deviations from the samples are marked "// API:".
import assert from "node:assert/strict";
import { MLS } from "../../mod.ts";

const is = (a: unknown, b: unknown) => assert.deepEqual(a, b);
const inc = (e: bigint) => e + 1n;

Deno.test("explainer: clients, groups, commits, proposals, epochs, exporters", async () => {
  const mls = new MLS();

  // Create identity for alice
  const alice = await mls.generateIdentity();
  // Create credential for alice
  const alice_credential = await mls.generateCredential(alice);
  // Bind the credential and identity to one key package for alice
  const alice_key_package = await mls.generateKeyPackage(
    alice,
    alice_credential,
  );
  assert.equal(alice_key_package.type, "keyPackage");

  const bob = await mls.generateIdentity();
  const bob_credential = await mls.generateCredential(bob);
  const bob_key_package = await mls.generateKeyPackage(bob, bob_credential);
  const charlie = await mls.generateIdentity();
  const charlie_key_package = await mls.generateKeyPackage(
    charlie,
    await mls.generateCredential(charlie),
  );

  // A user could create a group
  const alice_group = await mls.groupCreate(alice, alice_credential);
  // Access the group information such as group members:
  const alice_group_details = await alice_group.details().members;
  assert.equal(alice_group_details.length, 1);
  assert.equal(alice_group_details[0].clientId, alice.clientId);

  // Invite others to the group:
  const commit_added_bob = await alice_group.add(bob_key_package);
  await alice_group.receive(commit_added_bob); // API: apply our own commit
  // Send a message to the group
  const message = "hello, group";
  const ctx = await alice_group.send(message);

  // Bob joins the group
  const bob_group = await mls.groupJoin(bob, commit_added_bob.welcome!);
  // Bob group view and Alice group view are consistent
  is(alice_group.members, bob_group.members);
  const got = await bob_group.receive(ctx);
  assert.equal(got.type, "application");
  if (got.type === "application") {
    assert.equal(got.text(), message);
    assert.equal(got.sender.clientId, alice.clientId);
  }

  // As in our example above, Alice adding a new member created a commit
  const commit_added_charlie = await alice_group.add(charlie_key_package);
  // This commit is then propagated to all the existing members of the group
  const alice_group_added_charlie = await alice_group.receive(
    commit_added_charlie,
  );
  const bob_group_added_charlie = await bob_group.receive(commit_added_charlie);
  assert.equal(alice_group_added_charlie.type, "commit");
  assert.equal(bob_group_added_charlie.type, "commit");
  const charlie_group = await mls.groupJoin(charlie, commit_added_charlie);
  is(charlie_group.members, alice_group.members);

  // Bob does not have a right to remove Charlie, so he proposes the removal
  const propose_remove_charlie = await bob_group.proposeRemove(charlie);
  // (The delivery service fans the proposal out to every member.)
  const charlie_saw = await charlie_group.receive(propose_remove_charlie);
  assert.equal(
    charlie_saw.type === "proposal" && charlie_saw.commitOutput,
    undefined,
  );
  // Alice does have a right to remove Charlie, so she generates a commit
  const received = await alice_group.receive(propose_remove_charlie);
  assert.equal(received.type, "proposal");
  const commit_remove_charlie = received.type === "proposal"
    ? received.commitOutput! // API: the commit comes with the received proposal
    : undefined!;
  // This commit (commit_remove_charlie) will be sent to all the participants
  const epoch_before = alice_group.epoch;
  is(alice_group.epoch, bob_group.epoch);
  const alice_group_after_commit = await alice_group.receive(
    commit_remove_charlie,
  );
  const bob_group_after_commit = await bob_group.receive(commit_remove_charlie);
  const charlie_after = await charlie_group.receive(commit_remove_charlie);
  assert.equal(charlie_after.type, "removed");
  assert.equal(alice_group_after_commit.type, "commit");
  assert.equal(bob_group_after_commit.type, "commit");
  if (
    alice_group_after_commit.type !== "commit" ||
    bob_group_after_commit.type !== "commit"
  ) return;
  // The group views are consistent after receiving the same commit
  is(alice_group_after_commit.epoch, bob_group_after_commit.epoch);
  // The epoch got incremented after receiving the commit
  is(inc(epoch_before), alice_group_after_commit.epoch);
  is(alice_group.epoch, bob_group.epoch);
  is(alice_group.members, bob_group.members);
  assert.equal(alice_group.members.length, 2);
  assert.deepEqual(alice_group_after_commit.removed.map((m) => m.clientId), [
    charlie.clientId,
  ]);
  await assert.rejects(charlie_group.send("still here?"));

  // Alice and Bob derive a key to be used for file sharing
  const context_for_file_id_and_epoch = "file-42@" + alice_group.epoch;
  const len = 32;
  const exporter_alice = await alice_group.exportSecret(
    "file sharing key",
    context_for_file_id_and_epoch,
    len,
  );
  const exporter_bob = await bob_group.exportSecret(
    "file sharing key",
    context_for_file_id_and_epoch,
    len,
  );
  // The keys are equal for consistent groups
  is(exporter_alice, exporter_bob);
  assert.equal(exporter_alice.length, len);
  // And the keys for a different label or context are not the same
  assert.notDeepEqual(
    await alice_group.exportSecret(
      "other label",
      context_for_file_id_and_epoch,
      len,
    ),
    exporter_alice,
  );
  assert.notDeepEqual(
    await alice_group.exportSecret("file sharing key", "file-43", len),
    exporter_alice,
  );

  // Remove a member from the group
  const commit_removed_bob = await alice_group.remove(bob);
  await alice_group.receive(commit_removed_bob);
  const bob_removed = await bob_group.receive(commit_removed_bob);
  assert.equal(bob_removed.type, "removed");
  assert.equal(bob_group.status, "removed");
  assert.equal(alice_group.members.length, 1);
});
