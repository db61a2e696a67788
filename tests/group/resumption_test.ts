// ReInit (§11.2) and branch (§11.3): new groups tied to the old one by
// resumption PSKs.
import assert from "node:assert/strict";
import { defaultProvider } from "../../providers/mod.ts";
import { createCommit } from "../../src/group/commit.ts";
import { createGroup } from "../../src/group/create.ts";
import { receiveMessage } from "../../src/group/receive.ts";
import {
  branchGroup,
  joinBranch,
  joinReinit,
  reinitGroup,
} from "../../src/group/resumption.ts";
import type { GroupState } from "../../src/group/state.ts";
import { joinFromWelcome } from "../../src/group/welcome.ts";
import { sendApplication } from "../../src/group/propose.ts";
import { MlsError } from "../../src/errors.ts";
import { mlsExporter } from "../../src/schedule/exporter.ts";
import { generateKeyPackage } from "../../src/group/key_package.ts";
import { client, keyPackageOf, wire } from "./helpers.ts";

const provider = defaultProvider();

async function pair(suite: number) {
  const cs = await provider.suite(suite);
  const alice = await client(cs, "alice");
  const bob = await client(cs, "bob");
  const kpB = await keyPackageOf(cs, bob);
  const a0 = await createGroup(cs, alice.credential, alice.signer);
  const add = await createCommit(a0, {
    proposals: [{ proposalType: 1, keyPackage: kpB.keyPackage }],
  });
  const { state: b1 } = await joinFromWelcome(cs, add.welcome!, {
    keyPackage: kpB.keyPackage,
    ...kpB.privateKeys,
    signer: bob.signer.privateKey,
  });
  return { cs, alice, bob, a1: add.state, b1 };
}

const exp = (s: GroupState) =>
  mlsExporter(s.cs, s.keys.exporterSecret, "x", new Uint8Array(), 16);

Deno.test("reinit moves the group to a new suite", async () => {
  const { bob, a1, b1 } = await pair(1);
  const cs3 = await provider.suite(3);
  const newId = cs3.randomBytes(16);
  const c = await createCommit(a1, {
    proposals: [{
      proposalType: 5,
      groupId: newId,
      version: 1,
      cipherSuite: 3,
      extensions: [],
    }],
  });
  const a2 = c.state;
  assert.equal(a2.status, "reinit");
  const r = await receiveMessage(b1, wire(c.message));
  assert.equal(r.kind, "commit");
  if (r.kind !== "commit") return;
  const b2 = r.state;
  assert.equal(b2.status, "reinit");
  await assert.rejects(sendApplication(b2, new Uint8Array([1])), MlsError);

  // Alice recreates the group in suite 3 with Bob's new key package.
  const aliceSigner3 = await cs3.signatureGenerateKeyPair();
  const bobSigner3 = await cs3.signatureGenerateKeyPair();
  const kpB3 = await generateKeyPackage(cs3, bob.credential, bobSigner3);
  const re = await reinitGroup(cs3, a2, aliceSigner3, [kpB3.keyPackage]);
  assert.equal(re.state.context.epoch, 1n);
  const joined = await joinReinit(cs3, b2, re.welcome!, {
    keyPackage: kpB3.keyPackage,
    ...kpB3.privateKeys,
    signer: bobSigner3.privateKey,
  });
  assert.equal(joined.state.context.cipherSuite, 3);
  assert.deepEqual(await exp(joined.state), await exp(re.state));
});

Deno.test("branch creates a subgroup bound to the parent epoch", async () => {
  const { cs, bob, a1, b1 } = await pair(2);
  const bobSigner = bob.signer;
  const kpB = await generateKeyPackage(cs, bob.credential, bobSigner);
  const aliceSigner = await cs.signatureGenerateKeyPair();
  const br = await branchGroup(a1, aliceSigner, [kpB.keyPackage]);
  const joined = await joinBranch(b1, br.welcome!, {
    keyPackage: kpB.keyPackage,
    ...kpB.privateKeys,
    signer: bobSigner.privateKey,
  });
  assert.deepEqual(await exp(joined.state), await exp(br.state));
  // A stranger cannot be added to a branch.
  const carol = await client(cs, "carol");
  const kpC = await keyPackageOf(cs, carol);
  const kpB2 = await generateKeyPackage(cs, bob.credential, bobSigner);
  const br2 = await branchGroup(a1, aliceSigner, [
    kpB2.keyPackage,
    kpC.keyPackage,
  ]);
  await assert.rejects(
    joinBranch(b1, br2.welcome!, {
      keyPackage: kpB2.keyPackage,
      ...kpB2.privateKeys,
      signer: bobSigner.privateKey,
    }),
    (e) => e instanceof MlsError && e.code === "invalid_resumption",
  );
});
