// The proposals a view's calls make from their arguments
// (src/api/proposal_input.ts): Adds from key-package bytes or outputs,
// one or many, with the failing argument named; Removes of a leaf.
import assert from "node:assert/strict";
import { MLS, MlsError } from "../../mod.ts";
import {
  addProposal,
  addProposals,
  removeProposal,
} from "../../src/api/proposal_input.ts";
import { ProposalType } from "../../src/messages/proposal.ts";
import { toHex } from "../../src/util/bytes.ts";

async function keyPackages(n: number) {
  const mls = new MLS();
  return await Promise.all(
    Array.from({ length: n }, async (_, i) =>
      mls.generateKeyPackage(
        await mls.generateIdentity(),
        await mls.generateCredential(`member ${i}`),
      )),
  );
}

function failsOn(f: () => unknown, code: string, field: string): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof MlsError);
    assert.equal(e.code, code);
    assert.equal(e.field, field);
    return true;
  });
}

Deno.test("proposal_input: an Add from bytes or from a KeyPackageOutput", async () => {
  const [kp] = await keyPackages(1);
  const fromOutput = addProposal(kp, "keyPackage");
  const fromBytes = addProposal(kp.bytes, "keyPackage");
  assert.equal(fromOutput.proposalType, ProposalType.add);
  assert.deepEqual(fromBytes, fromOutput);
  if (fromOutput.proposalType !== ProposalType.add) throw new Error();
  assert.equal(
    toHex(fromOutput.keyPackage.leafNode.signatureKey),
    kp.clientId,
  );
});

Deno.test("proposal_input: wrong inputs are refused naming the argument", async () => {
  const [kp] = await keyPackages(1);
  failsOn(
    () => addProposal("kp" as never, "keyPackage"),
    "invalid_argument",
    "keyPackage",
  );
  failsOn(
    () => addProposal({ type: "identity" } as never, "kp"),
    "invalid_argument",
    "kp",
  );
  // A message that is not a KeyPackage.
  const truncated = kp.bytes.subarray(0, 10);
  assert.throws(() => addProposal(truncated, "kp"), MlsError);
});

Deno.test("proposal_input: addProposals takes one or a non-empty array, fields by index", async () => {
  const kps = await keyPackages(2);
  assert.equal(addProposals(kps[0], "keyPackages").length, 1);
  const two = addProposals(kps, "keyPackages");
  assert.deepEqual(two, kps.map((k) => addProposal(k, "x")));
  failsOn(
    () => addProposals([], "keyPackages"),
    "invalid_argument",
    "keyPackages",
  );
  failsOn(
    () => addProposals([kps[0], 42 as never], "keyPackages"),
    "invalid_argument",
    "keyPackages.1",
  );
});

Deno.test("proposal_input: removeProposal names the leaf", () => {
  assert.deepEqual(removeProposal(5), {
    proposalType: ProposalType.remove,
    removed: 5,
  });
});
